// CUDA kernels against their CPU twins. Skips with a reason when no GPU is usable.
#include "mistudio/environment.h"
#include "ops/sparse_decode.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <torch/cuda.h>

using namespace mistudio;

class TestOpsGpu : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sparseDecodeCudaMatchesCpu();
};

void TestOpsGpu::sparseDecodeCudaMatchesCpu() {
    const EnvironmentInfo env = describeEnvironment();
    if (!torch::cuda::is_available())
        QSKIP(env.torchHasCuda ? "no CUDA device on this machine"
                               : "this LibTorch has no CUDA (CPU build); nothing to compare");
    at::manual_seed(5);
    const int64_t B = 257, k = 32, n = 4096, d = 768;
    at::Tensor weight = at::randn({n, d});
    at::Tensor bias = at::randn({d});
    at::Tensor indices = at::randint(0, n, {B, k}, at::kLong);
    at::Tensor values = at::rand({B, k});
    at::Tensor cpu = ops::sparseDecode(indices, values, weight, bias);
    at::Tensor gpu =
        ops::sparseDecode(indices.cuda(), values.cuda(), weight.cuda(), bias.cuda()).cpu();
    const double err = (gpu - cpu).abs().max().item<double>();
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err))); // fp32, different summation order
}

QTEST_GUILESS_MAIN(TestOpsGpu)
#include "test_ops_gpu.moc"
