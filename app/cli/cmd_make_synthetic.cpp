// mistudio-cli make-synthetic --like gpt2-small --out DIR: a Hugging Face folder with random
// weights of a real model's shapes (config.json + model.safetensors), for benchmarks and tests.
#include "cli.h"
#include "io/safetensors.h"
#include "mistudio/result.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

struct Gpt2Shape {
    int64_t layers, d, heads, vocab, positions;
};

Gpt2Shape shapeFor(const std::string& like) {
    if (like == "gpt2-small")
        return {12, 768, 12, 50257, 1024};
    if (like == "gpt2-medium")
        return {24, 1024, 16, 50257, 1024};
    if (like == "gpt2-tiny")
        return {2, 64, 4, 512, 256};
    throw UsageError("--like must be gpt2-small, gpt2-medium, gpt2-tiny or phi4, got '" + like +
                     "'");
}

void writeConfig(const std::filesystem::path& dir, const Gpt2Shape& s) {
    const nlohmann::json j = {
        {"architectures", {"GPT2LMHeadModel"}},
        {"model_type", "gpt2"},
        {"activation_function", "gelu_new"},
        {"layer_norm_epsilon", 1e-5},
        {"n_ctx", s.positions},
        {"n_positions", s.positions},
        {"n_embd", s.d},
        {"n_head", s.heads},
        {"n_layer", s.layers},
        {"n_inner", nullptr},
        {"vocab_size", s.vocab},
        {"tie_word_embeddings", true},
        {"torch_dtype", "float32"},
        {"bos_token_id", s.vocab - 1},
        {"eos_token_id", s.vocab - 1},
    };
    const auto tmp = dir / "config.json.tmp";
    {
        std::ofstream out(tmp);
        out << j.dump(2) << "\n";
        if (!out)
            throw Exception(ErrorCode::Io, "cannot write config.json", tmp.string(),
                            "Check the folder is writable and the disk has space");
    }
    std::filesystem::rename(tmp, dir / "config.json");
}

/// Tensor names and shapes of GPT2LMHeadModel (tied: no lm_head) in the order they are written.
std::vector<std::pair<std::string, std::vector<int64_t>>> gpt2Tensors(const Gpt2Shape& s) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> t = {
        {"transformer.wte.weight", {s.vocab, s.d}}, {"transformer.wpe.weight", {s.positions, s.d}}};
    for (int64_t l = 0; l < s.layers; ++l) {
        const std::string p = "transformer.h." + std::to_string(l) + ".";
        for (const char* ln : {"ln_1", "ln_2"}) {
            t.push_back({p + ln + ".weight", {s.d}});
            t.push_back({p + ln + ".bias", {s.d}});
        }
        t.push_back({p + "attn.c_attn.weight", {s.d, 3 * s.d}});
        t.push_back({p + "attn.c_attn.bias", {3 * s.d}});
        t.push_back({p + "attn.c_proj.weight", {s.d, s.d}});
        t.push_back({p + "attn.c_proj.bias", {s.d}});
        t.push_back({p + "mlp.c_fc.weight", {s.d, 4 * s.d}});
        t.push_back({p + "mlp.c_fc.bias", {4 * s.d}});
        t.push_back({p + "mlp.c_proj.weight", {4 * s.d, s.d}});
        t.push_back({p + "mlp.c_proj.bias", {s.d}});
    }
    t.push_back({"transformer.ln_f.weight", {s.d}});
    t.push_back({"transformer.ln_f.bias", {s.d}});
    return t;
}

} // namespace

int64_t writeSyntheticPhi4(const std::filesystem::path& dir, int64_t layers);

int runMakeSynthetic(ArgParser& args) {
    const std::string like = args.required("--like");
    const std::filesystem::path dir = args.required("--out");
    const long long seed = args.intOr("--seed", 0);
    const long long layers = args.intOr("--layers", like == "phi4" ? 40 : 0);
    args.finish();
    std::filesystem::create_directories(dir);
    at::manual_seed(seed);
    if (like == "phi4") {
        const int64_t params = writeSyntheticPhi4(dir, layers);
        std::cout << "{\"out\": " << nlohmann::json(dir.string()).dump()
                  << ", \"n_params\": " << params << "}\n";
        return 0;
    }
    Gpt2Shape shape = shapeFor(like);
    if (layers > 0)
        shape.layers = layers;
    const auto tensors = gpt2Tensors(shape);
    // Streamed: one tensor in memory at a time; the file appears only on commit().
    io::SafetensorsWriter writer((dir / "model.safetensors").string(), {{"format", "pt"}});
    for (const auto& [name, dims] : tensors)
        writer.declare(name, io::DType::F32, dims);
    int64_t params = 0;
    for (const auto& [name, dims] : tensors) {
        const bool isNormWeight = name.find(".ln_") != std::string::npos && name.size() > 7 &&
                                  name.rfind(".weight") == name.size() - 7;
        at::Tensor t = dims.size() == 1 ? (isNormWeight ? at::ones(dims) : at::zeros(dims))
                                        : at::randn(dims) * 0.02;
        if (dims.size() == 1)
            t = t + at::randn(dims) * 0.02; // not exactly 0/1, so a dropped bias would show
        writer.write(name, t.contiguous());
        params += t.numel();
    }
    writer.commit();
    writeConfig(dir, shape);
    std::cout << "{\"out\": " << nlohmann::json(dir.string()).dump() << ", \"n_params\": " << params
              << "}\n";
    return 0;
}

} // namespace mistudio::cli
