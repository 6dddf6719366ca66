// core/ops on CPU: each op against an independent dense formulation. Tolerance fp32: 1e-5 rel.
#include "ops/sparse_decode.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace mistudio;

class TestOps : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sparseDecodeEqualsDenseProduct();
    void sparseDecodeRejectsBadShapes();
};

void TestOps::sparseDecodeEqualsDenseProduct() {
    at::manual_seed(3);
    const int64_t B = 33, k = 7, n = 300, d = 48;
    at::Tensor weight = at::randn({n, d});
    at::Tensor bias = at::randn({d});
    at::Tensor indices = at::randint(0, n, {B, k}, at::kLong);
    at::Tensor values = at::rand({B, k});
    // Dense code: scatter the k values into a [B, n] matrix (duplicates add up, as in the sum).
    at::Tensor dense = at::zeros({B, n});
    dense.scatter_add_(1, indices, values);
    at::Tensor expected = at::matmul(dense, weight) + bias;
    at::Tensor got = ops::sparseDecode(indices, values, weight, bias);
    QCOMPARE(got.sizes().vec(), expected.sizes().vec());
    const double err = (got - expected).abs().max().item<double>();
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // Without bias.
    at::Tensor noBias = ops::sparseDecode(indices, values, weight, at::Tensor());
    QVERIFY((noBias + bias - got).abs().max().item<double>() < 1e-4);
}

void TestOps::sparseDecodeRejectsBadShapes() {
    at::Tensor w = at::randn({10, 4});
    bool threw = false;
    try {
        ops::sparseDecode(at::zeros({2, 3}, at::kLong), at::zeros({2, 2}), w, at::Tensor());
    } catch (const std::exception& e) {
        threw = QString(e.what()).contains(QStringLiteral("[batch, k]"));
    }
    QVERIFY(threw);
}

QTEST_GUILESS_MAIN(TestOps)
#include "test_ops.moc"
