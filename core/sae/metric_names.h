#pragma once
// The names metrics go by everywhere: live job events, the project's metrics and evals tables,
// the dashboard and the report. One list, so `train --project`, the pipeline and the trainer's
// events cannot drift apart. Internal header (torch-free).

#include "mistudio/project_types.h"
#include "mistudio/sae.h"

#include <utility>
#include <vector>

namespace mistudio::sae {

/// A logging step's values by name: loss, mse, fvu, sparsity_loss, aux_loss, l0, dead, dense, lr,
/// sparsity_coefficient, grad_norm, threshold, tokens, tokens_per_s.
std::vector<std::pair<const char*, double>> namedStepMetrics(const StepMetrics& m);

/// The same as project metric points.
std::vector<MetricPoint> stepMetricPoints(const StepMetrics& m);

/// An evaluation's values by name: eval_tokens, l0, explained_variance, mse, cos_sim, l2_ratio,
/// relative_reconstruction_bias, ce_clean, ce_spliced, ce_zero, delta_ce, ce_loss_recovered, kl,
/// dead_fraction, dense_fraction, ultra_rare_count. CE values are NaN when no model was wired.
std::vector<std::pair<const char*, double>> namedEvalMetrics(const EvalMetrics& e);

/// An evaluation as the project's eval values (the keys of evalMetricsJson plus counts); metrics
/// that were not computed (NaN: no model wired) are left out rather than stored as NaN.
std::vector<EvalValue> evalValues(const EvalMetrics& e);

} // namespace mistudio::sae
