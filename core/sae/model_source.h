#pragma once
// On-the-fly training activations (issue 7's "no cache" mode, for runs bigger than the disk): the
// dataset is tokenized and packed into windows exactly as `extract` packs them, batches of windows
// run through the model up to the hook (early exit), and the included positions' activations
// enter a shuffle buffer from which each batch is drawn at random with the source's own seeded
// generator. Internal header.
//
// Held-out windows: the first `heldOutWindows` windows of the dataset are never used for training
// (in any epoch), so the evaluation can run the model on them (evalWindows gives the same
// windows). When the dataset runs out the stream starts again after them (a new epoch).
//
// Exact resume: state() holds the stream position (epoch, windows read in it), the buffer rows
// and the generator. restore() re-packs (tokenizes, without running the model) the windows up to
// that position, so the following forward batches hold the same windows and give the same bytes.

#include "mistudio/dataset.h"
#include "sae/source.h"

#include <memory>
#include <string>

namespace mistudio {
class Tokenizer;
}
namespace mistudio::data {
class WindowPacker;
}
namespace mistudio::model {
class Transformer;
}

namespace mistudio::sae {

struct ModelSourceOptions {
    std::string modelFolder; // tokenizer.json beside the weights
    std::string hook;
    data::DatasetSpec dataset;
    int contextLength = 128;
    int forwardBatch = 8;         // windows per forward
    int64_t heldOutWindows = 0;   // the first windows of the dataset, kept for evaluation
    int64_t bufferTokens = 65536; // rows held for shuffling (at least one batch is always held)
    uint64_t seed = 0;
};

class ModelSource : public ActivationSource {
public:
    ModelSource(std::shared_ptr<model::Transformer> model, ModelSourceOptions options);
    ~ModelSource() override;
    int64_t dim() const override { return m_dim; }
    at::Tensor next(int64_t batch) override;
    SourceState state() const override;
    void restore(const SourceState& state) override;
    std::string describe() const override;

    int64_t epoch() const { return m_epoch; }
    /// Training windows read so far in this epoch (after the held-out ones).
    int64_t windowsRead() const { return m_windowsRead; }
    int64_t bufferedRows() const { return m_count; }

private:
    nlohmann::json identity() const;
    void openStream();
    void skipWindows(int64_t n);
    void fill();
    void append(const at::Tensor& rows);
    at::Tensor draw(int64_t batch);

    std::shared_ptr<model::Transformer> m_model;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    ModelSourceOptions m_options;
    int64_t m_dim = 0;
    std::unique_ptr<data::DocumentReader> m_reader;
    std::unique_ptr<data::WindowPacker> m_packer;
    int64_t m_epoch = 0;
    int64_t m_windowsRead = 0;
    at::Tensor m_buffer; // float32 CPU [capacity, d]; rows [0, m_count) are live
    int64_t m_count = 0;
    at::Generator m_gen;
};

} // namespace mistudio::sae
