#include "model/config.h"

#include "common/json_limits.h"
#include "mistudio/result.h"
#include "model/family.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio::model {

using nlohmann::json;

namespace {

// Beyond these a config describes nothing this runtime can hold: refuse before any allocation.
constexpr double kMaxParameters = 5e11;
constexpr int64_t kMaxDim = 1 << 20;

[[noreturn]] void badValue(const std::string& key, const std::string& why,
                           const std::string& where) {
    throw Exception(ErrorCode::InvalidFormat, "config key '" + key + "' " + why, where,
                    "Check that the folder holds the config.json of a Hugging Face causal LM");
}

void checkRange(const char* key, int64_t v, int64_t lo, int64_t hi, const std::string& where) {
    if (v < lo || v > hi)
        badValue(key,
                 "is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]",
                 where);
}

void validate(const ModelConfig& c, const std::string& where) {
    checkRange("num_hidden_layers", c.nLayers, 1, 1024, where);
    checkRange("hidden_size", c.dModel, 1, kMaxDim, where);
    checkRange("num_attention_heads", c.nHeads, 1, 4096, where);
    checkRange("num_key_value_heads", c.nKvHeads, 1, c.nHeads, where);
    checkRange("head_dim", c.headDim, 1, 4096, where);
    checkRange("intermediate_size", c.dMlp, 1, kMaxDim * 4, where);
    checkRange("vocab_size", c.vocabSize, 1, 1 << 24, where);
    checkRange("max_position_embeddings", c.maxPositions, 1, int64_t(1) << 26, where);
    if (c.nHeads % c.nKvHeads != 0) {
        std::ostringstream why; // (ostringstream: GCC 12 misreports string concatenation here)
        why << "(" << c.nKvHeads << ") does not divide num_attention_heads (" << c.nHeads << ")";
        badValue("num_key_value_heads", why.str(), where);
    }
    if (c.position == PositionKind::Rotary &&
        (c.rope.rotaryDim < 2 || c.rope.rotaryDim > c.headDim || c.rope.rotaryDim % 2 != 0))
        badValue("partial_rotary_factor",
                 "gives " + std::to_string(c.rope.rotaryDim) + " rotary dims for head_dim " +
                     std::to_string(c.headDim) + " (need an even number in [2, head_dim])",
                 where);
    const double params = c.estimatedParameters();
    if (params > kMaxParameters) {
        std::ostringstream msg;
        msg << "describes a model of about " << params << " parameters, beyond the "
            << kMaxParameters << " this runtime accepts";
        throw Exception(ErrorCode::InvalidFormat, msg.str(), where,
                        "The config.json is corrupt or not a model this studio can run");
    }
}

} // namespace

bool ModelConfig::layerIsSliding(int64_t layer) const {
    if (slidingWindow <= 0)
        return false;
    switch (slidingLayers) {
    case SlidingLayers::None: return false;
    case SlidingLayers::All: return true;
    case SlidingLayers::Even: return layer % 2 == 0;
    case SlidingLayers::FromLayer: return layer >= slidingFromLayer;
    }
    return false;
}

double ModelConfig::estimatedParameters() const {
    const double d = double(dModel), hd = double(headDim);
    const double attn = d * hd * double(nHeads + 2 * nKvHeads) + hd * double(nHeads) * d;
    const double mlp = d * double(dMlp) * (gatedMlp ? 3.0 : 2.0);
    const double embed = double(vocabSize) * d * (tieEmbeddings ? 1.0 : 2.0) +
                         (position == PositionKind::Learned ? double(maxPositions) * d : 0.0);
    return embed + double(nLayers) * (attn + mlp);
}

namespace cfg {

namespace {
const json* present(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return nullptr;
    return &*it;
}
} // namespace

int64_t intOr(const json& j, const char* key, int64_t fallback) {
    const json* v = present(j, key);
    if (!v)
        return fallback;
    if (v->is_number_integer() || v->is_number_unsigned())
        return v->get<int64_t>();
    if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
        std::abs(v->get<double>()) < 9e15)
        return static_cast<int64_t>(v->get<double>());
    badValue(key, "should be an integer, got " + v->dump(), "config.json");
}

