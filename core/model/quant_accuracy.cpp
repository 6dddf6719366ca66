#include "model/quant_accuracy.h"

#include "mistudio/result.h"
#include "model/transformer.h"

#include <algorithm>

namespace mistudio::model {

double QuantAccuracy::maxHidden() const {
    return hidden.empty() ? 0.0 : *std::max_element(hidden.begin(), hidden.end());
}

double relativeError(const at::Tensor& got, const at::Tensor& ref) {
    const at::Tensor r = ref.to(at::kCPU, at::kFloat);
    const double num = (got.to(at::kCPU, at::kFloat) - r).norm().item<double>();
    const double den = r.norm().item<double>();
    return den > 0 ? num / den : num;
}

QuantAccuracy measureQuantAccuracy(const std::string& folder, const std::string& mode,
                                   const at::Tensor& ids, const std::vector<at::Tensor>& refHidden,
                                   const at::Tensor& refLogits, bool doubleQuant) {
    LoadOptions options;
    options.quant = mode;
    options.doubleQuant = doubleQuant;
    auto model = Transformer::open(folder, options);
    ForwardRequest req;
    req.hiddenStates = true;
    const ForwardResult out = model->forward(ids, req);
    if (out.hiddenStates.size() != refHidden.size())
        throw Exception(ErrorCode::InvalidArgument,
                        "expected " + std::to_string(refHidden.size()) + " hidden states, got " +
                            std::to_string(out.hiddenStates.size()),
                        folder, "pass hidden_states.0..L of this model as references");
    QuantAccuracy acc;
    acc.mode = doubleQuant ? mode + "+dq" : mode;
    for (size_t i = 0; i < refHidden.size(); ++i)
        acc.hidden.push_back(relativeError(out.hiddenStates[i], refHidden[i]));
    acc.logits = relativeError(out.logits, refLogits);
    acc.weightBytes = model->weightBytes();
    return acc;
}

} // namespace mistudio::model
