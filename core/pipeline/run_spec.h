#pragma once
// RUN.json of the pipeline: the training keys of `train` plus where the data comes from.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mistudio::pipeline {

struct RunSpec {
    std::string model;
    std::vector<std::string> hooks;
    std::string dataset;
    std::string textField = "text";
    int64_t tokens = 0;
    int64_t contextLength = 128;
    std::string quant = "none";
    std::string device = "cpu";
    std::string dtype = "fp32";  // activation cache dtype
    uint64_t seed = 0;
    nlohmann::json sae;
    int64_t evalTokens = 16384;
    int64_t analysisTokens = 0;  // 0: min(tokens, 200k)
};

/// Validates RUN.json: unknown keys and wrong types throw InvalidArgument naming the key.
RunSpec parseRunSpec(const nlohmann::json& j, const std::string& where);

}  // namespace mistudio::pipeline
