#pragma once
// Accuracy of a quantized run against float references: relative error ‖h_q − h‖/‖h‖ of every
// hidden state and of the logits. Shared by tests/model/test_quant_model.cpp (against the
// fixtures' transformers goldens) and `mistudio-cli bench quant`.

#include <ATen/ATen.h>
#include <string>
#include <vector>

namespace mistudio::model {

struct QuantAccuracy {
    std::string mode;
    std::vector<double> hidden; // per hidden_states.N
    double logits = 0;
    double maxHidden() const;
    int64_t weightBytes = 0; // of the loaded model in this mode
};

/// ‖a − b‖ / ‖b‖ in fp32 (0 when both are zero).
double relativeError(const at::Tensor& got, const at::Tensor& ref);

/// Runs `folder` on CPU with --quant `mode` over `ids` and compares its hidden states and
/// logits with the references (refHidden.size() must be L + 1). `doubleQuant`: nf4 with 8-bit
/// block scales (LoadOptions::doubleQuant).
QuantAccuracy measureQuantAccuracy(const std::string& folder, const std::string& mode,
                                   const at::Tensor& ids, const std::vector<at::Tensor>& refHidden,
                                   const at::Tensor& refLogits, bool doubleQuant = false);

} // namespace mistudio::model
