#pragma once
// Coalesced, bounded live plotting (PlotJuggler's pattern): points are staged as they arrive, and
// a single-shot ~40 ms timer moves them into bounded series and replots once (≤ 25 Hz), however
// fast the engine reports.

#include "plots/bounded_series.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QTimer>
#include <vector>

class QCustomPlot;
class QCPGraph;

namespace mistudio::ui {

class PlotController : public QObject {
    Q_OBJECT
public:
    /// Each named series is drawn as a graph on `plot`; `intervalMs` is the coalescing delay.
    explicit PlotController(QCustomPlot* plot, int intervalMs = 40, QObject* parent = nullptr);

    /// Declares a series with its legend name and color (before or after points arrive).
    void addSeries(const QString& key, const QString& legend, const QColor& color);
    /// Stages a point; cheap, never replots synchronously.
    void append(const QString& key, double x, double y);
    void clear();

    int replotCount() const { return m_replots; }
    const BoundedSeries* series(const QString& key) const;

private:
    void flush();

    struct Staged {
        QString key;
        double x;
        double y;
    };
    QCustomPlot* m_plot;
    QTimer m_timer;
    std::vector<Staged> m_pending;
    QHash<QString, BoundedSeries> m_series;
    QHash<QString, QCPGraph*> m_graphs;
    int m_replots = 0;
};

} // namespace mistudio::ui
