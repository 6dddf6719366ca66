// Reference quantize/dequantize for int8, nf4 and int4 weights (torch ops, any device).
#include "quant/quant.h"

#include "mistudio/result.h"
#include "quant/streaming.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace mistudio::quant {

namespace {

// The codebook and its decision midpoints live on every device that uses them; copies are
// cached (and deliberately leaked: CUDA may be torn down before static destructors run).
at::Tensor cachedOnDevice(const char* key, const at::Device& device,
                          const std::vector<float>& values) {
    static std::mutex mutex;
    static auto* cache = new std::map<std::string, at::Tensor>();
    std::lock_guard<std::mutex> lock(mutex);
    const std::string k = std::string(key) + "@" + device.str();
    auto it = cache->find(k);
    if (it == cache->end())
        it = cache->emplace(k, at::tensor(values).to(device)).first;
    return it->second;
}

at::Tensor nf4Codebook(const at::Device& device) {
    return cachedOnDevice("nf4", device, {kNF4Codebook.begin(), kNF4Codebook.end()});
}

at::Tensor nf4Midpoints(const at::Device& device) {
    std::vector<float> mid;
    for (size_t i = 0; i + 1 < kNF4Codebook.size(); ++i)
        mid.push_back((kNF4Codebook[i] + kNF4Codebook[i + 1]) / 2.0f);
    return cachedOnDevice("nf4-mid", device, mid);
}

// Flattened fp32 weight, zero-padded to whole blocks, as [blocks, block].
at::Tensor toBlocks(const at::Tensor& w, int64_t block) {
    at::Tensor flat = w.to(at::kFloat).flatten();
    const int64_t pad = (block - flat.numel() % block) % block;
    if (pad > 0)
        flat = at::cat({flat, at::zeros({pad}, flat.options())});
    return flat.view({-1, block});
}

at::Tensor nonZero(const at::Tensor& scale) {
    return at::where(scale == 0, at::ones_like(scale), scale);
}

int64_t blockSizeFor(const QuantConfig& c) {
    const int64_t def = c.mode == QuantMode::NF4 ? kNF4Block : 32;
    const int64_t b = c.blockSize == 0 ? def : c.blockSize;
    if (b <= 0 || b % 2 != 0)
        throw Exception(ErrorCode::InvalidArgument,
                        "quantization block size must be a positive even number, got " +
                            std::to_string(b),
                        quantModeName(c.mode), "Use 32 or 64");
    return b;
}

// QLoRA double quantization of the fp32 absmaxes: centre on the mean, int8 per block of 256.
void doubleQuantize(QuantizedTensor& q, const at::Tensor& absmax) {
    q.doubleQuant = true;
    q.scaleOffset = absmax.mean().item<float>();
    at::Tensor blocks = toBlocks(absmax - q.scaleOffset, kDoubleQuantBlock);
    q.scales2 = blocks.abs().amax(1);
    q.scales = (blocks / nonZero(q.scales2).unsqueeze(1) * 127.0f)
                   .round()
                   .clamp(-127, 127)
                   .to(at::kChar)
                   .flatten();
}

// fp32 scales of blocks b0 .. b0+nb-1. Double-quantized scales are decoded per range, so a
// chunked dequantization never materialises the fp32 scales of the whole tensor.
at::Tensor blockScales(const QuantizedTensor& q, int64_t b0, int64_t nb) {
    if (!q.doubleQuant)
        return q.scales.narrow(0, b0, nb);
    const at::Tensor block = at::arange(b0, b0 + nb, q.scales.options().dtype(at::kLong))
                                 .div(kDoubleQuantBlock, "floor");
    return q.scales.narrow(0, b0, nb).to(at::kFloat) / 127.0f * q.scales2.index_select(0, block) +
           q.scaleOffset;
}

int64_t blockCount(const QuantizedTensor& q) {
    return (q.numel() + q.blockSize - 1) / q.blockSize;
}

// Rows (int8) or blocks (4-bit) are processed kChunkWeights at a time, so quantizing or
// dequantizing a large matrix needs a few tens of MB of temporaries, not several copies of it.
int64_t chunkOf(int64_t unit) {
    return std::max<int64_t>(1, kChunkWeights / std::max<int64_t>(unit, 1));
}

at::Tensor fetched(const ChunkFetch& fetch, const at::Tensor& part) {
    return fetch ? fetch(part) : part;
}

void quantizeInt8(QuantizedTensor& q, const at::Tensor& weight, const ChunkDone& done,
                  const ChunkFetch& fetch) {
    const int64_t rows = q.shape.empty() ? 1 : q.shape[0];
    const at::Tensor w = weight.reshape({rows, -1});
    const auto options = weight.options().dtype(at::kFloat);
    q.data = at::zeros(w.sizes(), options.dtype(at::kChar));
    q.scales = at::ones({rows}, options);
    if (w.numel() == 0)
        return;
    const int64_t step = chunkOf(w.size(1));
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        const int64_t nr = std::min(step, rows - r0);
        const at::Tensor part = fetched(fetch, w.narrow(0, r0, nr)).to(at::kFloat);
        const at::Tensor scale = nonZero(part.abs().amax(1) / 127.0f);
        q.scales.narrow(0, r0, nr).copy_(scale);
        q.data.narrow(0, r0, nr).copy_((part / scale.unsqueeze(1)).round().clamp(-127, 127));
        if (done)
            done(w.narrow(0, r0, nr));
    }
}

