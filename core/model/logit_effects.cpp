// Transformer::directLogitEffects: what a residual direction does to the logits when added
// right before the final norm (the "logit effects" of an SAE feature on its page).
#include "mistudio/result.h"
#include "model/transformer.h"

namespace mistudio::model {

at::Tensor Transformer::directLogitEffects(const at::Tensor& directions) {
    if (directions.dim() != 2 || directions.size(1) != m_cfg.dModel)
        throw Exception(ErrorCode::InvalidArgument,
                        "logit effect directions must be [N, " + std::to_string(m_cfg.dModel) + "]",
                        m_folder, "pass decoder rows of an SAE trained on this model");
    ensureHead(true);
    at::Tensor scale = m_finalNorm.weight.to(at::kFloat);
    if (m_cfg.norm == NormKind::GemmaRmsNorm)
        scale = scale + 1.0;
    const at::Tensor unembed = unembedding().to(directions.device(), at::kFloat);
    const at::Tensor scaled = directions.to(at::kFloat) * scale.to(directions.device());
    return at::matmul(scaled, unembed.t());
}

} // namespace mistudio::model
