// core/quant weight formats: codebook, packing, exactness on the grid, error bounds (random and
// real fixture weights), QuantizedLinear, and the compute-dtype decision.
#include "io/safetensors.h"
#include "model/mapped_pages.h"
#include "quant/quant.h"
#include "quant/streaming.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <cctype>
#include <cmath>
#include <stdexcept>

using namespace mistudio;
using namespace mistudio::quant;

namespace {

// Relative Frobenius error ||dq(q(w)) - w|| / ||w|| allowed per mode. Measured on N(0,1)
// [256, 512] weights: int8 0.0074, nf4 0.092 (double-quant 0.092), int4/32 0.097, int4/64 0.107.
constexpr double kInt8RelErr = 0.012;
constexpr double kNF4RelErr = 0.11;
constexpr double kInt4Block32RelErr = 0.11;
constexpr double kInt4Block64RelErr = 0.12;
// Fixture weights (all ten fixture models), worst tensor: int8 0.0071, nf4+dq 0.094, int4 0.102.
constexpr double kInt8RelErrReal = 0.010;
constexpr double kNF4RelErrReal = 0.11;
constexpr double kInt4RelErrReal = 0.12;

double relErr(const at::Tensor& approx, const at::Tensor& exact) {
    return ((approx - exact).norm() / exact.norm()).item<double>();
}

bool bitEqual(const at::Tensor& a, const at::Tensor& b) {
    return a.sizes() == b.sizes() && at::equal(a.view(at::kInt), b.view(at::kInt));
}

} // namespace

class TestQuant : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void traitsAndNames();
    void nf4CodebookIsQLoRANormalFloat();
    void packingHandCases();
    void nf4PicksNearestCodeAndPerBlockAbsmax();
    void exactOnTheGrid();
    void randomRoundTripWithinBounds();
    void elementwiseErrorBounds();
    void chunkedProcessingIsSeamless();
    void streamingFromTheFileByPread();
    void rowLookupMatchesFullDequantize();
    void fixtureWeightsWithinBounds();
    void quantizedLinearForwardAndBytes();
    void rowSliceAndChunkedLinear();
    void resolveComputeTypeFallbacks();
};

void TestQuant::traitsAndNames() {
    for (const char* name : {"none", "bf16", "fp16", "int8", "nf4", "int4"})
        QCOMPARE(QString(quantModeName(parseQuantMode(name))), QString(name));
    try {
        parseQuantMode("q4_k");
        QFAIL("expected an error");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::InvalidArgument);
        QVERIFY(QString(e.what()).contains(QStringLiteral("none|bf16|fp16|int8|nf4|int4")));
    }
    QVERIFY(traits(QuantMode::NF4).quantized && !traits(QuantMode::BF16).quantized);
    QCOMPARE(traits(QuantMode::NF4).blockSize, int64_t(64));
}

void TestQuant::nf4CodebookIsQLoRANormalFloat() {
    // Rebuild NF4 as in QLoRA/bitsandbytes create_normal_map(offset=0.9677083): 8 positive
    // quantiles of N(0,1) on linspace(offset, 0.5, 9)[:-1], 7 negative on linspace(offset, 0.5,
    // 8)[:-1], plus 0, normalized by the largest. Quantile: sqrt(2) * erfinv(2p - 1).
    const double offset = 0.9677083;
    auto ppf = [](const at::Tensor& p) { return std::sqrt(2.0) * at::erfinv(2 * p - 1); };
    at::Tensor pos = ppf(at::linspace(offset, 0.5, 9, at::kFloat).narrow(0, 0, 8).to(at::kDouble));
    at::Tensor neg = -ppf(at::linspace(offset, 0.5, 8, at::kFloat).narrow(0, 0, 7).to(at::kDouble));
    at::Tensor all = std::get<0>(at::cat({pos, neg, at::zeros({1}, at::kDouble)}).sort());
    all = all / all.max();
    QCOMPARE(all.numel(), int64_t(16));
    for (int i = 0; i < 16; ++i)
        QVERIFY2(std::abs(all[i].item<double>() - kNF4Codebook[i]) < 2e-6,
                 qPrintable(QString::number(i)));
    QCOMPARE(kNF4Codebook[7], 0.0f);
    QCOMPARE(kNF4Codebook[0], -1.0f);
    QCOMPARE(kNF4Codebook[15], 1.0f);
}

