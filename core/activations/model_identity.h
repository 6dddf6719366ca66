#pragma once
// What identifies the model an activation cache was extracted from, beyond its folder path: the
// Hub commit when the folder is a Hugging Face cache snapshot, and the size and modification
// time of each model file, so that a model rewritten in place is not silently taken for the one
// a cache was made from.

#include <nlohmann/json.hpp>
#include <string>

namespace mistudio::activations {

/// The commit of `<cache>/models--org--name/snapshots/<commit>` (40 hex digits); "local" for any
/// other folder (a local model has no revision).
std::string modelRevision(const std::string& modelFolder);

/// [{"file", "bytes", "mtime_ns"}] for config.json, tokenizer(_config).json and every
/// *.safetensors or *.safetensors.index.json in the folder, sorted by name (symlinks followed).
nlohmann::json modelFiles(const std::string& modelFolder);

} // namespace mistudio::activations
