#pragma once
// Minimal inline-SVG charts for the HTML report (no scripts, no external files).

#include <string>
#include <utility>
#include <vector>

namespace mistudio::report {

struct SvgSeries {
    std::string name;
    std::vector<std::pair<double, double>> points; // (x, y)
};

/// A line chart of one or more series with axes, tick labels and a legend.
std::string svgLineChart(const std::string& title, const std::vector<SvgSeries>& series,
                         int width = 520, int height = 220);
/// A bar chart (histogram) over bins [edges[i], edges[i+1]).
std::string svgHistogram(const std::string& title, const std::vector<double>& edges,
                         const std::vector<double>& counts, const std::string& xLabel,
                         int width = 520, int height = 220);

} // namespace mistudio::report