void TestQuant::packingHandCases() {
    const at::Tensor codes = at::tensor(std::vector<uint8_t>{1, 2, 15, 0, 7, 8, 0, 15});
    const at::Tensor packed = packNibbles(codes);
    QCOMPARE(packed.scalar_type(), at::kByte);
    const std::vector<int64_t> expected = {0x12, 0xF0, 0x78, 0x0F};
    QCOMPARE(packed.numel(), int64_t(4));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(packed[i].item<int64_t>(), expected[i]);
    QVERIFY(at::equal(unpackNibbles(packed), codes));
    QVERIFY_THROWS_EXCEPTION(Exception, packNibbles(codes.narrow(0, 0, 3)));
}

void TestQuant::nf4PicksNearestCodeAndPerBlockAbsmax() {
    at::manual_seed(5);
    const at::Tensor w = at::randn({3, 50}); // 150 weights: blocks of 64, last one padded
    const QuantizedTensor q = quantize(w, {QuantMode::NF4, 64, false});
    QCOMPARE(q.scales.numel(), int64_t(3));
    QCOMPARE(q.data.numel(), int64_t(3 * 64 / 2));
    const at::Tensor codes = unpackNibbles(q.data);
    const at::Tensor flat = w.flatten();
    for (int64_t i = 0; i < flat.numel(); ++i) {
        const int64_t block = i / 64;
        const float absmax = flat.narrow(0, block * 64, std::min<int64_t>(64, 150 - block * 64))
                                 .abs()
                                 .max()
                                 .item<float>();
        QCOMPARE(q.scales[block].item<float>(), absmax);
        const float x = flat[i].item<float>() / absmax;
        int best = 0; // brute-force nearest codebook entry
        for (int c = 1; c < 16; ++c)
            if (std::abs(x - kNF4Codebook[c]) < std::abs(x - kNF4Codebook[best]))
                best = c;
        QCOMPARE(codes[i].item<int>(), best);
    }
    for (int64_t i = 150; i < 192; ++i) // padding quantizes to the 0 code
        QCOMPARE(codes[i].item<int>(), 7);
    QCOMPARE(dequantize(q).sizes().vec(), w.sizes().vec());
}

void TestQuant::exactOnTheGrid() {
    // Values k * 2^-3 with a full-range k in every row/block: the scale is recovered exactly
    // (max / 127, max / 7 and x / max are exact in fp32), so the round trip is bit-exact.
    at::manual_seed(9);
    const float s = 0.125f;
    at::Tensor k8 = at::randint(-127, 128, {16, 64}).to(at::kFloat);
    k8.select(1, 5).fill_(127);
    const at::Tensor w8 = k8 * s;
    QVERIFY(bitEqual(dequantize(quantize(w8, {QuantMode::Int8})), w8));
    for (int64_t block : {32, 64}) {
        at::Tensor k4 = at::randint(-7, 8, {8, 128}).to(at::kFloat);
        k4.view({-1, block}).select(1, 3).fill_(-7);
        const at::Tensor w4 = k4 * s;
        QVERIFY(bitEqual(dequantize(quantize(w4, {QuantMode::Int4, block})), w4));
    }
    const at::Tensor book =
        at::tensor(std::vector<float>(kNF4Codebook.begin(), kNF4Codebook.end()));
    at::Tensor idx = at::randint(0, 16, {8, 128}, at::kLong);
    idx.view({-1, 64}).select(1, 0).fill_(15); // a +1.0 code in each block: absmax = scale
    const at::Tensor scales = at::pow(2.0, at::randint(-4, 4, {16})).to(at::kFloat);
    const at::Tensor wnf =
        (book.index_select(0, idx.flatten()).view({-1, 64}) * scales.unsqueeze(1)).view({8, 128});
    QVERIFY(bitEqual(dequantize(quantize(wnf, {QuantMode::NF4})), wnf));
    // Double quantization is exact too when every block has the same absmax (centred scales 0).
    const at::Tensor same = (book.index_select(0, idx.flatten()) * 0.5f).view({8, 128});
    const QuantizedTensor dq = quantize(same, {QuantMode::NF4, 64, true});
    QVERIFY(dq.doubleQuant && dq.scales.scalar_type() == at::kChar);
    QVERIFY(bitEqual(dequantize(dq), same));
    // Non-quantized modes: bf16 values survive bf16 storage.
    const at::Tensor bf = at::randn({4, 4}).to(at::kBFloat16).to(at::kFloat);
    QVERIFY(bitEqual(dequantize(quantize(bf, {QuantMode::BF16})), bf));
}

