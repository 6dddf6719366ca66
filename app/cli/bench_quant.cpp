// mistudio-cli bench quant: accuracy of every --quant mode on every fixture model, as the
// relative error ‖h_q − h‖/‖h‖ of the hidden states (worst layer) and of the logits versus the
// fixtures' fp32 transformers goldens.
#include "cli.h"
#include "io/safetensors.h"
#include "mistudio/result.h"
#include "model/quant_accuracy.h"
#include "quant/quant.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace fs = std::filesystem;

int runBenchQuant(ArgParser& args) {
    std::string dir = args.valueOr("--fixtures", "");
    args.finish();
    if (dir.empty()) {
        const char* shared = std::getenv("MISTUDIO_SHARED_DIR");
        dir = std::string(shared ? shared : "../shared") + "/fixtures/models";
    }
    if (!fs::is_directory(dir))
        throw Exception(
            ErrorCode::NotFound, "no fixture models folder", dir,
            "Pass --fixtures DIR (folders with model.safetensors + golden.safetensors)");
    std::vector<fs::path> models;
    for (const auto& e : fs::directory_iterator(dir))
        if (fs::exists(e.path() / "golden.safetensors"))
            models.push_back(e.path());
    std::sort(models.begin(), models.end());
    nlohmann::json figures = nlohmann::json::object();
    std::printf("%-14s %-6s %14s %14s %12s\n", "model", "mode", "hidden_rel_max", "logits_rel",
                "weight_bytes");
    for (const fs::path& m : models) {
        const auto golden = io::SafetensorsFile::open((m / "golden.safetensors").string());
        const at::Tensor ids = golden->load("input_ids", at::kLong);
        std::vector<at::Tensor> hidden;
        for (int i = 0; golden->find("hidden_states." + std::to_string(i)); ++i)
            hidden.push_back(golden->load("hidden_states." + std::to_string(i), at::kFloat));
        const at::Tensor logits = golden->load("logits", at::kFloat);
        const std::string name = m.filename().string();
        auto report = [&](const model::QuantAccuracy& acc) {
            std::printf("%-14s %-6s %14.3e %14.3e %12lld\n", name.c_str(), acc.mode.c_str(),
                        acc.maxHidden(), acc.logits, static_cast<long long>(acc.weightBytes));
            figures[name][acc.mode] = {{"hidden_rel_max", acc.maxHidden()},
                                       {"logits_rel", acc.logits},
                                       {"weight_bytes", acc.weightBytes}};
        };
        for (const auto& f : quant::kFormats)
            report(model::measureQuantAccuracy(m.string(), f.name, ids, hidden, logits));
        // nf4 with double-quantized (8-bit) block scales, reported as "nf4+dq".
        report(model::measureQuantAccuracy(m.string(), "nf4", ids, hidden, logits, true));
    }
    std::cout << figures.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
