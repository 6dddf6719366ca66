// mistudio-cli estimate: the memory a run will need, predicted from config.json and the
// safetensors headers before anything is loaded (mistudio/memory_plan.h).
#include "cli.h"
#include "mistudio/memory_plan.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

int runEstimate(ArgParser& args) {
    MemoryPlanRequest req;
    req.modelFolder = args.required("--model");
    req.quant = args.required("--quant");
    req.upToHook = args.required("--hook");
    req.device = args.valueOr("--device", "cpu");
    req.doubleQuant = args.flag("--double-quant");
    req.batch = args.intOr("--batch", req.batch);
    req.seq = args.intOr("--seq", req.seq);
    args.finish();
    if (req.batch < 1 || req.seq < 1)
        throw UsageError("--batch and --seq must be at least 1");
    const MemoryPrediction p = predictMemory(req);
    const nlohmann::json out = {{"model", req.modelFolder},
                                {"quant", req.quant},
                                {"hook", req.upToHook},
                                {"device", req.device},
                                {"batch", req.batch},
                                {"seq", req.seq},
                                {"weight_bytes", p.weightBytes},
                                {"activation_bytes", p.activationBytes},
                                {"workspace_bytes", p.workspaceBytes},
                                {"total_bytes", p.totalBytes},
                                {"total", formatBytes(p.totalBytes)},
                                {"layers_loaded", p.layersLoaded},
                                {"layers_total", p.layersTotal},
                                {"needs_unembedding", p.needsUnembedding}};
    std::cout << out.dump(2) << std::endl;
    return 0;
}

} // namespace mistudio::cli