void TestQuant::randomRoundTripWithinBounds() {
    at::manual_seed(1);
    const at::Tensor w = at::randn({256, 512});
    const double e8 = relErr(dequantize(quantize(w, {QuantMode::Int8})), w);
    const double enf = relErr(dequantize(quantize(w, {QuantMode::NF4})), w);
    const double enfdq = relErr(dequantize(quantize(w, {QuantMode::NF4, 64, true})), w);
    const double e432 = relErr(dequantize(quantize(w, {QuantMode::Int4, 32})), w);
    const double e464 = relErr(dequantize(quantize(w, {QuantMode::Int4, 64})), w);
    qInfo("relative error int8 %.4f nf4 %.4f nf4+dq %.4f int4/32 %.4f int4/64 %.4f", e8, enf, enfdq,
          e432, e464);
    QVERIFY(e8 < kInt8RelErr);
    QVERIFY(enf < kNF4RelErr && enfdq < kNF4RelErr);
    QVERIFY(std::abs(enfdq - enf) < 0.01 * enf); // 8-bit scales cost almost nothing
    QVERIFY(e432 < kInt4Block32RelErr && e464 < kInt4Block64RelErr);
    QVERIFY(e8 < e432 && e432 < e464); // finer formats are more accurate
    // fp16/bf16 storage: half precision rounding only.
    QVERIFY(relErr(dequantize(quantize(w, {QuantMode::BF16})), w) < 4e-3);
    QVERIFY(relErr(dequantize(quantize(w, {QuantMode::FP16})), w) < 5e-4);
}

void TestQuant::elementwiseErrorBounds() {
    // Round-to-nearest guarantees |error| <= step / 2 per element (int8: scale per row; int4:
    // scale per block; nf4: half the widest codebook gap times the block absmax).
    at::manual_seed(2);
    const at::Tensor w = at::randn({64, 256}) * at::rand({64, 1}) * 3;
    const QuantizedTensor q8 = quantize(w, {QuantMode::Int8});
    QVERIFY(
        ((dequantize(q8) - w).abs() <= q8.scales.unsqueeze(1) / 2 * (1 + 1e-5)).all().item<bool>());
    const QuantizedTensor q4 = quantize(w, {QuantMode::Int4, 64});
    QVERIFY(((dequantize(q4) - w).abs().view({-1, 64}) <= q4.scales.unsqueeze(1) / 2 * (1 + 1e-5))
                .all()
                .item<bool>());
    float gap = 0;
    for (size_t i = 0; i + 1 < kNF4Codebook.size(); ++i)
        gap = std::max(gap, kNF4Codebook[i + 1] - kNF4Codebook[i]);
    const QuantizedTensor qn = quantize(w, {QuantMode::NF4});
    QVERIFY(((dequantize(qn) - w).abs().view({-1, 64}) <=
             qn.scales.unsqueeze(1) * (gap / 2) * (1 + 1e-5))
                .all()
                .item<bool>());
}

void TestQuant::chunkedProcessingIsSeamless() {
    // 4.2M weights span two kChunkWeights steps with a padded last block. Quantizing the top and
    // bottom rows separately (split on a block boundary) must give exactly the same codes/scales.
    at::manual_seed(8);
    const at::Tensor w = at::randn({1030, 4100});
    QVERIFY(w.numel() > kChunkWeights);
    const int64_t split = 512; // 512 * 4100 is a multiple of 64
    const at::Tensor top = w.narrow(0, 0, split), bottom = w.narrow(0, split, 1030 - split);
    for (const QuantConfig& c : {QuantConfig{QuantMode::Int8}, QuantConfig{QuantMode::NF4},
                                 QuantConfig{QuantMode::Int4, 64}}) {
        const QuantizedTensor all = quantize(w, c), a = quantize(top, c), b = quantize(bottom, c);
        QVERIFY2(at::equal(all.data, at::cat({a.data, b.data})), quantModeName(c.mode));
        QVERIFY2(at::equal(all.scales, at::cat({a.scales, b.scales})), quantModeName(c.mode));
        const at::Tensor dq = dequantize(all);
        QVERIFY(at::equal(dq, at::cat({dequantize(a), dequantize(b)})));
        at::Tensor buffer = at::empty({1030 * 4100}, at::kBFloat16); // reusable scratch
        dequantizeInto(all, buffer);
        QVERIFY(at::equal(buffer.view({1030, 4100}), dq.to(at::kBFloat16)));
    }
    QVERIFY_THROWS_EXCEPTION(Exception,
                             dequantizeInto(quantize(w, {QuantMode::Int8}), at::empty({5})));
}

