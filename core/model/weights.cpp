#include "io/safetensors.h"
#include "mistudio/result.h"
#include "model/family.h"

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

at::Tensor WeightReader::opt(const std::string& name, const std::vector<int64_t>& shape) const {
    const std::string actual = resolve(name);
    if (actual.empty())
        return {};
    const io::TensorInfo& info = m_st->info(actual);
    if (!shape.empty() && info.shape != shape) {
        const auto files = m_st->files();
        throw Exception(ErrorCode::InvalidFormat,
                        "tensor '" + actual + "' has shape " + shapeText(info.shape) +
                            " but config.json implies " + shapeText(shape),
                        files.empty() ? std::string() : files.front(),
                        "The weights do not match config.json: re-download the model");
    }
    // load() copies out of the mapping (converting dtype); the pages can then be dropped.
    at::Tensor t = m_st->load(actual, m_dtype);
    m_st->release(actual);
    return m_device.is_cpu() ? t : t.to(m_device);
}

at::Tensor WeightReader::get(const std::string& name, const std::vector<int64_t>& shape) const {
    at::Tensor t = opt(name, shape);
    if (!t.defined()) {
        const auto files = m_st->files();
        throw Exception(ErrorCode::NotFound, "tensor '" + name + "' is missing",
                        files.empty() ? std::string() : files.front(),
                        "The checkpoint does not match its config.json model_type");
    }
    return t;
}

NormWeights WeightReader::norm(const std::string& prefix, int64_t d) const {
    return NormWeights{get(prefix + ".weight", {d}), opt(prefix + ".bias", {d})};
}

} // namespace mistudio::model