// One chunk of whole blocks: packed codes and the per-block scale (nf4: absmax; int4: absmax/7).
std::pair<at::Tensor, at::Tensor> quantizeBlocks(const at::Tensor& blocks, QuantMode mode) {
    const at::Tensor absmax = blocks.abs().amax(1);
    if (mode == QuantMode::NF4) {
        const at::Tensor normalized = blocks / nonZero(absmax).unsqueeze(1);
        const at::Tensor codes = at::bucketize(normalized, nf4Midpoints(blocks.device()), true);
        return {packNibbles(codes.to(at::kByte).flatten()), absmax};
    }
    const at::Tensor scale = nonZero(absmax / 7.0f);
    const at::Tensor codes = (blocks / scale.unsqueeze(1)).round().clamp(-7, 7) + 8;
    return {packNibbles(codes.to(at::kByte).flatten()), scale};
}

void quantizeBlocked(QuantizedTensor& q, const at::Tensor& weight, const QuantConfig& config,
                     const ChunkDone& done, const ChunkFetch& fetch) {
    const int64_t n = q.numel(), block = q.blockSize;
    const int64_t nBlocks = (n + block - 1) / block;
    const at::Tensor flat = weight.reshape({-1});
    const auto options = weight.options().dtype(at::kFloat);
    q.data = at::empty({nBlocks * block / 2}, options.dtype(at::kByte));
    at::Tensor scales = at::empty({nBlocks}, options);
    const int64_t step = chunkOf(block);
    for (int64_t b0 = 0; b0 < nBlocks; b0 += step) {
        const int64_t nb = std::min(step, nBlocks - b0);
        const int64_t e0 = b0 * block, e1 = std::min(n, (b0 + nb) * block);
        auto [packed, scale] =
            quantizeBlocks(toBlocks(fetched(fetch, flat.narrow(0, e0, e1 - e0)), block), q.mode);
        q.data.narrow(0, e0 / 2, nb * block / 2).copy_(packed);
        scales.narrow(0, b0, nb).copy_(scale);
        if (done)
            done(flat.narrow(0, e0, e1 - e0));
    }
    if (config.doubleQuant && q.mode == QuantMode::NF4)
        doubleQuantize(q, scales);
    else
        q.scales = scales;
}

void dequantizeBlocked(const QuantizedTensor& q, const at::Tensor& outFlat) {
    const int64_t n = q.numel(), block = q.blockSize;
    const int64_t nBlocks = blockCount(q);
    const at::Tensor book = q.mode == QuantMode::NF4 ? nf4Codebook(q.data.device()) : at::Tensor();
    const int64_t step = chunkOf(block);
    for (int64_t b0 = 0; b0 < nBlocks; b0 += step) {
        const int64_t nb = std::min(step, nBlocks - b0);
        const int64_t e0 = b0 * block, e1 = std::min(n, (b0 + nb) * block);
        const at::Tensor codes = unpackNibbles(q.data.narrow(0, e0 / 2, nb * block / 2));
        const at::Tensor values = q.mode == QuantMode::NF4
                                      ? book.index_select(0, codes.to(at::kLong))
                                      : codes.to(at::kFloat) - 8.0f;
        const at::Tensor scaled = values.view({nb, block}) * blockScales(q, b0, nb).unsqueeze(1);
        outFlat.narrow(0, e0, e1 - e0).copy_(scaled.view({-1}).narrow(0, 0, e1 - e0));
    }
}

} // namespace