// Rss (kB) of this process's mappings of `path`, from /proc/self/smaps.
static int64_t mappedRssKb(const std::string& path) {
    QFile smaps(QStringLiteral("/proc/self/smaps"));
    if (!smaps.open(QIODevice::ReadOnly | QIODevice::Text))
        return -1;
    int64_t total = 0;
    bool inFile = false;
    for (const QByteArray& line : smaps.readAll().split('\n')) {
        if (!line.isEmpty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
            line.contains('-'))
            inFile = line.endsWith(QByteArray::fromStdString(path));
        else if (inFile && line.startsWith("Rss:"))
            total += line.mid(4).trimmed().split(' ').first().toLongLong();
    }
    return total;
}

// Quantizing a mapped weight reads each chunk with pread (MappedRanges::read) instead of faulting
// the mapping in: the codes and scales must equal quantizing the tensor in memory, exactly, and
// the mapping's pages must stay out of the process (mincore on the mapped range).
void TestQuant::streamingFromTheFileByPread() {
    QTemporaryDir dir;
    at::manual_seed(12);
    const at::Tensor w = at::randn({1030, 4100}).to(at::kBFloat16); // 2 chunks + a padded block
    const std::string file = dir.filePath("w.safetensors").toStdString();
    mistudio::io::saveTensors(file, {{"pad", at::ones({3}, at::kByte)}, {"w", w}});
    const auto st = mistudio::io::SafetensorsModel::open(file);
    const mistudio::model::MappedRanges mapped(st);
    const at::Tensor view = st.view("w");
    for (const QuantConfig& c :
         {QuantConfig{QuantMode::Int8}, QuantConfig{QuantMode::NF4},
          QuantConfig{QuantMode::NF4, 64, true}, QuantConfig{QuantMode::Int4, 32}}) {
        at::Tensor buffer;
        int64_t fetches = 0;
        const QuantizedTensor streamed =
            mistudio::quant::quantizeStreaming(view, c, {}, [&](const at::Tensor& part) {
                ++fetches;
                const at::Tensor read = mapped.read(part, buffer);
                // a copy in our buffer, never the mapping itself
                if (read.data_ptr() == part.data_ptr())
                    throw std::runtime_error("read() returned the mapped view");
                return read;
            });
        const QuantizedTensor reference = quantize(w, c);
        QVERIFY2(fetches >= 2, quantModeName(c.mode));
        QVERIFY2(at::equal(streamed.data, reference.data), quantModeName(c.mode));
        QVERIFY2(at::equal(streamed.scales, reference.scales), quantModeName(c.mode));
        QVERIFY(buffer.defined() && buffer.nbytes() <= size_t(kChunkWeights) * 2); // one chunk
    }
    // A tensor outside any mapping comes back as itself.
    at::Tensor buffer;
    const at::Tensor plain = at::ones({4});
    QCOMPARE(mapped.read(plain, buffer).data_ptr(), plain.data_ptr());
    // None of w's mapped pages became resident in this process (no drop() was called here, so
    // any page read through the mapping would still count): the mapping's Rss in smaps.
    QVERIFY2(mappedRssKb(file) < 1024, // the header page(s) + fault-around; a chunk is 8 MB
             qPrintable(QString::number(mappedRssKb(file))));
}

