#include "windows/dashboard_panel.h"

#include "bridge/engine_bridge.h"
#include "models/run_follower.h"
#include "plots/plot_controller.h"

#include <QGridLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace mistudio::ui {

namespace {
struct ChartSpec {
    const char* key;
    const char* title;
};
constexpr ChartSpec kCharts[] = {
    {"loss", "Loss terms"},         {"l0", "L0 (active latents per token)"},
    {"ev", "Explained variance"},   {"dead", "Dead / dense latents"},
    {"speed", "Tokens per second"}, {"memory", "Memory (GiB)"},
};

QString formatEta(double seconds) {
    if (seconds < 0)
        return QStringLiteral("—");
    const int s = static_cast<int>(seconds);
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}
} // namespace

const QStringList& DashboardPanel::stageNames() {
    static const QStringList names = {QStringLiteral("download"), QStringLiteral("load"),
                                      QStringLiteral("extract"),  QStringLiteral("train"),
                                      QStringLiteral("evaluate"), QStringLiteral("analyze")};
    return names;
}

QString DashboardPanel::chartForMetric(const QString& metric) {
    // Schedule values and counters are recorded but not plotted: on the loss chart their scale
    // (a token count, a learning rate) would flatten the loss curves.
    static const QStringList unplotted = {
        QStringLiteral("lr"), QStringLiteral("grad_norm"), QStringLiteral("threshold"),
        QStringLiteral("sparsity_coefficient"), QStringLiteral("tokens")};
    if (unplotted.contains(metric.section(QLatin1Char('/'), -1)))
        return {};
    if (metric == QLatin1String("l0"))
        return QStringLiteral("l0");
    if (metric == QLatin1String("explained_variance") || metric == QLatin1String("fvu"))
        return QStringLiteral("ev");
    if (metric.startsWith(QLatin1String("dead")) || metric.startsWith(QLatin1String("dense")))
        return QStringLiteral("dead");
    if (metric.endsWith(QLatin1String("per_s")))
        return QStringLiteral("speed");
    if (metric.startsWith(QLatin1String("memory")))
        return QStringLiteral("memory");
    return QStringLiteral("loss"); // loss terms, MSE, aux loss, L1, ...
}

DashboardPanel::DashboardPanel(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildStageBar());
    layout->addWidget(buildCharts(), 1);
    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000); // bounded, like the plots
    m_log->setMaximumHeight(140);
    layout->addWidget(m_log);

    m_follower = new RunFollower(this);
    connect(m_follower, &RunFollower::metric, this,
            [this](qint64 step, const QString& name, double value) {
                if (auto* chart = m_charts.value(chartForMetric(name)))
                    chart->append(name, static_cast<double>(step), value);
            });
    connect(m_follower, &RunFollower::statusChanged, this,
            [this](const QString& status, const QString& error) {
                const qint64 run = m_follower->runId();
                m_status->setText(
                    error.isEmpty()
                        ? tr("Run %1 (from the project): %2").arg(run).arg(status)
                        : tr("Run %1 (from the project): %2 — %3").arg(run).arg(status, error));
            });
    connect(m_bridge, &EngineBridge::jobProgress, this, &DashboardPanel::onProgress);
    connect(m_bridge, &EngineBridge::jobMetric, this, &DashboardPanel::onMetric);
    connect(m_bridge, &EngineBridge::jobLog, this, &DashboardPanel::onLog);
    connect(m_bridge, &EngineBridge::jobMemory, this, &DashboardPanel::onMemory);
    connect(m_bridge, &EngineBridge::jobFinished, this, &DashboardPanel::onFinished);
}

QWidget* DashboardPanel::buildStageBar() {
    auto* box = new QWidget(this);
    auto* grid = new QGridLayout(box);
    int column = 0;
    for (const QString& stage : stageNames()) {
        grid->addWidget(new QLabel(stage, box), 0, column);
        auto* bar = new QProgressBar(box);
        bar->setRange(0, 1000);
        bar->setValue(0);
        bar->setFormat(QStringLiteral("%p%"));
        m_stageBars.insert(stage, bar);
        grid->addWidget(bar, 1, column++);
    }
    m_status = new QLabel(tr("No run selected"), box);
    grid->addWidget(m_status, 2, 0, 1, column - 2);
    m_cancel = new QPushButton(tr("Cancel"), box);
    m_resume = new QPushButton(tr("Resume"), box);
    m_cancel->setEnabled(false);
    m_resume->setEnabled(false);
    grid->addWidget(m_cancel, 2, column - 2);
    grid->addWidget(m_resume, 2, column - 1);
    connect(m_cancel, &QPushButton::clicked, this, [this] { Q_EMIT cancelRequested(m_jobId); });
    connect(m_resume, &QPushButton::clicked, this, [this] { Q_EMIT resumeRequested(m_jobId); });
    return box;
}

