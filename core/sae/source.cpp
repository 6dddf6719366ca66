#include "sae/source.h"

#include "mistudio/result.h"

#include <ATen/CPUGeneratorImpl.h>

namespace mistudio::sae {

const at::Tensor* SourceState::find(const std::string& name) const {
    for (const auto& [n, t] : tensors)
        if (n == name)
            return &t;
    return nullptr;
}

at::Generator makeSourceGenerator(uint64_t seed) {
    return at::make_generator<at::CPUGeneratorImpl>(seed);
}

at::Tensor requireTensor(const SourceState& s, const std::string& name) {
    const at::Tensor* t = s.find(name);
    if (!t)
        throw Exception(ErrorCode::InvalidFormat,
                        "checkpoint lacks the source tensor '" + name + "'", "",
                        "resume with the checkpoint written by the same run");
    return *t;
}

void restoreGenerator(at::Generator& gen, const at::Tensor& state) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state.clone());
}

at::Tensor generatorState(const at::Generator& gen) {
    at::Generator g = gen;
    std::lock_guard<std::mutex> lock(g.mutex());
    return g.get_state();
}

TensorSource::TensorSource(at::Tensor data, bool shuffle, uint64_t seed, std::string description)
    : m_data(data.to(at::kFloat).contiguous()), m_shuffle(shuffle),
      m_description(std::move(description)), m_gen(makeSourceGenerator(seed)) {
    if (m_data.dim() != 2 || m_data.size(0) == 0)
        throw Exception(ErrorCode::InvalidArgument, "activations must be a non-empty [N, d] tensor",
                        m_description, "");
    newEpoch();
    m_epoch = 0;
}

void TensorSource::newEpoch() {
    const int64_t n = m_data.size(0);
    m_order = m_shuffle ? at::randperm(n, m_gen, at::TensorOptions().dtype(at::kLong))
                        : at::arange(n, at::TensorOptions().dtype(at::kLong));
    m_position = 0;
    ++m_epoch;
}

at::Tensor TensorSource::next(int64_t batch) {
    std::vector<at::Tensor> parts;
    int64_t need = batch;
    while (need > 0) {
        if (m_position >= m_data.size(0))
            newEpoch();
        const int64_t take = std::min(need, m_data.size(0) - m_position);
        parts.push_back(m_data.index_select(0, m_order.narrow(0, m_position, take)));
        m_position += take;
        need -= take;
    }
    return parts.size() == 1 ? parts[0] : at::cat(parts, 0);
}

SourceState TensorSource::state() const {
    SourceState s;
    s.info = {{"kind", "tensor"}, {"rows", m_data.size(0)}, {"dim", m_data.size(1)},
              {"epoch", m_epoch}, {"position", m_position}, {"shuffle", m_shuffle}};
    s.tensors = {{"order", m_order.clone()}, {"rng", generatorState(m_gen)}};
    return s;
}

void TensorSource::restore(const SourceState& s) {
    if (s.info.value("kind", "") != "tensor" || s.info.value("rows", -1) != m_data.size(0) ||
        s.info.value("dim", -1) != m_data.size(1))
        throw Exception(ErrorCode::InvalidFormat,
                        "the checkpoint was written for other activations (" + s.info.dump() + ")",
                        m_description, "resume with the same activations file");
    m_epoch = s.info.at("epoch").get<int64_t>();
    m_position = s.info.at("position").get<int64_t>();
    m_order = requireTensor(s, "order").to(at::kLong).clone();
    restoreGenerator(m_gen, requireTensor(s, "rng"));
}

SyntheticSource::SyntheticSource(Options options)
    : m_options(options), m_gen(makeSourceGenerator(options.seed)) {
    at::Generator dictGen = makeSourceGenerator(options.seed ^ 0x5eed5eedULL);
    m_dictionary = at::randn({options.nFeatures, options.dIn}, dictGen);
    m_dictionary.div_(m_dictionary.norm(2, {1}, true));
    m_offset = at::randn({options.dIn}, dictGen);
    m_offset.mul_(options.offsetNorm / m_offset.norm().item<double>());
}

at::Tensor SyntheticSource::next(int64_t batch) {
    const double p = std::min(1.0, m_options.expectedL0 / static_cast<double>(m_options.nFeatures));
    at::Tensor probs = at::full({batch, m_options.nFeatures}, p);
    at::Tensor active = at::bernoulli(probs, m_gen);
    at::Tensor magnitude = at::rand({batch, m_options.nFeatures}, m_gen).add_(0.5);
    at::Tensor x = at::matmul(active * magnitude, m_dictionary) + m_offset;
    if (m_options.noiseStd > 0)
        x.add_(at::randn({batch, m_options.dIn}, m_gen).mul_(m_options.noiseStd));
    return x;
}

SourceState SyntheticSource::state() const {
    SourceState s;
    s.info = {{"kind", "synthetic"}, {"dim", m_options.dIn}, {"features", m_options.nFeatures}};
    s.tensors = {{"rng", generatorState(m_gen)}};
    return s;
}

void SyntheticSource::restore(const SourceState& s) {
    if (s.info.value("kind", "") != "synthetic" || s.info.value("dim", -1) != m_options.dIn)
        throw Exception(ErrorCode::InvalidFormat, "the checkpoint was written for another source",
                        describe(), "resume with the same settings");
    restoreGenerator(m_gen, requireTensor(s, "rng"));
}

std::string SyntheticSource::describe() const {
    return "synthetic:d" + std::to_string(m_options.dIn) + "-n" +
           std::to_string(m_options.nFeatures) + "-l0" + std::to_string(m_options.expectedL0);
}

} // namespace mistudio::sae