QuantMode parseQuantMode(std::string_view name) {
    for (const auto& t : kFormats)
        if (name == t.name)
            return t.mode;
    std::string known;
    for (const auto& t : kFormats) {
        known += known.empty() ? "" : "|";
        known += t.name;
    }
    throw Exception(ErrorCode::InvalidArgument, "unknown quantization '" + std::string(name) + "'",
                    "--quant", "Use one of " + known);
}

const char* quantModeName(QuantMode m) {
    return traits(m).name;
}

int64_t QuantizedTensor::numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

int64_t QuantizedTensor::bytes() const {
    int64_t n = 0;
    for (const at::Tensor* t : {&data, &scales, &scales2})
        if (t->defined())
            n += static_cast<int64_t>(t->nbytes());
    return n;
}

QuantizedTensor QuantizedTensor::to(const at::Device& device) const {
    QuantizedTensor out = *this;
    for (at::Tensor* t : {&out.data, &out.scales, &out.scales2})
        if (t->defined())
            *t = t->to(device);
    return out;
}

at::Tensor packNibbles(const at::Tensor& codes) {
    if (codes.dim() != 1 || codes.numel() % 2 != 0 || codes.scalar_type() != at::kByte)
        throw Exception(ErrorCode::InvalidArgument,
                        "packNibbles needs a 1-D uint8 tensor of even length", "quant", {});
    at::Tensor pairs = codes.view({-1, 2});
    return pairs.select(1, 0) * 16 + pairs.select(1, 1);
}

at::Tensor unpackNibbles(const at::Tensor& packed) {
    return at::stack({at::__rshift__(packed, 4), at::bitwise_and(packed, 15)}, 1).flatten();
}

QuantizedTensor quantize(const at::Tensor& weight, const QuantConfig& config) {
    return quantizeStreaming(weight, config, {});
}

QuantizedTensor quantizeStreaming(const at::Tensor& weight, const QuantConfig& config,
                                  const ChunkDone& done, const ChunkFetch& fetch) {
    if (!at::isFloatingType(weight.scalar_type()))
        throw Exception(ErrorCode::InvalidArgument,
                        std::string("cannot quantize a tensor of type ") +
                            c10::toString(weight.scalar_type()),
                        quantModeName(config.mode), "Quantize floating-point weights only");
    QuantizedTensor q;
    q.mode = config.mode;
    q.shape = weight.sizes().vec();
    switch (config.mode) {
    case QuantMode::None: q.data = weight.to(at::kFloat).contiguous(); break;
    case QuantMode::BF16: q.data = weight.to(at::kBFloat16).contiguous(); break;
    case QuantMode::FP16: q.data = weight.to(at::kHalf).contiguous(); break;
    case QuantMode::Int8: quantizeInt8(q, weight, done, fetch); break;
    case QuantMode::NF4:
    case QuantMode::Int4:
        q.blockSize = blockSizeFor(config);
        quantizeBlocked(q, weight, config, done, fetch);
        break;
    }
    return q;
}

void checkDequantOutput(const QuantizedTensor& q, const at::Tensor& out) {
    if (out.numel() != q.numel() || !out.is_contiguous() || out.device() != q.data.device())
        throw Exception(ErrorCode::InvalidArgument,
                        "dequantizeInto needs a contiguous output with the weight's " +
                            std::to_string(q.numel()) + " elements on its device",
                        quantModeName(q.mode), {});
}