double numberOr(const json& j, const char* key, double fallback) {
    const json* v = present(j, key);
    if (!v)
        return fallback;
    if (!v->is_number())
        badValue(key, "should be a number, got " + v->dump(), "config.json");
    return v->get<double>();
}

bool boolOr(const json& j, const char* key, bool fallback) {
    const json* v = present(j, key);
    if (!v)
        return fallback;
    if (!v->is_boolean())
        badValue(key, "should be true or false, got " + v->dump(), "config.json");
    return v->get<bool>();
}

std::string stringOr(const json& j, const char* key, const std::string& fallback) {
    const json* v = present(j, key);
    if (!v)
        return fallback;
    if (!v->is_string())
        badValue(key, "should be a string, got " + v->dump(), "config.json");
    return v->get<std::string>();
}

int64_t requiredInt(const json& j, const char* key) {
    if (!present(j, key))
        badValue(key, "is missing", "config.json");
    return intOr(j, key, 0);
}

bool isNull(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_null();
}

Activation activationFromName(const std::string& name, const char* key) {
    if (name == "gelu")
        return Activation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
        return Activation::GeluTanh;
    if (name == "silu" || name == "swish")
        return Activation::Silu;
    if (name == "relu")
        return Activation::Relu;
    throw Exception(ErrorCode::Unsupported, "activation '" + name + "' is not supported",
                    std::string("config.json key '") + key + "'",
                    "Supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, relu");
}

} // namespace cfg

ModelConfig parseModelConfig(const json& j, const std::string& where) {
    if (!j.is_object())
        throw Exception(ErrorCode::InvalidFormat, "config.json is not a JSON object", where,
                        "Use the config.json written by transformers' save_pretrained");
    const std::string type = cfg::stringOr(j, "model_type", "");
    if (type.empty())
        throw Exception(ErrorCode::InvalidFormat, "config.json has no model_type", where,
                        "Use the config.json written by transformers' save_pretrained");
    const Family& family = findFamily(type);
    ModelConfig c;
    c.modelType = type;
    if (auto it = j.find("architectures"); it != j.end() && it->is_array())
        for (const auto& a : *it)
            if (a.is_string())
                c.architectures.push_back(a.get<std::string>());
    c.torchDtype = cfg::stringOr(j, "torch_dtype", "");
    c.bosTokenId = cfg::intOr(j, "bos_token_id", -1);
    if (auto it = j.find("eos_token_id"); it != j.end()) {
        if (it->is_number_integer())
            c.eosTokenIds.push_back(it->get<int64_t>());
        else if (it->is_array())
            for (const auto& e : *it)
                if (e.is_number_integer())
                    c.eosTokenIds.push_back(e.get<int64_t>());
    }
    try {
        family.parseConfig(j, c);
    } catch (const Exception& e) {
        // The helpers only know the key; add the file.
        throw Exception(e.code(), std::string(e.what()) + " [" + where + "]");
    }
    if (c.attnScale == 0)
        c.attnScale = 1.0 / std::sqrt(double(c.headDim));
    validate(c, where);
    return c;
}

ModelConfig loadModelConfig(const std::string& folder) {
    const std::filesystem::path path = std::filesystem::path(folder) / "config.json";
    std::ifstream in(path);
    if (!in)
        throw Exception(ErrorCode::NotFound, "no config.json", path.string(),
                        "Point to a Hugging Face model folder (config.json + *.safetensors)");
    json j;
    try {
        std::stringstream text;
        text << in.rdbuf();
        j = parseJsonLimitingDepth(text.str(), path.string(), "Re-download the model");
    } catch (const json::exception& e) {
        throw Exception(ErrorCode::InvalidFormat,
                        std::string("config.json is not valid JSON: ") + e.what(), path.string(),
                        "Re-download the model");
    }
    return parseModelConfig(j, path.string());
}

std::vector<std::string> supportedModelTypes() {
    return familyNames();
}

} // namespace mistudio::model
