#pragma once
// SAE evaluation with the SAE spliced into the model (SAE-RECIPES.md section C): held-out token
// windows run three times, clean, with the hook's activation replaced by the SAE reconstruction,
// and with it zero-ablated; the CE/KL metrics (CeAccumulator) and the reconstruction metrics
// (EvalAccumulator) are computed on the same document tokens. Internal header.
//
// Which positions count (SAELens excludes special tokens in its evals):
//  - the SAE replaces (and zero ablation zeroes) the activation only at document tokens; BOS, EOS
//    and PAD positions keep their clean activation, so the SAE is not judged on inputs it was
//    not trained on;
//  - the reconstruction metrics use those same positions;
//  - a next-token prediction at position t is scored when t and t + 1 are both document tokens.

#include "mistudio/dataset.h"
#include "mistudio/sae.h"
#include "mistudio/token_windows.h"
#include "model/transformer.h"
#include "sae/model.h"

#include <string>
#include <vector>

namespace mistudio::sae {

/// Packs the dataset's documents (tokenized with the model folder's tokenizer, concatenated with
/// EOS between them, a BOS at the start of each window: extraction's defaults) into windows of
/// `contextLength`, skips the first `skipWindows` of them, then takes windows until `tokens`
/// document positions are included; positions past the first `tokens` are excluded.
std::vector<data::TokenWindow> evalWindows(const std::string& modelFolder,
                                           const data::DatasetSpec& dataset, int64_t tokens,
                                           int contextLength, int64_t skipWindows = 0);

/// How many windows (packed as above) hold the first `rows` included positions: the windows an
/// extraction of `rows` activation rows ran. Stops early when the dataset ends.
int64_t windowsHoldingRows(const std::string& modelFolder, const data::DatasetSpec& dataset,
                           int64_t rows, int contextLength);

/// The next-token targets scored for a window batch: int64 [B, T], ids[t + 1] where positions t
/// and t + 1 are both included, -1 elsewhere (and at the last position).
at::Tensor scoredTargets(const std::vector<data::TokenWindow>& windows);

/// Full evaluation at `hook` (a hook point of `model`, [B, T, d_in] activations). `batch` windows
/// go through the model at a time. Returns EvalMetrics with the CE fields set.
EvalMetrics evaluateSpliced(const SaeModel& sae, model::Transformer& model, const std::string& hook,
                            const std::vector<data::TokenWindow>& windows, int batch = 8);

} // namespace mistudio::sae
