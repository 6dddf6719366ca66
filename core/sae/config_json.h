#pragma once
// SaeConfig <-> JSON (the `sae` object of a RUN.json, and the training record saved in cfg.json).

#include "mistudio/sae.h"

#include <nlohmann/json.hpp>

namespace mistudio::sae {

/// Builds a config from a RUN.json `sae` object: recipe defaults for the architecture and sizes,
/// then every given key. Unknown keys, keys that do not apply to the architecture, wrong types
/// and out-of-range values throw InvalidArgument naming `where` + key.
SaeConfig parseSaeConfig(const nlohmann::json& j, int64_t dIn, const std::string& where);

/// "mean", "geometric_median", "zeros".
const char* bDecInitName(BDecInit b);

/// Every field, with the names parseSaeConfig accepts.
nlohmann::json saeConfigToJson(const SaeConfig& c);

} // namespace mistudio::sae
