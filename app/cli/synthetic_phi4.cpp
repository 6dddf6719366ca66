// make-synthetic --like phi4: random bf16 weights with Phi-4's real shapes (phi3 family: hidden
// 5120, intermediate 17920, 40 layers, 40 heads, 10 KV heads, vocab 100352), streamed through
// the safetensors writer in bounded chunks: the ~29 GB model is never held in memory.
#include "cli.h"
#include "io/safetensors.h"
#include "mistudio/result.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {
constexpr int64_t kHidden = 5120, kInter = 17920, kLayers = 40, kHeads = 40, kKvHeads = 10;
constexpr int64_t kVocab = 100352, kHeadDim = kHidden / kHeads, kPositions = 16384;
constexpr int64_t kChunk = int64_t(1) << 22; // elements generated per write

using TensorList = std::vector<std::pair<std::string, std::vector<int64_t>>>;

TensorList phi4Tensors(int64_t layers) {
    TensorList t = {{"model.embed_tokens.weight", {kVocab, kHidden}}};
    for (int64_t l = 0; l < layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        t.push_back({p + "input_layernorm.weight", {kHidden}});
        t.push_back(
            {p + "self_attn.qkv_proj.weight", {(kHeads + 2 * kKvHeads) * kHeadDim, kHidden}});
        t.push_back({p + "self_attn.o_proj.weight", {kHidden, kHeads * kHeadDim}});
        t.push_back({p + "post_attention_layernorm.weight", {kHidden}});
        t.push_back({p + "mlp.gate_up_proj.weight", {2 * kInter, kHidden}});
        t.push_back({p + "mlp.down_proj.weight", {kHidden, kInter}});
    }
    t.push_back({"model.norm.weight", {kHidden}});
    t.push_back({"lm_head.weight", {kVocab, kHidden}});
    return t;
}

void writeJson(const std::filesystem::path& path, const nlohmann::json& j) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp);
        out << j.dump(2) << "\n";
        if (!out)
            throw Exception(ErrorCode::Io, "cannot write " + path.filename().string(), tmp,
                            "Check the folder is writable and the disk has space");
    }
    std::filesystem::rename(tmp, path);
}
} // namespace

int64_t writeSyntheticPhi4(const std::filesystem::path& dir, int64_t layers) {
    if (layers < 1 || layers > kLayers)
        throw UsageError("--layers must be 1.." + std::to_string(kLayers));
    const TensorList tensors = phi4Tensors(layers);
    io::SafetensorsWriter writer((dir / "model.safetensors").string(), {{"format", "pt"}});
    for (const auto& [name, dims] : tensors)
        writer.declare(name, io::DType::BF16, dims);
    int64_t params = 0;
    for (const auto& [name, dims] : tensors) {
        int64_t n = 1;
        for (int64_t d : dims)
            n *= d;
        // Matrices ~ N(0, 0.02) (the initializer range); norm weights ~ 1.
        for (int64_t done = 0; done < n; done += kChunk) {
            const int64_t m = std::min(kChunk, n - done);
            at::Tensor c = dims.size() == 1 ? 1.0 + at::randn({m}) * 0.02 : at::randn({m}) * 0.02;
            c = c.to(at::kBFloat16).contiguous();
            writer.write(name, c.data_ptr(), static_cast<size_t>(c.nbytes()));
        }
        params += n;
    }
    writer.commit();
    writeJson(dir / "config.json", {{"architectures", {"Phi3ForCausalLM"}},
                                    {"model_type", "phi3"},
                                    {"hidden_act", "silu"},
                                    {"hidden_size", kHidden},
                                    {"intermediate_size", kInter},
                                    {"num_hidden_layers", layers},
                                    {"num_attention_heads", kHeads},
                                    {"num_key_value_heads", kKvHeads},
                                    {"max_position_embeddings", kPositions},
                                    {"original_max_position_embeddings", kPositions},
                                    {"rms_norm_eps", 1e-5},
                                    {"rope_theta", 250000.0},
                                    {"rope_scaling", nullptr},
                                    {"sliding_window", nullptr},
                                    {"tie_word_embeddings", false},
                                    {"vocab_size", kVocab},
                                    {"bos_token_id", 100257},
                                    {"eos_token_id", 100265},
                                    {"torch_dtype", "bfloat16"}});
    return params;
}

} // namespace mistudio::cli
