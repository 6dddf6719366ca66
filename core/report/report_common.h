#pragma once
// Helpers shared by the exports.

#include "mistudio/project.h"

#include <string>
#include <vector>

namespace mistudio::report {

std::string formatNumber(double v);
/// Every feature's statistics of a run, in index order.
std::vector<FeatureStats> allFeatures(const Project& project, int64_t runId);
/// Feature indices by selection: "frequent" | "max" | "labelled" (throws InvalidArgument else).
std::vector<int64_t> selectFeatures(const std::vector<FeatureStats>& all,
                                    const std::string& selection, int limit);
/// `" the", " cat"` style list of the first `n` tokens.
std::string joinTokens(const std::vector<TokenValue>& values, size_t n);
/// HTML table rows describing the run, its model and dataset (escaped).
std::string runSummaryRows(const Project& project, const RunRecord& run);

} // namespace mistudio::report