void TestQuant::rowLookupMatchesFullDequantize() {
    at::manual_seed(10);
    const at::Tensor emb = at::randn({50, 128});
    const at::Tensor ids = at::tensor(std::vector<int64_t>{3, 0, 49, 3, 17, 8}).view({2, 3});
    for (const QuantConfig& c :
         {QuantConfig{QuantMode::None}, QuantConfig{QuantMode::BF16}, QuantConfig{QuantMode::Int8},
          QuantConfig{QuantMode::NF4}, QuantConfig{QuantMode::NF4, 64, true},
          QuantConfig{QuantMode::Int4, 32}}) {
        const QuantizedTensor q = quantize(emb, c);
        const at::Tensor expected = dequantize(q).index_select(0, ids.flatten()).view({2, 3, 128});
        QVERIFY2(at::equal(dequantizeRows(q, ids), expected), quantModeName(c.mode));
    }
    // 4-bit blocks would straddle rows of 100 columns: refused with a reason.
    QVERIFY_THROWS_EXCEPTION(Exception,
                             dequantizeRows(quantize(at::randn({4, 100}), {QuantMode::NF4}), ids));
}

void TestQuant::fixtureWeightsWithinBounds() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k/model.safetensors");
    const QStringList models = QDir(test::sharedDir() + QStringLiteral("/fixtures/models"))
                                   .entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    QVERIFY(models.size() >= 10);
    for (const QString& model : models) {
        const auto st =
            io::SafetensorsModel::open(test::fixture(QStringLiteral("fixtures/models/") + model));
        int checked = 0;
        double worst8 = 0, worstNf = 0, worst4 = 0;
        for (const std::string& name : st.names()) {
            const at::Tensor w = st.load(name);
            if (w.dim() != 2 || w.numel() < 4096)
                continue;
            ++checked;
            const double e8 = relErr(dequantize(quantize(w, {QuantMode::Int8})), w);
            const double enf = relErr(dequantize(quantize(w, {QuantMode::NF4, 64, true})), w);
            const double e4 = relErr(dequantize(quantize(w, {QuantMode::Int4, 32})), w);
            QVERIFY2(e8 < kInt8RelErrReal && enf < kNF4RelErrReal && e4 < kInt4RelErrReal,
                     qPrintable(QString("%1 %2: int8 %3 nf4 %4 int4 %5")
                                    .arg(model, name.c_str())
                                    .arg(e8)
                                    .arg(enf)
                                    .arg(e4)));
            worst8 = std::max(worst8, e8);
            worstNf = std::max(worstNf, enf);
            worst4 = std::max(worst4, e4);
        }
        qInfo("%s: worst relative error int8 %.4f nf4+dq %.4f int4/32 %.4f", qPrintable(model),
              worst8, worstNf, worst4);
        QVERIFY(checked >= 8);
    }
}

void TestQuant::quantizedLinearForwardAndBytes() {
    at::manual_seed(4);
    const at::Tensor w = at::randn({128, 64}), b = at::randn({128}), x = at::randn({2, 5, 64});
    const QuantizedLinear l = QuantizedLinear::make(w, b, {QuantMode::NF4}, at::kFloat);
    const at::Tensor y = l.forward(x);
    QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 5, 128}));
    // Independent formulation: explicit broadcast-multiply-sum with the dequantized weight.
    const at::Tensor expected =
        (x.unsqueeze(-2) * dequantize(l.weight).view({1, 1, 128, 64})).sum(-1) + b;
    QVERIFY((y - expected).abs().max().item<double>() < 1e-4);
    const at::Tensor exact = at::linear(x, w, b);
    QVERIFY(relErr(y - b, exact - b) < kNF4RelErr * 1.5);
    // 8192 weights: 4096 packed bytes + 128 fp32 absmaxes + 128 fp32 biases.
    QCOMPARE(l.bytes(), int64_t(4096 + 128 * 4 + 128 * 4));
    const QuantizedLinear l8 =
        QuantizedLinear::make(w, at::Tensor(), {QuantMode::Int8}, at::kFloat);
    QCOMPARE(l8.bytes(), int64_t(8192 + 128 * 4));
    QVERIFY(relErr(l8.forward(x), at::linear(x, w)) < kInt8RelErr);
    const QuantizedLinear ldq =
        QuantizedLinear::make(w, at::Tensor(), {QuantMode::NF4, 64, true}, at::kFloat);
    QCOMPARE(ldq.bytes(), int64_t(4096 + 256 + 4)); // int8 scales padded to 256, one fp32 absmax
    QVERIFY_THROWS_EXCEPTION(Exception, l.forward(at::randn({3, 63})));
    QVERIFY_THROWS_EXCEPTION(Exception,
                             QuantizedLinear::make(b, at::Tensor(), {QuantMode::Int8}, at::kFloat));
}

