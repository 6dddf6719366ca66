// mistudio-cli forward: input_ids from a safetensors file -> hidden_states.0..L and logits.
#include "cli.h"
#include "io/safetensors.h"
#include "mistudio/result.h"
#include "model/transformer.h"

#include <iostream>

namespace mistudio::cli {

int runForward(ArgParser& args) {
    const std::string modelDir = args.required("--model");
    const std::string idsPath = args.required("--input-ids");
    const std::string outPath = args.required("--out");
    model::LoadOptions options;
    options.device = args.valueOr("--device", "cpu");
    options.dtype = args.valueOr("--dtype", "float32");
    options.quant = args.valueOr("--quant", "none");
    options.doubleQuant = args.flag("--double-quant");
    args.finish();

    const auto idsFile = io::SafetensorsFile::open(idsPath);
    if (!idsFile->find("input_ids"))
        throw Exception(ErrorCode::NotFound, "no tensor 'input_ids'", idsPath,
                        "Store the token ids as an int64 [B, T] tensor named input_ids");
    const at::Tensor ids = idsFile->load("input_ids", at::kLong);
    if (ids.dim() != 2)
        throw Exception(ErrorCode::InvalidArgument, "input_ids must be 2-D [B, T]", idsPath,
                        "Store the token ids as an int64 [B, T] tensor");

    auto model = model::Transformer::open(modelDir, options);
    if (model->quantPlan().fallback)
        std::cerr << model->quantPlan().reason << "\n";
    model::ForwardRequest req;
    req.hiddenStates = true;
    const model::ForwardResult out = model->forward(ids, req);

    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (size_t i = 0; i < out.hiddenStates.size(); ++i)
        tensors.emplace_back("hidden_states." + std::to_string(i),
                             out.hiddenStates[i].to(at::kCPU, at::kFloat).contiguous());
    tensors.emplace_back("logits", out.logits.to(at::kCPU, at::kFloat).contiguous());
    io::saveTensors(outPath, tensors, {{"format", "pt"}});
    std::cerr << "wrote " << tensors.size() << " tensors to " << outPath << "\n";
    return 0;
}

} // namespace mistudio::cli
