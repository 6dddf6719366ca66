#pragma once
// One live curve with bounded memory: when it reaches its capacity, the older points are thinned
// (every other point dropped) so a 10-hour run keeps its whole shape in a fixed number of points.
// The newest points always stay at full resolution.

#include <cstddef>
#include <vector>

namespace mistudio::ui {

class BoundedSeries {
public:
    explicit BoundedSeries(size_t capacity = 4000);

    void append(double x, double y);
    size_t size() const { return m_x.size(); }
    size_t capacity() const { return m_capacity; }
    const std::vector<double>& xs() const { return m_x; }
    const std::vector<double>& ys() const { return m_y; }
    double lastX() const { return m_x.empty() ? 0.0 : m_x.back(); }
    double lastY() const { return m_y.empty() ? 0.0 : m_y.back(); }
    void clear();

private:
    void thin();

    size_t m_capacity;
    std::vector<double> m_x;
    std::vector<double> m_y;
};

} // namespace mistudio::ui