void dequantizeIntoReference(const QuantizedTensor& q, const at::Tensor& out) {
    checkDequantOutput(q, out);
    switch (q.mode) {
    case QuantMode::None:
    case QuantMode::BF16:
    case QuantMode::FP16: out.view(q.shape).copy_(q.data); return;
    case QuantMode::Int8: {
        const int64_t rows = q.data.size(0);
        const at::Tensor out2 = out.view({rows, -1});
        const int64_t step = chunkOf(q.data.size(1));
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
            const int64_t nr = std::min(step, rows - r0);
            out2.narrow(0, r0, nr).copy_(q.data.narrow(0, r0, nr).to(at::kFloat) *
                                         q.scales.narrow(0, r0, nr).unsqueeze(1));
        }
        return;
    }
    case QuantMode::NF4:
    case QuantMode::Int4: dequantizeBlocked(q, out.view({-1})); return;
    }
    throw Exception(ErrorCode::Internal, "unhandled quantization mode");
}

at::Tensor dequantizeRows(const QuantizedTensor& q, const at::Tensor& rows, at::ScalarType dtype) {
    if (q.shape.size() != 2)
        throw Exception(ErrorCode::InvalidArgument, "row lookup needs a 2-D weight",
                        quantModeName(q.mode), {});
    const int64_t cols = q.shape[1];
    const at::Tensor idx = rows.to(at::kLong).reshape({-1});
    std::vector<int64_t> outShape = rows.sizes().vec();
    outShape.push_back(cols);
    switch (q.mode) {
    case QuantMode::None:
    case QuantMode::BF16:
    case QuantMode::FP16: return q.data.index_select(0, idx).to(dtype).view(outShape);
    case QuantMode::Int8:
        return (q.data.index_select(0, idx).to(at::kFloat) *
                q.scales.index_select(0, idx).unsqueeze(1))
            .to(dtype)
            .view(outShape);
    case QuantMode::NF4:
    case QuantMode::Int4: break;
    }
    if (cols % q.blockSize != 0)
        throw Exception(ErrorCode::Unsupported,
                        "row lookup of a " + std::string(quantModeName(q.mode)) + " weight with " +
                            std::to_string(cols) + " columns (not a multiple of the block size " +
                            std::to_string(q.blockSize) + ")",
                        "dequantizeRows", "Quantize this tensor as int8 instead");
    QuantizedTensor sub = q;
    sub.shape = {idx.numel(), cols};
    sub.data = q.data.view({q.shape[0], cols / 2}).index_select(0, idx).reshape({-1});
    sub.doubleQuant = false;
    sub.scales = blockScales(q, 0, blockCount(q))
                     .view({q.shape[0], cols / q.blockSize})
                     .index_select(0, idx)
                     .reshape({-1});
    sub.scales2 = at::Tensor();
    return dequantize(sub, dtype).view(outShape);
}

bool rowSliceable(const QuantizedTensor& q) {
    if (q.shape.size() != 2)
        return false;
    return !traits(q.mode).quantized || q.mode == QuantMode::Int8 || q.shape[1] % q.blockSize == 0;
}

QuantizedTensor rowSlice(const QuantizedTensor& q, int64_t row0, int64_t rows) {
    if (!rowSliceable(q) || row0 < 0 || rows < 0 || row0 + rows > q.shape[0])
        throw Exception(ErrorCode::InvalidArgument,
                        "rows " + std::to_string(row0) + "+" + std::to_string(rows) +
                            " cannot be sliced from this weight",
                        quantModeName(q.mode), "Check rowSliceable() and the row range first");
    QuantizedTensor sub;
    sub.mode = q.mode;
    sub.blockSize = q.blockSize;
    sub.shape = {rows, q.shape[1]};
    if (!traits(q.mode).quantized || q.mode == QuantMode::Int8) {
        sub.data = q.data.narrow(0, row0, rows);
        if (q.scales.defined())
            sub.scales = q.scales.narrow(0, row0, rows);
        return sub;
    }
    // Whole blocks per row: the rows' codes and scales are contiguous ranges.
    const int64_t cols = q.shape[1], perRow = cols / q.blockSize;
    sub.data = q.data.narrow(0, row0 * cols / 2, rows * cols / 2);
    sub.scales = blockScales(q, row0 * perRow, rows * perRow);
    return sub;
}

at::Tensor dequantize(const QuantizedTensor& q, at::ScalarType dtype) {
    if (!traits(q.mode).quantized)
        return q.data.to(dtype); // no copy when already in dtype
    at::Tensor out = at::empty(q.shape, q.data.options().dtype(dtype));
    dequantizeInto(q, out);
    return out;
}

} // namespace mistudio::quant
