// mistudio-cli inspect MODEL: one JSON object describing a local model folder.
#include "cli.h"
#include "mistudio/model_info.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

int runInspect(ArgParser& args) {
    const auto pos = args.positionals();
    args.finish();
    if (pos.size() != 1)
        throw UsageError("give exactly one MODEL folder");
    const ModelInfo info = inspectModel(pos[0]);
    const nlohmann::json j = {
        {"model_type", info.modelType},
        {"architectures", info.architectures},
        {"n_layers", info.nLayers},
        {"d_model", info.dModel},
        {"n_heads", info.nHeads},
        {"n_kv_heads", info.nKvHeads},
        {"d_mlp", info.dMlp},
        {"vocab_size", info.vocabSize},
        {"n_params", info.nParams},
        {"dtype", info.dtype},
        {"files", info.files},
        {"hook_points", info.hookPoints},
        {"tokenizer", info.hasTokenizer},
    };
    std::cout << j.dump(2) << "\n";
    return 0;
}

} // namespace mistudio::cli
