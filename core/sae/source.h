#pragma once
// Where SAE training data comes from. The trainer asks for batches of activations and, for exact
// resume, for the source's position and RNG state.
//
// Implementing a source (the activation-cache reader and the on-the-fly model source do this):
//  - dim() is d_in, fixed for the life of the source.
//  - next(B) returns a new [B, d_in] float32 CPU tensor, the next B tokens of the stream; a finite
//    source wraps around (a new epoch, reshuffled if it shuffles). It must not return tensors that
//    alias memory it reuses later (the trainer may keep a batch across calls).
//  - state() captures everything that decides what next() returns from now on (position, epoch,
//    RNG state, permutation...) as JSON plus named tensors; restore(state()) on a source built
//    with the same arguments must make the following next() calls return bit-identical batches.
//    The trainer saves the state in checkpoints and restores it on resume, and also uses it to
//    rewind after estimating the input scaling from the first batches.
//  - describe() is a short human description for logs and cfg.json (dataset_path).

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mistudio::sae {

struct SourceState {
    nlohmann::json info;
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    const at::Tensor* find(const std::string& name) const;
};

// Helpers for sources: seeded CPU generators whose state is saved as a tensor, and the tensors of
// a SourceState (a missing one throws InvalidFormat).
at::Generator makeSourceGenerator(uint64_t seed);
at::Tensor generatorState(const at::Generator& gen);
void restoreGenerator(at::Generator& gen, const at::Tensor& state);
at::Tensor requireTensor(const SourceState& s, const std::string& name);

class ActivationSource {
public:
    virtual ~ActivationSource() = default;
    virtual int64_t dim() const = 0;
    virtual at::Tensor next(int64_t batch) = 0;
    virtual SourceState state() const = 0;
    /// Throws InvalidFormat when the state does not belong to a source like this one.
    virtual void restore(const SourceState& state) = 0;
    virtual std::string describe() const = 0;
};

/// Activations held in memory ([N, d]); optionally reshuffled each epoch with its own generator.
class TensorSource : public ActivationSource {
public:
    TensorSource(at::Tensor data, bool shuffle, uint64_t seed, std::string description = "memory");
    int64_t dim() const override { return m_data.size(1); }
    at::Tensor next(int64_t batch) override;
    SourceState state() const override;
    void restore(const SourceState& state) override;
    std::string describe() const override { return m_description; }
    int64_t size() const { return m_data.size(0); }

private:
    void newEpoch();
    at::Tensor m_data;
    bool m_shuffle;
    std::string m_description;
    at::Generator m_gen;
    at::Tensor m_order; // int64 [N], this epoch's order
    int64_t m_position = 0;
    int64_t m_epoch = 0;
};

/// Synthetic activations from a known dictionary (ground truth for tests and demos):
/// x = sum_i c_i d_i + offset + noise, with unit-norm directions d_i (rows of dictionary()),
/// each c_i active with probability expectedL0 / nFeatures and then uniform in [0.5, 1.5].
class SyntheticSource : public ActivationSource {
public:
    struct Options {
        int64_t dIn = 32;
        int64_t nFeatures = 64;
        double expectedL0 = 4;
        double noiseStd = 0;
        double offsetNorm = 0; // a constant offset of this norm (exercises b_dec)
        uint64_t seed = 0;
    };
    explicit SyntheticSource(Options options);
    int64_t dim() const override { return m_options.dIn; }
    at::Tensor next(int64_t batch) override;
    SourceState state() const override;
    void restore(const SourceState& state) override;
    std::string describe() const override;
    /// The true directions, [nFeatures, dIn], unit rows.
    const at::Tensor& dictionary() const { return m_dictionary; }

private:
    Options m_options;
    at::Tensor m_dictionary;
    at::Tensor m_offset;
    at::Generator m_gen;
};

} // namespace mistudio::sae
