#include "plots/plot_controller.h"

#include <qcustomplot.h>

namespace mistudio::ui {

PlotController::PlotController(QCustomPlot* plot, int intervalMs, QObject* parent)
    : QObject(parent), m_plot(plot) {
    m_timer.setSingleShot(true);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &PlotController::flush);
}

void PlotController::addSeries(const QString& key, const QString& legend, const QColor& color) {
    if (m_graphs.contains(key))
        return;
    QCPGraph* graph = m_plot->addGraph();
    graph->setName(legend);
    graph->setPen(QPen(color, 1.5));
    m_graphs.insert(key, graph);
    m_series.insert(key, BoundedSeries());
}

void PlotController::append(const QString& key, double x, double y) {
    m_pending.push_back({key, x, y});
    if (!m_timer.isActive())
        m_timer.start();
}

void PlotController::clear() {
    m_pending.clear();
    for (auto it = m_series.begin(); it != m_series.end(); ++it)
        it->clear();
    for (QCPGraph* g : std::as_const(m_graphs))
        g->data()->clear();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

const BoundedSeries* PlotController::series(const QString& key) const {
    auto it = m_series.constFind(key);
    return it == m_series.constEnd() ? nullptr : &*it;
}

void PlotController::flush() {
    for (const Staged& p : m_pending) {
        if (!m_graphs.contains(p.key))
            addSeries(p.key, p.key, QColor::fromHsv((m_graphs.size() * 67) % 360, 200, 200));
        m_series[p.key].append(p.x, p.y);
    }
    m_pending.clear();
    for (auto it = m_graphs.begin(); it != m_graphs.end(); ++it) {
        const BoundedSeries& s = m_series[it.key()];
        it.value()->setData(QVector<double>(s.xs().begin(), s.xs().end()),
                            QVector<double>(s.ys().begin(), s.ys().end()), true);
    }
    m_plot->legend->setVisible(m_graphs.size() > 1);  // one curve needs no legend
    m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    ++m_replots;
}

} // namespace mistudio::ui
