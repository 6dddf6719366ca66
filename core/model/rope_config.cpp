// rope_scaling as transformers reads it (modeling_rope_utils.py, v4.47): the key "rope_type"
// (older checkpoints: "type"; Phi-3 writes "su" for longrope).
#include "mistudio/result.h"
#include "model/config.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace mistudio::model::cfg {

using nlohmann::json;

namespace {

[[noreturn]] void badRope(const std::string& what) {
    throw Exception(ErrorCode::InvalidFormat, "rope_scaling " + what, "config.json",
                    "Use the rope_scaling block written by transformers for this model");
}

double requiredNumber(const json& rs, const char* key, const std::string& type) {
    auto it = rs.find(key);
    if (it == rs.end() || !it->is_number())
        badRope("of type '" + type + "' needs a number '" + key + "'");
    return it->get<double>();
}

std::vector<double> factorList(const json& rs, const char* key, size_t expected) {
    auto it = rs.find(key);
    if (it == rs.end() || !it->is_array())
        badRope(std::string("of type 'longrope' needs a list '") + key + "'");
    std::vector<double> out;
    for (const auto& v : *it) {
        if (!v.is_number())
            badRope(std::string("'") + key + "' holds a non-number");
        out.push_back(v.get<double>());
    }
    if (out.size() != expected)
        badRope(std::string("'") + key + "' has " + std::to_string(out.size()) +
                " values, expected rotary_dim/2 = " + std::to_string(expected));
    return out;
}

void parseLongrope(const json& j, const json& rs, ModelConfig& c) {
    RopeConfig& r = c.rope;
    const size_t half = static_cast<size_t>(r.rotaryDim / 2);
    r.shortFactor = factorList(rs, "short_factor", half);
    r.longFactor = factorList(rs, "long_factor", half);
    // Phi-3 keeps original_max_position_embeddings at the top level of the config; then the
    // scale is max/original. Without it, rope_scaling's own factor is used.
    double factor = numberOr(rs, "factor", 1.0);
    if (j.contains("original_max_position_embeddings") &&
        !j["original_max_position_embeddings"].is_null()) {
        r.originalMaxPositions = intOr(j, "original_max_position_embeddings", c.maxPositions);
        factor = double(c.maxPositions) / double(r.originalMaxPositions);
    } else {
        r.originalMaxPositions = c.maxPositions;
    }
    if (r.originalMaxPositions <= 1)
        badRope("needs original_max_position_embeddings > 1");
    r.factor = factor;
    auto af = rs.find("attention_factor");
    if (af != rs.end() && af->is_number())
        r.attentionFactor = af->get<double>();
    else
        r.attentionFactor =
            factor <= 1.0
                ? 1.0
                : std::sqrt(1.0 + std::log(factor) / std::log(double(r.originalMaxPositions)));
}

} // namespace

void parseRopeScaling(const json& j, ModelConfig& c) {
    auto it = j.find("rope_scaling");
    if (it == j.end() || it->is_null())
        return;
    const json& rs = *it;
    if (!rs.is_object())
        badRope("should be an object or null");
    std::string type = stringOr(rs, "rope_type", stringOr(rs, "type", "default"));
    if (type == "su")
        type = "longrope";
    RopeConfig& r = c.rope;
    r.type = type;
    if (type == "default")
        return;
    if (type == "linear" || type == "dynamic") {
        r.factor = requiredNumber(rs, "factor", type);
        if (r.factor <= 0)
            badRope("factor must be > 0");
    } else if (type == "llama3") {
        r.factor = requiredNumber(rs, "factor", type);
        r.lowFreqFactor = requiredNumber(rs, "low_freq_factor", type);
        r.highFreqFactor = requiredNumber(rs, "high_freq_factor", type);
        r.originalMaxPositions =
            static_cast<int64_t>(requiredNumber(rs, "original_max_position_embeddings", type));
        if (r.highFreqFactor <= r.lowFreqFactor || r.originalMaxPositions <= 0)
            badRope("llama3 needs high_freq_factor > low_freq_factor and a positive "
                    "original_max_position_embeddings");
    } else if (type == "longrope") {
        parseLongrope(j, rs, c);
    } else {
        throw Exception(ErrorCode::Unsupported, "rope_scaling type '" + type + "' is not supported",
                        "config.json",
                        "Supported: default, linear, dynamic, llama3, longrope (su)");
    }
}

} // namespace mistudio::model::cfg
