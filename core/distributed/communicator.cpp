// Communicator: environment parsing and the bucketing shared by every backend.
#include "distributed/communicator.h"

#include "mistudio/result.h"

#include <chrono>
#include <cstdlib>
#include <map>

namespace mistudio::dist {

namespace {

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}

long envInt(const char* name, const char* fallbackName, long fallback, long lo, long hi) {
    const char* used = env(name) ? name : fallbackName;
    const char* v = used ? env(used) : nullptr;
    if (!v)
        return fallback;
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    if (*end != '\0' || x < lo || x > hi)
        throw Exception(ErrorCode::InvalidArgument,
                        std::string("environment variable ") + used + "='" + v +
                            "' is not an integer in [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "]",
                        "distributed launch",
                        "set it as torchrun / srun do, e.g. RANK=0 WORLD_SIZE=2, or use "
                        "`mistudio-cli launch --nproc N -- ...`");
    return x;
}

} // namespace

DistEnv DistEnv::fromEnvironment() {
    DistEnv e;
    e.worldSize = static_cast<int>(envInt("WORLD_SIZE", nullptr, 1, 1, 1 << 20));
    e.rank = static_cast<int>(envInt("RANK", nullptr, 0, 0, e.worldSize - 1));
    e.localRank = static_cast<int>(envInt("LOCAL_RANK", nullptr, 0, 0, 1 << 20));
    e.masterPort = static_cast<int>(envInt("MASTER_PORT", nullptr, 29500, 1, 65535));
    if (const char* a = env("MASTER_ADDR"))
        e.masterAddr = a;
    if (const char* f = env("MISTUDIO_DIST_FILE"))
        e.storeFile = f;
    if (const char* i = env("GLOO_SOCKET_IFNAME"))
        e.interfaceName = i;
    e.timeoutSeconds =
        static_cast<double>(envInt("MISTUDIO_DIST_TIMEOUT", nullptr, 300, 1, 24 * 3600));
    // torchrun >= 2.4 may host the store itself and tell its workers so.
    if (const char* a = env("TORCHELASTIC_USE_AGENT_STORE"))
        e.agentStore = std::string(a) == "True" || std::string(a) == "1";
    if (e.worldSize > 1 && !env("RANK"))
        throw Exception(ErrorCode::InvalidArgument, "WORLD_SIZE is set but RANK is not",
                        "distributed launch", "set RANK for every process (0..WORLD_SIZE-1)");
    return e;
}

void Communicator::allReduce(const std::vector<at::Tensor>& tensors, ReduceOp op) {
    if (worldSize() == 1 || tensors.empty())
        return;
    const auto start = std::chrono::steady_clock::now();
    // Buckets: consecutive tensors of one dtype, packed until bucketBytes.
    std::vector<std::vector<size_t>> buckets;
    std::map<at::ScalarType, size_t> open;
    std::map<size_t, int64_t> bytes;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const at::Tensor& t = tensors[i];
        if (op == ReduceOp::Mean && !at::isFloatingType(t.scalar_type()))
            throw Exception(ErrorCode::Internal, "mean all-reduce of an integer tensor");
        const int64_t n = t.numel() * static_cast<int64_t>(t.element_size());
        auto it = open.find(t.scalar_type());
        if (it == open.end() || bytes[it->second] + n > bucketBytes) {
            buckets.push_back({});
            it = open.insert_or_assign(t.scalar_type(), buckets.size() - 1).first;
        }
        buckets[it->second].push_back(i);
        bytes[it->second] += n;
    }
    const ReduceOp flatOp = op == ReduceOp::Mean ? ReduceOp::Sum : op;
    for (const auto& bucket : buckets) {
        std::vector<at::Tensor> parts;
        for (size_t i : bucket)
            parts.push_back(tensors[i].detach().reshape({-1}));
        at::Tensor flat = parts.size() == 1 ? parts[0].clone() : at::cat(parts);
        allReduceFlat(flat, flatOp);
        if (op == ReduceOp::Mean)
            flat.div_(worldSize());
        int64_t offset = 0;
        for (size_t i : bucket) {
            at::Tensor t = tensors[i].detach();
            t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
            offset += t.numel();
        }
    }
    m_allReduceSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Communicator::allReduce(double value, ReduceOp op) {
    at::Tensor t = at::full({1}, value, at::kDouble);
    allReduce(t, op);
    return t.item<double>();
}

std::unique_ptr<Communicator> communicatorFromEnvironment() {
    const DistEnv e = DistEnv::fromEnvironment();
    if (e.worldSize == 1)
        return std::make_unique<LocalCommunicator>();
    return makeGlooCommunicator(e);
}

} // namespace mistudio::dist