void TestQuant::rowSliceAndChunkedLinear() {
    // 9000 x 1024: kChunkWeights / 1024 = 4096 rows per chunk, so linear() takes three chunks
    // (the last one partial) and dequantizes each into the same scratch buffer.
    at::manual_seed(21);
    const at::Tensor w = at::randn({9000, 1024}) * 0.02, b = at::randn({9000});
    const at::Tensor x = at::randn({2, 3, 1024});
    QVERIFY(w.size(0) > 2 * (kChunkWeights / w.size(1)));
    for (const QuantConfig& c :
         {QuantConfig{QuantMode::Int8}, QuantConfig{QuantMode::NF4},
          QuantConfig{QuantMode::NF4, 64, true}, QuantConfig{QuantMode::Int4, 32}}) {
        const QuantizedTensor q = quantize(w, c);
        QVERIFY(rowSliceable(q));
        const at::Tensor full = dequantize(q);
        // A slice dequantizes to exactly the rows of the whole (double-quant scales included).
        using Range = std::pair<int64_t, int64_t>;
        for (auto [r0, n] : {Range{0, 1}, Range{4095, 2}, Range{8999, 1}, Range{17, 4000}})
            QVERIFY2(at::equal(dequantize(rowSlice(q, r0, n)), full.narrow(0, r0, n)),
                     quantModeName(c.mode));
        // Independent reference: one matmul with the fully dequantized weight.
        const at::Tensor y = linear(x, q, b);
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 3, 9000}));
        QVERIFY2((y - at::linear(x, full, b)).abs().max().item<double>() < 1e-4,
                 quantModeName(c.mode));
    }
    // 4-bit blocks straddling rows (100 columns, blocks of 64) cannot be sliced: refused, and
    // linear() falls back to one full dequantization.
    const QuantizedTensor odd = quantize(at::randn({20000, 100}), {QuantMode::NF4});
    QVERIFY(!rowSliceable(odd));
    QVERIFY_THROWS_EXCEPTION(Exception, rowSlice(odd, 0, 1));
    const at::Tensor xo = at::randn({2, 100});
    QVERIFY((linear(xo, odd) - at::linear(xo, dequantize(odd))).abs().max().item<double>() < 1e-4);
    QVERIFY_THROWS_EXCEPTION(Exception, rowSlice(quantize(w, {QuantMode::Int8}), 8999, 2));
}

void TestQuant::resolveComputeTypeFallbacks() {
    ComputePlan p = resolveComputeType(QuantMode::BF16, at::kBFloat16, false, false);
    QVERIFY(p.fallback && p.mode == QuantMode::None && p.computeDtype == at::kFloat);
    QVERIFY2(QString::fromStdString(p.reason).startsWith(
                 QStringLiteral("requested bf16 → running fp32 on CPU")),
             p.reason.c_str());
    p = resolveComputeType(QuantMode::NF4, at::kBFloat16, false, false);
    QVERIFY(!p.fallback && p.mode == QuantMode::NF4 && p.computeDtype == at::kFloat &&
            p.reason.empty());
    p = resolveComputeType(QuantMode::BF16, at::kFloat, true, false);
    QVERIFY(p.fallback && p.computeDtype == at::kFloat &&
            QString::fromStdString(p.reason).contains(QStringLiteral("8.0")));
    p = resolveComputeType(QuantMode::BF16, at::kFloat, true, true);
    QVERIFY(!p.fallback && p.computeDtype == at::kBFloat16);
    p = resolveComputeType(QuantMode::NF4, at::kBFloat16, true, true);
    QVERIFY(!p.fallback && p.mode == QuantMode::NF4 && p.computeDtype == at::kBFloat16);
    p = resolveComputeType(QuantMode::Int4, at::kHalf, true, false);
    QVERIFY(p.computeDtype == at::kHalf);
    p = resolveComputeType(QuantMode::FP16, at::kFloat, "cpu");
    QVERIFY(p.fallback && QString::fromStdString(p.reason).contains(QStringLiteral("fp16")));
    QVERIFY_THROWS_EXCEPTION(Exception, resolveComputeType(QuantMode::NF4, at::kFloat, "tpu"));
}

QTEST_GUILESS_MAIN(TestQuant)
#include "test_quant.moc"
