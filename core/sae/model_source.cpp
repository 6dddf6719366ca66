// On-the-fly activations: dataset -> token windows -> forward to the hook -> shuffle buffer.
#include "sae/model_source.h"

#include "mistudio/result.h"
#include "mistudio/token_windows.h"
#include "mistudio/tokenizer.h"
#include "model/hooks.h"
#include "model/transformer.h"
#include "tokenizer/window_functions.h"

#include <algorithm>

namespace mistudio::sae {

ModelSource::ModelSource(std::shared_ptr<model::Transformer> model, ModelSourceOptions options)
    : m_model(std::move(model)), m_options(std::move(options)),
      m_gen(makeSourceGenerator(m_options.seed)) {
    if (m_options.contextLength < 2 || m_options.forwardBatch < 1 || m_options.heldOutWindows < 0 ||
        m_options.bufferTokens < 0)
        throw Exception(ErrorCode::InvalidArgument,
                        "context_length >= 2, forward_batch_size >= 1 and shuffle_buffer_tokens "
                        ">= 0 are required",
                        "RUN.json", "fix the value");
    model::parseHookPoint(m_options.hook, m_model->config()); // a clear error before any work
    m_dim = m_model->config().dModel;
    m_tokenizer = std::make_shared<const Tokenizer>(Tokenizer::load(m_options.modelFolder));
    openStream();
}

ModelSource::~ModelSource() = default;

std::string ModelSource::describe() const {
    return m_options.dataset.path + " through " + m_options.modelFolder + " at " + m_options.hook +
           " (on the fly)";
}

// A new pass over the dataset, positioned after the held-out windows.
void ModelSource::openStream() {
    m_packer.reset();
    m_reader = std::make_unique<data::DocumentReader>(m_options.dataset);
    data::WindowOptions wo; // extraction's defaults: concatenated documents, specials excluded
    wo.contextLength = m_options.contextLength;
    m_packer = std::make_unique<data::WindowPacker>(data::WindowPacker::fromReader(*m_reader),
                                                    windowTokenizerFunctions(m_tokenizer), wo);
    ++m_epoch;
    m_windowsRead = 0;
    for (int64_t i = 0; i < m_options.heldOutWindows; ++i)
        if (!m_packer->next())
            throw Exception(ErrorCode::InvalidArgument,
                            "the dataset holds only " + std::to_string(i) +
                                " windows, all held out for evaluation",
                            m_options.dataset.path, "lower eval_tokens or give a larger dataset");
}

void ModelSource::skipWindows(int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        if (!m_packer->next())
            throw Exception(ErrorCode::InvalidFormat,
                            "the dataset has fewer windows than the checkpoint's position",
                            m_options.dataset.path, "resume with the dataset the run started on");
        ++m_windowsRead;
    }
}

void ModelSource::append(const at::Tensor& rows) {
    const int64_t need = m_count + rows.size(0);
    if (!m_buffer.defined() || need > m_buffer.size(0)) {
        at::Tensor grown = at::empty({std::max(need, 2 * m_count), m_dim}, at::kFloat);
        if (m_count > 0)
            grown.narrow(0, 0, m_count).copy_(m_buffer.narrow(0, 0, m_count));
        m_buffer = grown;
    }
    m_buffer.narrow(0, m_count, rows.size(0)).copy_(rows);
    m_count = need;
}

