#include "plots/bounded_series.h"

#include <algorithm>

namespace mistudio::ui {

BoundedSeries::BoundedSeries(size_t capacity) : m_capacity(std::max<size_t>(capacity, 16)) {
    m_x.reserve(m_capacity);
    m_y.reserve(m_capacity);
}

void BoundedSeries::append(double x, double y) {
    if (m_x.size() >= m_capacity)
        thin();
    m_x.push_back(x);
    m_y.push_back(y);
}

void BoundedSeries::clear() {
    m_x.clear();
    m_y.clear();
}

void BoundedSeries::thin() {
    // Halve the resolution of the older half; keep the first point and the recent half intact.
    const size_t oldEnd = m_x.size() / 2;
    size_t out = 1;
    for (size_t i = 2; i < oldEnd; i += 2, ++out) {
        m_x[out] = m_x[i];
        m_y[out] = m_y[i];
    }
    for (size_t i = oldEnd; i < m_x.size(); ++i, ++out) {
        m_x[out] = m_x[i];
        m_y[out] = m_y[i];
    }
    m_x.resize(out);
    m_y.resize(out);
}

} // namespace mistudio::ui
