#include "io/safetensors.h"
#include "mistudio/result.h"
#include "model/family.h"
#include "model/mapped_pages.h"
#include "quant/streaming.h"

#include <sstream>

namespace mistudio::model {

namespace {
std::string shapeText(const std::vector<int64_t>& s) {
    std::ostringstream o;
    o << "[";
    for (size_t i = 0; i < s.size(); ++i)
        o << (i ? ", " : "") << s[i];
    o << "]";
    return o.str();
}
} // namespace

WeightReader::WeightReader(std::shared_ptr<const io::SafetensorsModel> st, std::string basePrefix,
                           at::ScalarType dtype, at::Device device)
    : m_st(std::move(st)), m_basePrefix(std::move(basePrefix)), m_dtype(dtype), m_device(device) {}

std::string WeightReader::resolve(const std::string& name) const {
    if (m_st->has(name))
        return name;
    if (!m_basePrefix.empty() && name.rfind(m_basePrefix, 0) == 0) {
        const std::string bare = name.substr(m_basePrefix.size());
        if (m_st->has(bare))
            return bare;
    }
    return {};
}

bool WeightReader::has(const std::string& name) const {
    return !resolve(name).empty();
}

std::string WeightReader::checked(const std::string& name, const std::vector<int64_t>& shape,
                                  bool required) const {
    const std::string actual = resolve(name);
    const auto files = m_st->files();
    const std::string where = files.empty() ? std::string() : files.front();
    if (actual.empty()) {
        if (!required)
            return {};
        throw Exception(ErrorCode::NotFound, "tensor '" + name + "' is missing", where,
                        "The checkpoint does not match its config.json model_type");
    }
    const io::TensorInfo& info = m_st->info(actual);
    if (!shape.empty() && info.shape != shape)
        throw Exception(ErrorCode::InvalidFormat,
                        "tensor '" + actual + "' has shape " + shapeText(info.shape) +
                            " but config.json implies " + shapeText(shape),
                        where, "The weights do not match config.json: re-download the model");
    return actual;
}

at::Tensor WeightReader::opt(const std::string& name, const std::vector<int64_t>& shape) const {
    const std::string actual = checked(name, shape, false);
    if (actual.empty())
        return {};
    if (m_matrixViews && shape.size() == 2) {
        m_viewed.push_back(actual);
        return m_st->view(actual);
    }
    // load() copies out of the mapping (converting dtype); the pages can then be dropped.
    at::Tensor t = m_st->load(actual, m_dtype);
    m_st->release(actual);
    return m_device.is_cpu() ? t : t.to(m_device);
}

quant::QuantizedTensor WeightReader::quantized(const std::string& name,
                                               const std::vector<int64_t>& shape,
                                               const quant::QuantConfig& config) const {
    const std::string actual = checked(name, shape, true);
    // Quantized from the zero-copy view chunk by chunk, each chunk's pages dropped once read:
    // no float copy of the tensor, and at most a chunk of it mapped.
    const MappedRanges mapped(*m_st);
    at::Tensor buffer; // one chunk, read with pread: the mapping's pages are never faulted in
    quant::QuantizedTensor q = quant::quantizeStreaming(
        m_st->view(actual), config, [&](const at::Tensor& part) { mapped.drop(part); },
        [&](const at::Tensor& part) { return mapped.read(part, buffer); });
    m_st->release(actual);
    return m_device.is_cpu() ? q : q.to(m_device);
}

at::Tensor WeightReader::view(const std::string& name, const std::vector<int64_t>& shape) const {
    return m_st->view(checked(name, shape, true));
}

void WeightReader::releaseViews() const {
    for (const std::string& name : m_viewed)
        m_st->release(name);
    m_viewed.clear();
}

void WeightReader::release(const std::string& name) const {
    const std::string actual = resolve(name);
    if (!actual.empty())
        m_st->release(actual);
}

at::ScalarType WeightReader::savedDtype(const std::string& name) const {
    return io::toScalarType(m_st->info(checked(name, {}, true)).dtype);
}

at::Tensor WeightReader::get(const std::string& name, const std::vector<int64_t>& shape) const {
    checked(name, shape, true);
    return opt(name, shape);
}

NormWeights WeightReader::norm(const std::string& prefix, int64_t d) const {
    return NormWeights{get(prefix + ".weight", {d}), opt(prefix + ".bias", {d})};
}

} // namespace mistudio::model
