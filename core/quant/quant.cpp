// Reference quantize/dequantize for int8, nf4 and int4 weights (torch ops, any device).
#include "quant/quant.h"

#include "mistudio/result.h"

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

// Blocks back to the original shape (drops the padding).
at::Tensor fromBlocks(const at::Tensor& blocks, const QuantizedTensor& q) {
    return blocks.flatten().narrow(0, 0, q.numel()).view(q.shape);
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

at::Tensor blockScales(const QuantizedTensor& q) {
    if (!q.doubleQuant)
        return q.scales;
    at::Tensor s =
        q.scales.to(at::kFloat).view({-1, kDoubleQuantBlock}) / 127.0f * q.scales2.unsqueeze(1);
    const int64_t blocks = (q.numel() + q.blockSize - 1) / q.blockSize;
    return s.flatten().narrow(0, 0, blocks) + q.scaleOffset;
}

void quantizeInt8(QuantizedTensor& q, const at::Tensor& weight) {
    const int64_t rows = q.shape.empty() ? 1 : q.shape[0];
    at::Tensor w = weight.to(at::kFloat).reshape({rows, -1});
    if (w.numel() == 0) {
        q.data = at::zeros(w.sizes(), w.options().dtype(at::kChar));
        q.scales = at::ones({rows}, w.options());
        return;
    }
    q.scales = nonZero(w.abs().amax(1) / 127.0f);
    q.data = (w / q.scales.unsqueeze(1)).round().clamp(-127, 127).to(at::kChar);
}

void quantizeBlocked(QuantizedTensor& q, const at::Tensor& weight, const QuantConfig& config) {
    at::Tensor blocks = toBlocks(weight, q.blockSize);
    at::Tensor absmax = blocks.abs().amax(1);
    at::Tensor codes;
    if (q.mode == QuantMode::NF4) {
        at::Tensor normalized = blocks / nonZero(absmax).unsqueeze(1);
        codes = at::bucketize(normalized, nf4Midpoints(weight.device()));
    } else {
        at::Tensor scale = nonZero(absmax / 7.0f);
        codes = (blocks / scale.unsqueeze(1)).round().clamp(-7, 7) + 8;
        absmax = scale;
    }
    q.data = packNibbles(codes.to(at::kByte).flatten());
    if (config.doubleQuant && q.mode == QuantMode::NF4)
        doubleQuantize(q, absmax);
    else
        q.scales = absmax;
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
    case QuantMode::Int8: quantizeInt8(q, weight); break;
    case QuantMode::NF4:
    case QuantMode::Int4:
        q.blockSize = blockSizeFor(config);
        quantizeBlocked(q, weight, config);
        break;
    }
    return q;
}

at::Tensor dequantize(const QuantizedTensor& q, at::ScalarType dtype) {
    switch (q.mode) {
    case QuantMode::None:
    case QuantMode::BF16:
    case QuantMode::FP16: return q.data.to(dtype);
    case QuantMode::Int8:
        return (q.data.to(at::kFloat) * q.scales.unsqueeze(1)).view(q.shape).to(dtype);
    case QuantMode::NF4: {
        at::Tensor codes = unpackNibbles(q.data).to(at::kLong);
        at::Tensor values = nf4Codebook(q.data.device()).index_select(0, codes);
        return fromBlocks(values.view({-1, q.blockSize}) * blockScales(q).unsqueeze(1), q)
            .to(dtype);
    }
    case QuantMode::Int4: {
        at::Tensor values = unpackNibbles(q.data).to(at::kFloat) - 8.0f;
        return fromBlocks(values.view({-1, q.blockSize}) * q.scales.unsqueeze(1), q).to(dtype);
    }
    }
    throw Exception(ErrorCode::Internal, "unhandled quantization mode");
}

} // namespace mistudio::quant