QWidget* DashboardPanel::buildCharts() {
    auto* box = new QWidget(this);
    auto* grid = new QGridLayout(box);
    int i = 0;
    for (const ChartSpec& spec : kCharts) {
        auto* plot = new QCustomPlot(box);
        plot->setMinimumSize(240, 160);
        plot->plotLayout()->insertRow(0);
        plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, tr(spec.title)));
        plot->xAxis->setLabel(
            QString::fromLatin1(spec.key) == QLatin1String("memory") ? tr("seconds") : tr("step"));
        m_charts.insert(QString::fromLatin1(spec.key), new PlotController(plot, 40, this));
        grid->addWidget(plot, i / 3, i % 3);
        ++i;
    }
    return box;
}

void DashboardPanel::resetView() {
    m_follower->stop();
    m_memoryClock = 0;
    for (PlotController* c : std::as_const(m_charts))
        c->clear();
    for (QProgressBar* bar : std::as_const(m_stageBars))
        bar->setValue(0);
    m_log->clear();
}

bool DashboardPanel::followProjectRun(const QString& projectPath, qint64 runId, QString* error) {
    m_jobId = 0;
    resetView();
    m_cancel->setEnabled(false); // the job belongs to another process
    m_resume->setEnabled(false);
    m_status->setText(tr("Following run %1 from %2").arg(runId).arg(projectPath));
    return m_follower->follow(projectPath, runId, error);
}

void DashboardPanel::followJob(quint64 jobId) {
    m_jobId = jobId;
    resetView();
    m_cancel->setEnabled(jobId != 0);
    m_resume->setEnabled(false);
    m_status->setText(jobId ? tr("Run %1 started").arg(jobId) : tr("No run selected"));
}

void DashboardPanel::onProgress(quint64 jobId, const QString& stage, double done, double total,
                                const QString& unit, double rate, double eta) {
    if (jobId != m_jobId)
        return;
    QProgressBar* bar = m_stageBars.value(stage);
    if (bar && total > 0)
        bar->setValue(static_cast<int>(1000.0 * std::min(1.0, done / total)));
    // Earlier stages are complete once a later one reports.
    for (const QString& s : stageNames()) {
        if (s == stage)
            break;
        if (QProgressBar* b = m_stageBars.value(s))
            b->setValue(1000);
    }
    m_status->setText(tr("%1: %2 / %3 %4 · %5 %4/s · ETA %6")
                          .arg(stage)
                          .arg(done, 0, 'f', 0)
                          .arg(total, 0, 'f', 0)
                          .arg(unit)
                          .arg(rate, 0, 'f', 1)
                          .arg(formatEta(eta)));
}

void DashboardPanel::onMetric(quint64 jobId, qint64 step, const QString& name, double value) {
    if (jobId != m_jobId)
        return;
    if (auto* chart = m_charts.value(chartForMetric(name)))
        chart->append(name, static_cast<double>(step), value);
}

void DashboardPanel::onLog(quint64 jobId, int, const QString& text) {
    if (jobId == m_jobId)
        m_log->appendPlainText(text);
}

void DashboardPanel::onMemory(quint64 jobId, qint64 cpuRss, qint64 gpuUsed, qint64 gpuReserved,
                              qint64 gpuTotal) {
    if (jobId != m_jobId)
        return;
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    m_memoryClock += 0.5; // the engine samples about twice a second
    PlotController* mem = m_charts.value(QStringLiteral("memory"));
    mem->append(QStringLiteral("cpu_rss"), m_memoryClock, cpuRss / kGiB);
    if (gpuTotal > 0) {
        mem->append(QStringLiteral("gpu_used"), m_memoryClock, gpuUsed / kGiB);
        mem->append(QStringLiteral("gpu_reserved"), m_memoryClock, gpuReserved / kGiB);
        mem->append(QStringLiteral("gpu_total"), m_memoryClock, gpuTotal / kGiB);
    }
}

void DashboardPanel::onFinished(quint64 jobId, bool ok, const QString& error) {
    if (jobId != m_jobId)
        return;
    m_cancel->setEnabled(false);
    m_resume->setEnabled(!ok);
    m_status->setText(ok ? tr("Run %1 finished").arg(jobId)
                         : tr("Run %1 stopped: %2").arg(jobId).arg(error));
}

} // namespace mistudio::ui
