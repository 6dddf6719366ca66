// core/quant's torch reference path on CUDA against the same code on CPU. Skips without a GPU.
#include "mistudio/environment.h"
#include "quant/quant.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <torch/cuda.h>

using namespace mistudio;
using namespace mistudio::quant;

class TestQuantGpu : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cudaMatchesCpu();
    void kernelMatchesReference();
};

void TestQuantGpu::cudaMatchesCpu() {
    if (!torch::cuda::is_available())
        QSKIP(describeEnvironment().torchHasCuda ? "no CUDA device on this machine"
                                                 : "this build's LibTorch has no CUDA");
    at::manual_seed(12);
    const at::Tensor w = at::randn({96, 160}), x = at::randn({4, 160}), b = at::randn({96});
    const at::Device cuda(at::kCUDA);
    for (const QuantConfig& c :
         {QuantConfig{QuantMode::Int8}, QuantConfig{QuantMode::NF4},
          QuantConfig{QuantMode::NF4, 64, true}, QuantConfig{QuantMode::Int4, 32},
          QuantConfig{QuantMode::Int4, 64}}) {
        const QuantizedTensor onCpu = quantize(w, c);
        const QuantizedTensor onGpu = quantize(w.to(cuda), c);
        // Same codes (quantization is elementwise IEEE arithmetic + nearest code).
        QVERIFY2(at::equal(onGpu.data.cpu(), onCpu.data), quantModeName(c.mode));
        const at::Tensor dq = dequantize(onGpu).cpu();
        QVERIFY((dq - dequantize(onCpu)).abs().max().item<double>() <= 1e-6);
        // Moving a CPU-quantized weight to the GPU dequantizes to the same values.
        QVERIFY((dequantize(onCpu.to(cuda)).cpu() - dequantize(onCpu)).abs().max().item<double>() <=
                1e-6);
        QuantizedLinear l = QuantizedLinear::make(w, b, c, at::kFloat);
        const at::Tensor yCpu = l.forward(x);
        l.weight = l.weight.to(cuda);
        l.bias = l.bias.to(cuda);
        const at::Tensor yGpu = l.forward(x.to(cuda)).cpu();
        QVERIFY(((yGpu - yCpu).norm() / yCpu.norm()).item<double>() < 1e-3);
        // Half compute dtype on the GPU stays close to the fp32 result.
        l.computeDtype = at::kHalf;
        const at::Tensor yHalf = l.forward(x.to(cuda)).to(at::kFloat).cpu();
        QVERIFY(((yHalf - yCpu).norm() / yCpu.norm()).item<double>() < 5e-3);
    }
}

// The fused CUDA dequantization kernel against the torch-ops reference, on the same GPU and on
// the CPU, for every quantized format, odd sizes (a half-filled last byte and block), double
// quantization and each output dtype.
void TestQuantGpu::kernelMatchesReference() {
    if (!torch::cuda::is_available())
        QSKIP(describeEnvironment().torchHasCuda ? "no CUDA device on this machine"
                                                 : "this build's LibTorch has no CUDA");
    if (!cudaDequantKernelAvailable())
        QSKIP("this build has no CUDA kernels (nvcc was not found at configure time)");
    at::manual_seed(5);
    const at::Device cuda(at::kCUDA);
    const at::Tensor w = at::randn({300, 517}) * 0.05; // 155100 weights: not a multiple of 64
    for (const QuantConfig& c :
         {QuantConfig{QuantMode::Int8}, QuantConfig{QuantMode::NF4},
          QuantConfig{QuantMode::NF4, 64, true}, QuantConfig{QuantMode::Int4, 32},
          QuantConfig{QuantMode::Int4, 64}}) {
        const QuantizedTensor q = quantize(w, c).to(cuda);
        const at::Tensor cpuRef = at::empty(w.sizes());
        dequantizeIntoReference(quantize(w, c), cpuRef);
        for (at::ScalarType t : {at::kFloat, at::kHalf, at::kBFloat16}) {
            const at::Tensor kernel = at::empty(w.sizes(), at::TensorOptions(cuda).dtype(t));
            const at::Tensor reference = at::empty_like(kernel);
            dequantizeInto(q, kernel);
            dequantizeIntoReference(q, reference);
            const double tol = t == at::kFloat ? 1e-6 : t == at::kHalf ? 1e-3 : 8e-3;
            const double vsGpu =
                (kernel.to(at::kFloat) - reference.to(at::kFloat)).abs().max().item<double>();
            const double vsCpu = (kernel.to(at::kFloat).cpu() - cpuRef).abs().max().item<double>();
            const double scale = cpuRef.abs().max().item<double>();
            QVERIFY2(vsGpu <= tol * scale && vsCpu <= tol * scale,
                     qPrintable(QStringLiteral("%1 dtype %2: %3 / %4")
                                    .arg(quantModeName(c.mode))
                                    .arg(int(t))
                                    .arg(vsGpu)
                                    .arg(vsCpu)));
        }
        // The chunked linear (rowSlice + kernel into a reused buffer) matches the CPU's.
        if (rowSliceable(q)) {
            const at::Tensor x = at::randn({3, 517});
            const at::Tensor y = linear(x.to(cuda), q).cpu();
            const at::Tensor yRef = at::linear(x, cpuRef);
            QVERIFY(((y - yRef).norm() / yRef.norm()).item<double>() < 1e-4);
        }
    }
}

QTEST_GUILESS_MAIN(TestQuantGpu)
#include "test_quant_gpu.moc"
