#pragma once
// Collective operations between the ranks of a data-parallel job, on LibTorch's c10d engine
// (Gloo on CPU). SAE training talks to this interface only: a single process uses the no-op
// LocalCommunicator, a job started by torchrun, SLURM or `mistudio-cli launch` the Gloo one. The
// c10d code sits in gloo_communicator.cpp alone, so LibTorch API changes stay local.

#include <ATen/ATen.h>
#include <memory>
#include <string>
#include <vector>

namespace mistudio::dist {

enum class ReduceOp { Sum, Mean, Max, Min };

/// Where this process sits in the job, from the torchrun / SLURM variables: RANK, WORLD_SIZE,
/// LOCAL_RANK, MASTER_ADDR, MASTER_PORT (TCPStore hosted by rank 0) or MISTUDIO_DIST_FILE (a
/// FileStore on a shared filesystem), MISTUDIO_DIST_TIMEOUT (seconds a collective may wait).
struct DistEnv {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    std::string storeFile;       // non-empty: FileStore instead of TCPStore
    double timeoutSeconds = 300; // a peer silent this long fails the collective
    std::string interfaceName;   // GLOO_SOCKET_IFNAME when set
    bool agentStore = false;     // torchrun hosts the TCPStore (TORCHELASTIC_USE_AGENT_STORE)
    /// Reads the environment; a malformed or inconsistent variable throws InvalidArgument naming
    /// it. Under SLURM, srun's task sets RANK=$SLURM_PROCID etc. (see cluster_job.h's script).
    static DistEnv fromEnvironment();
};

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    bool distributed() const { return worldSize() > 1; }

    /// Reduces every tensor of the list in place across ranks. Tensors of one dtype are packed into
    /// flat buckets of at most bucketBytes (fewer, larger messages); Mean divides the sum by the
    /// world size (floating tensors only).
    void allReduce(const std::vector<at::Tensor>& tensors, ReduceOp op);
    void allReduce(const at::Tensor& tensor, ReduceOp op) { allReduce(std::vector{tensor}, op); }
    double allReduce(double value, ReduceOp op);
    /// Copies root's tensors into every rank's (same shapes and dtypes on every rank).
    virtual void broadcast(const std::vector<at::Tensor>& tensors, int root) = 0;
    virtual void barrier() = 0;
    /// Tells the other ranks why this rank stops (they name it in their error); best effort.
    virtual void announceFailure(const std::string& message) { (void)message; }

    /// Seconds spent inside all-reduces so far (benchmarks).
    double allReduceSeconds() const { return m_allReduceSeconds; }
    int64_t bucketBytes = 25 << 20;

protected:
    /// Sum, Max or Min of one contiguous tensor in place.
    virtual void allReduceFlat(at::Tensor& flat, ReduceOp op) = 0;

private:
    double m_allReduceSeconds = 0;
};

/// One process: every collective is the identity.
class LocalCommunicator : public Communicator {
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    void broadcast(const std::vector<at::Tensor>&, int) override {}
    void barrier() override {}

protected:
    void allReduceFlat(at::Tensor&, ReduceOp) override {}
};

/// True when this build has the c10d/Gloo backend.
bool glooAvailable();

/// Joins the job described by `env` over Gloo (blocks until every rank has joined, or throws after
/// the timeout). Throws Unsupported when built without c10d.
std::unique_ptr<Communicator> makeGlooCommunicator(const DistEnv& env);

/// LocalCommunicator when WORLD_SIZE is unset or 1, otherwise the Gloo communicator.
std::unique_ptr<Communicator> communicatorFromEnvironment();

} // namespace mistudio::dist
