#include "sae/sweep.h"

#include "distributed/communicator.h"
#include "io/safetensors.h"
#include "mistudio/environment.h"
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/geometric_median.h"
#include "sae/metric_names.h"

#include <ATen/CPUGeneratorImpl.h>
#include <chrono>
#include <cmath>
#include <filesystem>

namespace mistudio::sae {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double normalizationScale(Normalization n, int64_t dIn, double meanNorm, double meanSquaredNorm) {
    if (!(meanNorm > 0) || !(meanSquaredNorm > 0) || !std::isfinite(meanSquaredNorm))
        throw Exception(ErrorCode::NumericalError,
                        "cannot normalise activations whose mean norm is " +
                            std::to_string(meanNorm),
                        "input scaling", "check that the activations are not all zero or NaN");
    if (n == Normalization::SqrtD)
        return std::sqrt(static_cast<double>(dIn)) / meanNorm;
    return 1.0 / std::sqrt(meanSquaredNorm);
}

SweepTrainer::SweepTrainer(SweepSettings settings, ActivationSource& source)
    : m_settings(std::move(settings)), m_source(source) {
    if (m_settings.saes.empty())
        throw Exception(ErrorCode::InvalidArgument, "a training run needs at least one SAE");
    m_batch = m_settings.saes[0].batchSize;
    for (const auto& c : m_settings.saes) {
        if (c.dIn != source.dim())
            throw Exception(ErrorCode::InvalidArgument,
                            "SAE '" + c.name + "' has d_in " + std::to_string(c.dIn) +
                                " but the activations have " + std::to_string(source.dim()),
                            source.describe(), "");
        if (c.batchSize != m_batch)
            throw Exception(ErrorCode::InvalidArgument,
                            "all SAEs of one run share the activation stream and need one "
                            "batch_size",
                            "sae '" + c.name + "'", "give every SAE the same batch_size");
    }
    if (m_settings.tokens <= 0)
        throw Exception(ErrorCode::InvalidArgument, "tokens must be positive");
    checkDevice(m_settings.device);
    m_device = at::Device(m_settings.device);
    m_totalSteps = (m_settings.tokens + m_batch - 1) / m_batch;
    if (m_batch % worldSize() != 0)
        throw Exception(ErrorCode::InvalidArgument,
                        "batch_size " + std::to_string(m_batch) + " does not split over " +
                            std::to_string(worldSize()) + " ranks",
                        "data-parallel training",
                        "use a batch_size that is a multiple of WORLD_SIZE (it stays the global "
                        "batch; each rank trains on batch_size / WORLD_SIZE tokens per step)");
    m_localBatch = m_batch / worldSize();
}

int SweepTrainer::worldSize() const {
    return m_settings.comm ? m_settings.comm->worldSize() : 1;
}

bool SweepTrainer::cancelled(JobContext& ctx) const {
    // Every rank must stop at the same step: one rank's cancel stops them all.
    const bool local = ctx.isCancelled();
    if (worldSize() == 1)
        return local;
    return m_settings.comm->allReduce(local ? 1.0 : 0.0, dist::ReduceOp::Max) > 0;
}

SweepTrainer::~SweepTrainer() = default;

std::string SweepTrainer::checkpointPath() const {
    return (fs::path(m_settings.checkpointDir) / "checkpoint.safetensors").string();
}

namespace {
// Statistics of the first training rows: sums for the scaling and the mean, and the first rows
// themselves for a geometric median.
struct SampleStats {
    double sumNorm = 0, sumSq = 0;
    at::Tensor sum;
    std::vector<at::Tensor> kept;
    int64_t seen = 0, keptRows = 0;
};
} // namespace

void SweepTrainer::initialise(bool estimate) {
    // Input statistics from the first batches; the source is then rewound so training sees them.
    // Without `estimate` (resume) the trainers are placeholders that loadState() overwrites.
    const SourceState start = m_source.state();
    bool wantMedian = false;
    for (const auto& c : m_settings.saes)
        wantMedian = wantMedian || c.bDecInit == BDecInit::GeometricMedian;
    SampleStats st;
    st.sum = at::zeros({m_source.dim()}, at::kDouble);
    // Data parallel: each rank reads its slices of the same first tokens; the sums are reduced.
    const int64_t want =
        (std::max<int64_t>(m_batch, m_settings.normalizationTokens) + worldSize() - 1) /
        worldSize();
    while (estimate && st.seen < want) {
        at::Tensor x = m_source.next(std::min(m_localBatch, want - st.seen)).to(at::kDouble);
        at::Tensor norms = x.norm(2, {1});
        st.sumNorm += norms.sum().item<double>();
        st.sumSq += norms.pow(2).sum().item<double>();
        st.sum.add_(x.sum(0));
        st.seen += x.size(0);
        const int64_t keep = std::min(x.size(0), m_settings.medianSampleRows - st.keptRows);
        if (wantMedian && keep > 0) {
            st.kept.push_back(x.narrow(0, 0, keep));
            st.keptRows += keep;
        }
    }
    if (!estimate) {
        st.sumNorm = st.sumSq = 1;
        st.seen = 1;
    } else if (worldSize() > 1) {
        at::Tensor totals =
            at::tensor({st.sumNorm, st.sumSq, static_cast<double>(st.seen)}, at::kDouble);
        m_settings.comm->allReduce({totals, st.sum}, dist::ReduceOp::Sum);
        st.sumNorm = totals[0].item<double>();
        st.sumSq = totals[1].item<double>();
        st.seen = static_cast<int64_t>(totals[2].item<double>());
    }
    m_source.restore(start);
    const double n = static_cast<double>(st.seen);
    const at::Tensor mean = st.sum / n;
    at::Tensor median =
        wantMedian && estimate ? geometricMedian(at::cat(st.kept, 0).to(m_device)).cpu() : mean;
    if (wantMedian && estimate && worldSize() > 1) {
        // Each rank saw only its slices: rank 0's median is everyone's, so the weights agree.
        median = median.contiguous();
        m_settings.comm->broadcast({median}, 0);
    }
    m_trainers.clear();
    m_scales.clear();
    for (size_t i = 0; i < m_settings.saes.size(); ++i) {
        const auto& c = m_settings.saes[i];
        const double s = normalizationScale(c.normalization, c.dIn, st.sumNorm / n, st.sumSq / n);
        // Mean and geometric median are equivariant: those of the scaled rows are s times these.
        const at::Tensor bDec = c.bDecInit == BDecInit::Zeros             ? at::zeros_like(mean)
                                : c.bDecInit == BDecInit::GeometricMedian ? median * s
                                                                          : mean * s;
        m_scales.push_back(s);
        m_trainers.push_back(
            std::make_unique<SaeTrainer>(c, m_totalSteps, bDec, m_settings.seed + i, m_device));
        m_trainers.back()->setCommunicator(m_settings.comm);
    }
    m_step = 0;
}

std::pair<int64_t, int64_t> SweepTrainer::deadLatents(size_t i) const {
    const SaeTrainer& t = *m_trainers.at(i);
    const int64_t window =
        std::max<int64_t>(1, std::min(t.config().deadWindowTokens, m_step * m_batch));
    return {t.deadLatents(window), window};
}

nlohmann::json SweepTrainer::describe() const {
    nlohmann::json saes = nlohmann::json::array();
    for (size_t i = 0; i < m_trainers.size(); ++i)
        saes.push_back({{"config", saeConfigToJson(m_trainers[i]->config())},
                        {"schedule", m_trainers[i]->schedule().toJson()}});
    return {{"tokens", m_settings.tokens}, {"seed", m_settings.seed}, {"saes", saes}};
}

void SweepTrainer::saveCheckpoint() const {
    // Every rank holds the same state; rank 0 alone writes it.
    if (m_settings.checkpointDir.empty() || (m_settings.comm && m_settings.comm->rank() != 0))
        return;
    fs::create_directories(m_settings.checkpointDir);
    NamedTensors tensors;
    nlohmann::json info = describe();
    info["version"] = 1;
    info["step"] = m_step;
    info["world_size"] = worldSize();
    nlohmann::json trainerInfo = nlohmann::json::array();
    for (size_t i = 0; i < m_trainers.size(); ++i) {
        nlohmann::json ti;
        m_trainers[i]->saveState(tensors, "sae" + std::to_string(i) + ".", ti);
        trainerInfo.push_back(ti);
        tensors.emplace_back("sae" + std::to_string(i) + ".scale",
                             at::full({1}, m_scales[i], at::kDouble));
    }
    info["trainers"] = trainerInfo;
    SourceState src = m_source.state();
    info["source"] = src.info;
    for (auto& [name, t] : src.tensors)
        tensors.emplace_back("source." + name, t.contiguous());
    {
        at::Generator g = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(g.mutex());
        tensors.emplace_back("torch_rng", g.get_state());
    }
    io::saveTensors(checkpointPath(), tensors, {{"mistudio_checkpoint", info.dump()}});
}

void SweepTrainer::loadCheckpoint() {
    const std::string path = checkpointPath();
    if (m_settings.checkpointDir.empty() || !fs::exists(path))
        throw Exception(ErrorCode::NotFound, "no checkpoint to resume from", path,
                        "start the run without --resume");
    auto file = io::SafetensorsFile::open(path);
    auto it = file->metadata().find("mistudio_checkpoint");
    if (it == file->metadata().end())
        throw Exception(ErrorCode::InvalidFormat, "not a miStudio training checkpoint", path, "");
    const nlohmann::json info = nlohmann::json::parse(it->second);
    NamedTensors tensors;
    for (const auto& t : file->tensors())
        tensors.emplace_back(t.name, file->load(t.name, io::toScalarType(t.dtype)));
    // The checkpoint must belong to these settings; trainers are built from them, then filled.
    initialise(false);
    const nlohmann::json expected = describe();
    for (const char* key : {"tokens", "seed", "saes"})
        if (info.at(key) != expected.at(key))
            throw Exception(ErrorCode::InvalidArgument,
                            std::string("the checkpoint was written with another '") + key +
                                "' setting",
                            path, "resume with the RUN.json that started the run");
    const int written = info.value("world_size", 1);
    if (written != worldSize() && !m_settings.allowReshard)
        throw Exception(ErrorCode::InvalidArgument,
                        "the checkpoint was written by a job of " + std::to_string(written) +
                            " rank(s); this job has " + std::to_string(worldSize()),
                        path,
                        "resume with WORLD_SIZE=" + std::to_string(written) +
                            ", or pass --reshard to continue the same global batch stream on " +
                            std::to_string(worldSize()) +
                            " rank(s) (equal within fp32 tolerance, not bit for bit; see "
                            "docs/DISTRIBUTED.md)");
    for (size_t i = 0; i < m_trainers.size(); ++i) {
        const std::string prefix = "sae" + std::to_string(i) + ".";
        m_trainers[i]->loadState(tensors, prefix, info.at("trainers").at(i));
        for (const auto& [n, t] : tensors)
            if (n == prefix + "scale")
                m_scales[i] = t.item<double>();
    }
    SourceState src;
    src.info = info.at("source");
    for (const auto& [n, t] : tensors)
        if (n.rfind("source.", 0) == 0)
            src.tensors.emplace_back(n.substr(7), t);
    m_source.restore(src);
    for (const auto& [n, t] : tensors)
        if (n == "torch_rng") {
            at::Generator g = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(g.mutex());
            g.set_state(t);
        }
    m_step = info.at("step").get<int64_t>();
}

void SweepTrainer::trainStep(JobContext& ctx, const StepCallback& onLog, double& tokensPerSecond) {
    at::Tensor x = m_source.next(m_localBatch).to(m_device);
    if (!at::isfinite(x).all().item<bool>())
        throw Exception(ErrorCode::NumericalError,
                        "the activations contain NaN or Inf at step " + std::to_string(m_step) +
                            " (tokens " + std::to_string(m_step * m_batch) + " to " +
                            std::to_string((m_step + 1) * m_batch - 1) + ")",
                        m_source.describe(), "check the model's precision and the cache");
    const bool log = m_settings.logEvery > 0 &&
                     ((m_step + 1) % m_settings.logEvery == 0 || m_step + 1 == m_totalSteps);
    for (size_t i = 0; i < m_trainers.size(); ++i) {
        StepMetrics m = m_trainers[i]->step(x * m_scales[i], m_step, log);
        if (!log)
            continue;
        m.tokens = (m_step + 1) * m_batch;
        m.tokensPerSecond = tokensPerSecond;
        const std::string p = m_trainers.size() > 1 ? m_trainers[i]->config().name + "/" : "";
        for (const auto& [name, value] : namedStepMetrics(m))
            ctx.metric(m.step, p + name, value);
        if (onLog)
            onLog(i, m);
    }
}

void SweepTrainer::run(JobContext& ctx, bool resume, const StepCallback& onLog) {
    if (resume)
        loadCheckpoint();
    else
        initialise(true);
    auto lastCheckpoint = Clock::now();
    auto lastLog = Clock::now();
    auto lastProgress = Clock::now();
    int64_t lastLogStep = m_step;
    double tokensPerSecond = 0;
    while (m_step < m_totalSteps) {
        if (cancelled(ctx)) {
            saveCheckpoint();
            ctx.throwIfCancelled();
            throw Exception(ErrorCode::Cancelled, "cancelled on another rank");
        }
        if (m_settings.logEvery > 0 && (m_step + 1) % m_settings.logEvery == 0) {
            const double secs = std::chrono::duration<double>(Clock::now() - lastLog).count();
            tokensPerSecond = secs > 0 ? (m_step - lastLogStep) * m_batch / secs : 0;
            lastLog = Clock::now();
            lastLogStep = m_step;
        }
        trainStep(ctx, onLog, tokensPerSecond);
        ++m_step;
        if (Clock::now() - lastProgress > std::chrono::milliseconds(250)) {
            ctx.progress("training", static_cast<double>(m_step * m_batch),
                         static_cast<double>(m_totalSteps * m_batch), "tokens");
            lastProgress = Clock::now();
        }
        const double minutes =
            std::chrono::duration<double>(Clock::now() - lastCheckpoint).count() / 60.0;
        if (m_settings.checkpointMinutes > 0 && minutes >= m_settings.checkpointMinutes) {
            saveCheckpoint();
            lastCheckpoint = Clock::now();
        }
    }
    saveCheckpoint();
}

} // namespace mistudio::sae
