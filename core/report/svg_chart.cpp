#include "report/svg_chart.h"

#include "mistudio/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mistudio::report {

namespace {
constexpr int kLeft = 56, kRight = 12, kTop = 28, kBottom = 34;
const char* kColors[] = {"#d97706", "#2563eb", "#16a34a", "#dc2626", "#7c3aed", "#0891b2"};

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

struct Frame {
    double x0, x1, y0, y1;
    int w, h;
    double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (w - kLeft - kRight); }
    double py(double y) const { return h - kBottom - (y - y0) / (y1 - y0) * (h - kTop - kBottom); }
};

std::string axes(const Frame& f, const std::string& title) {
    std::string s = "<text x=\"" + std::to_string(f.w / 2) +
                    "\" y=\"16\" text-anchor=\"middle\" "
                    "font-weight=\"bold\">" +
                    htmlEscape(title) + "</text>";
    s += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
         std::to_string(f.w - kLeft - kRight) + "\" height=\"" +
         std::to_string(f.h - kTop - kBottom) + "\" fill=\"none\" stroke=\"#999\"/>";
    for (int i = 0; i <= 4; ++i) {
        const double x = f.x0 + (f.x1 - f.x0) * i / 4, y = f.y0 + (f.y1 - f.y0) * i / 4;
        s += "<text x=\"" + num(f.px(x)) + "\" y=\"" + std::to_string(f.h - kBottom + 14) +
             "\" text-anchor=\"middle\">" + num(x) + "</text>";
        s += "<text x=\"" + std::to_string(kLeft - 4) + "\" y=\"" + num(f.py(y) + 4) +
             "\" text-anchor=\"end\">" + num(y) + "</text>";
    }
    return s;
}

std::string open(int w, int h) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) +
           "\" height=\"" + std::to_string(h) + "\" font-family=\"sans-serif\" font-size=\"10\">";
}
} // namespace

std::string svgLineChart(const std::string& title, const std::vector<SvgSeries>& series, int width,
                         int height) {
    Frame f{1e300, -1e300, 1e300, -1e300, width, height};
    for (const auto& s : series)
        for (const auto& [x, y] : s.points) {
            if (!std::isfinite(x) || !std::isfinite(y))
                continue;
            f.x0 = std::min(f.x0, x), f.x1 = std::max(f.x1, x);
            f.y0 = std::min(f.y0, y), f.y1 = std::max(f.y1, y);
        }
    if (f.x0 > f.x1)
        f = Frame{0, 1, 0, 1, width, height};
    if (f.x1 == f.x0)
        f.x1 = f.x0 + 1;
    if (f.y1 == f.y0)
        f.y1 = f.y0 + 1;
    std::string svg = open(width, height) + axes(f, title);
    for (size_t i = 0; i < series.size(); ++i) {
        std::string path;
        for (const auto& [x, y] : series[i].points)
            if (std::isfinite(x) && std::isfinite(y))
                path += (path.empty() ? "M" : " L") + num(f.px(x)) + "," + num(f.py(y));
        const char* color = kColors[i % 6];
        svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + color +
               "\" stroke-width=\"1.5\"/>";
        svg += "<text x=\"" + std::to_string(kLeft + 6) + "\" y=\"" +
               std::to_string(kTop + 12 + 12 * i) + "\" fill=\"" + color + "\">" +
               htmlEscape(series[i].name) + "</text>";
    }
    return svg + "</svg>";
}

std::string svgHistogram(const std::string& title, const std::vector<double>& edges,
                         const std::vector<double>& counts, const std::string& xLabel, int width,
                         int height) {
    if (edges.size() != counts.size() + 1 || counts.empty())
        return open(width, height) + "<text x=\"10\" y=\"20\">" + htmlEscape(title) +
               ": no data</text></svg>";
    Frame f{edges.front(),
            edges.back(),
            0,
            std::max(1.0, *std::max_element(counts.begin(), counts.end())),
            width,
            height};
    std::string svg = open(width, height) + axes(f, title);
    for (size_t i = 0; i < counts.size(); ++i) {
        const double x = f.px(edges[i]), w = std::max(0.5, f.px(edges[i + 1]) - x - 0.5);
        svg += "<rect x=\"" + num(x) + "\" y=\"" + num(f.py(counts[i])) + "\" width=\"" + num(w) +
               "\" height=\"" + num(f.py(0) - f.py(counts[i])) + "\" fill=\"#f59e0b\"/>";
    }
    svg += "<text x=\"" + std::to_string(width / 2) + "\" y=\"" + std::to_string(height - 4) +
           "\" text-anchor=\"middle\">" + htmlEscape(xLabel) + "</text>";
    return svg + "</svg>";
}

} // namespace mistudio::report