// Runs the next forward batch of windows (a new epoch when the dataset is used up) and appends
// the included positions' activations to the buffer.
void ModelSource::fill() {
    std::vector<data::TokenWindow> windows;
    while (static_cast<int>(windows.size()) < m_options.forwardBatch) {
        auto w = m_packer->next();
        if (!w)
            break;
        windows.push_back(std::move(*w));
    }
    if (windows.empty()) {
        if (m_windowsRead == 0)
            throw Exception(ErrorCode::InvalidArgument,
                            "the dataset has no window left for training after the held-out ones",
                            m_options.dataset.path, "lower eval_tokens or give a larger dataset");
        openStream();
        return;
    }
    m_windowsRead += static_cast<int64_t>(windows.size());
    const auto B = static_cast<int64_t>(windows.size());
    const int64_t C = m_options.contextLength;
    at::Tensor ids = at::empty({B, C}, at::kLong);
    int64_t* idp = ids.data_ptr<int64_t>();
    std::vector<int64_t> keep;
    for (int64_t b = 0; b < B; ++b) {
        const auto& w = windows[static_cast<size_t>(b)];
        for (int64_t t = 0; t < C; ++t) {
            idp[b * C + t] = w.tokens[static_cast<size_t>(t)];
            if (w.include[static_cast<size_t>(t)])
                keep.push_back(b * C + t);
        }
    }
    model::ForwardRequest req;
    req.capture = {m_options.hook};
    req.logits = false;
    const at::Tensor a =
        m_model->forward(ids.to(m_model->device()), req).activations.at(m_options.hook);
    const at::Tensor index = at::tensor(keep, at::kLong).to(a.device());
    append(a.reshape({-1, a.size(-1)}).index_select(0, index).to(at::kCPU, at::kFloat));
}

// Takes `batch` random rows out of the buffer; the rows at its end move into the holes.
at::Tensor ModelSource::draw(int64_t batch) {
    const at::Tensor picked =
        at::randperm(m_count, m_gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, batch);
    at::Tensor out = m_buffer.index_select(0, picked);
    const int64_t rest = m_count - batch;
    at::Tensor taken = at::zeros({m_count}, at::kBool).index_fill_(0, picked, true);
    const at::Tensor holes = taken.narrow(0, 0, rest).nonzero().reshape({-1});
    const at::Tensor movers =
        taken.narrow(0, rest, batch).logical_not().nonzero().reshape({-1}).add_(rest);
    if (holes.numel() > 0)
        m_buffer.index_copy_(0, holes, m_buffer.index_select(0, movers));
    m_count = rest;
    return out;
}

at::Tensor ModelSource::next(int64_t batch) {
    // Full buffer before each draw, so every batch mixes rows of many windows and documents.
    while (m_count < std::max(batch, m_options.bufferTokens))
        fill();
    return draw(batch);
}

// What a checkpoint's stream must share with this one to be resumed by it.
nlohmann::json ModelSource::identity() const {
    return {{"kind", "model"},
            {"dim", m_dim},
            {"hook", m_options.hook},
            {"context_length", m_options.contextLength},
            {"forward_batch_size", m_options.forwardBatch},
            {"held_out_windows", m_options.heldOutWindows}};
}

SourceState ModelSource::state() const {
    SourceState s;
    s.info = identity();
    s.info.update({{"dataset", m_options.dataset.path},
                   {"epoch", m_epoch},
                   {"windows_read", m_windowsRead},
                   {"buffered_rows", m_count}});
    at::Tensor rows =
        m_count > 0 ? m_buffer.narrow(0, 0, m_count).clone() : at::empty({0, m_dim}, at::kFloat);
    s.tensors = {{"buffer", rows}, {"rng", generatorState(m_gen)}};
    return s;
}

void ModelSource::restore(const SourceState& s) {
    const nlohmann::json expected = identity(); // kept alive for the loop
    for (const auto& [key, value] : expected.items())
        if (!s.info.contains(key) || s.info[key] != value)
            throw Exception(ErrorCode::InvalidFormat,
                            "the checkpoint was written for another activation stream (its '" +
                                key + "' differs)",
                            describe(), "resume with the RUN.json that started the run");
    const int64_t epoch = s.info.at("epoch").get<int64_t>();
    const int64_t read = s.info.at("windows_read").get<int64_t>();
    if (epoch != m_epoch || read < m_windowsRead) {
        openStream(); // rewind: re-pack from the start of the dataset
        m_epoch = epoch;
    }
    skipWindows(read - m_windowsRead);
    const at::Tensor rows = requireTensor(s, "buffer").to(at::kFloat);
    m_count = 0;
    if (rows.size(0) > 0)
        append(rows);
    restoreGenerator(m_gen, requireTensor(s, "rng"));
}

} // namespace mistudio::sae
