// The Gloo communicator: c10d's ProcessGroupGloo over a TCPStore (hosted by rank 0) or a
// FileStore. The only file that includes c10d; built with USE_DISTRIBUTED / USE_C10D_GLOO when
// CMake found the headers (MISTUDIO_WITH_DISTRIBUTED), otherwise it only says it is missing.
#include "distributed/communicator.h"
#include "mistudio/result.h"

#if MISTUDIO_WITH_DISTRIBUTED
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#endif

namespace mistudio::dist {

#if MISTUDIO_WITH_DISTRIBUTED

namespace {

// LibTorch 1.13: ProcessGroupGloo is a ProcessGroup and its collectives return
// ProcessGroup::Work; from 2.0 it is a c10d::Backend returning c10d::Work. Both are waited on the
// same way, so `auto` keeps this file identical for both.
c10d::ReduceOp toC10d(ReduceOp op) {
    switch (op) {
    case ReduceOp::Max: return c10d::ReduceOp::MAX;
    case ReduceOp::Min: return c10d::ReduceOp::MIN;
    default: return c10d::ReduceOp::SUM;
    }
}

bool isLoopback(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

class GlooCommunicator : public Communicator {
public:
    explicit GlooCommunicator(const DistEnv& e) : m_env(e) {
        const auto timeout =
            std::chrono::milliseconds(static_cast<int64_t>(e.timeoutSeconds * 1000));
        try {
            if (!e.storeFile.empty()) {
                m_store = c10::make_intrusive<c10d::FileStore>(e.storeFile, e.worldSize);
            } else {
                c10d::TCPStoreOptions o;
                o.port = static_cast<uint16_t>(e.masterPort);
                o.isServer = e.rank == 0 && !e.agentStore;
                o.numWorkers = static_cast<size_t>(e.worldSize);
                o.waitWorkers = true;
                o.timeout = timeout;
                m_store = c10::make_intrusive<c10d::TCPStore>(e.masterAddr, o);
            }
            m_store->setTimeout(timeout);
            auto options = c10d::ProcessGroupGloo::Options::create(timeout);
            if (!e.interfaceName.empty())
                options->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForInterface(e.interfaceName));
            else if (isLoopback(e.masterAddr))
                options->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            else
                options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            m_pg =
                c10::make_intrusive<c10d::ProcessGroupGloo>(m_store, e.rank, e.worldSize, options);
        } catch (const std::exception& ex) {
            throw Exception(ErrorCode::Network,
                            "rank " + std::to_string(e.rank) + " could not join the " +
                                std::to_string(e.worldSize) + "-rank job: " + firstLine(ex.what()),
                            e.storeFile.empty()
                                ? "TCPStore " + e.masterAddr + ":" + std::to_string(e.masterPort)
                                : "FileStore " + e.storeFile,
                            "start every rank with the same MASTER_ADDR/MASTER_PORT (or "
                            "MISTUDIO_DIST_FILE), a free port and WORLD_SIZE; a stale store file "
                            "from an earlier job must be deleted");
        }
    }

    int rank() const override { return m_env.rank; }
    int worldSize() const override { return m_env.worldSize; }

    void broadcast(const std::vector<at::Tensor>& tensors, int root) override {
        for (const at::Tensor& t : tensors) {
            std::vector<at::Tensor> v = {t.detach().contiguous()};
            c10d::BroadcastOptions o;
            o.rootRank = root;
            run("broadcast", [&] { m_pg->broadcast(v, o)->wait(); });
            if (!v[0].is_same(t))
                t.detach().copy_(v[0]);
        }
    }

    void barrier() override {
        run("barrier", [&] { m_pg->barrier()->wait(); });
    }

    void announceFailure(const std::string& message) override {
        try {
            m_store->set("mistudio/failed/" + std::to_string(m_env.rank),
                         std::vector<uint8_t>(message.begin(), message.end()));
        } catch (const std::exception&) {
            // The store may be gone with its host; the others then name that rank instead.
        }
    }

protected:
    void allReduceFlat(at::Tensor& flat, ReduceOp op) override {
        std::vector<at::Tensor> v = {flat};
        c10d::AllreduceOptions o;
        o.reduceOp = toC10d(op);
        run("all-reduce", [&] { m_pg->allreduce(v, o)->wait(); });
    }

private:
    static std::string firstLine(const std::string& s) {
        // c10d messages carry a C++ backtrace after the first line.
        const auto nl = s.find('\n');
        return nl == std::string::npos ? s : s.substr(0, nl);
    }

    template <class F> void run(const char* what, F&& f) {
        try {
            f();
        } catch (const Exception&) {
            throw;
        } catch (const std::exception& ex) {
            throw Exception(ErrorCode::Network,
                            "rank " + std::to_string(m_env.rank) + ": the " + what +
                                " failed because " + culprit() + " (" + firstLine(ex.what()) + ")",
                            "distributed training",
                            "the job stops; fix the failing rank and start it again with --resume "
                            "(the last checkpoint is complete)");
        }
    }

    /// Which rank broke the collective: one that announced its failure, else the store's host when
    /// the store is unreachable, else the only other rank of a two-rank job.
    std::string culprit() {
        try {
            for (int r = 0; r < m_env.worldSize; ++r) {
                const std::string key = "mistudio/failed/" + std::to_string(r);
                if (r != m_env.rank && m_store->check({key})) {
                    const auto bytes = m_store->get(key);
                    return "rank " + std::to_string(r) +
                           " failed: " + std::string(bytes.begin(), bytes.end());
                }
            }
        } catch (const std::exception&) {
            if (m_env.storeFile.empty() && m_env.rank != 0)
                return "rank 0 (the host of the TCPStore) stopped";
        }
        if (m_env.worldSize == 2)
            return "rank " + std::to_string(1 - m_env.rank) + " stopped or stopped answering";
        return "another rank stopped or stopped answering (the launcher names it)";
    }

    DistEnv m_env;
    c10::intrusive_ptr<c10d::Store> m_store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> m_pg;
};

} // namespace

bool glooAvailable() {
    return true;
}

std::unique_ptr<Communicator> makeGlooCommunicator(const DistEnv& env) {
    return std::make_unique<GlooCommunicator>(env);
}

#else

bool glooAvailable() {
    return false;
}

std::unique_ptr<Communicator> makeGlooCommunicator(const DistEnv& env) {
    throw Exception(
        ErrorCode::Unsupported,
        "this build has no distributed backend (WORLD_SIZE=" + std::to_string(env.worldSize) + ")",
        "distributed training",
        "rebuild with LibTorch's c10d and Gloo (Debian: apt install libgloo-dev, "
        "cmake -DMISTUDIO_WITH_DISTRIBUTED=ON), or run one process (unset WORLD_SIZE)");
}

#endif

} // namespace mistudio::dist
