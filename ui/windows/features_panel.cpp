#include "windows/features_panel.h"

#include "models/feature_table_model.h"
#include "windows/feature_page_widget.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace mistudio::ui {

namespace {
constexpr double kLogDensityFloor = -8.0; // densities below 1e-8 (and dead ones) draw here
}

FeaturesPanel::FeaturesPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildFilterBar());
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* left = new QWidget(splitter);
    auto* leftLayout = new QVBoxLayout(left);
    m_model = new FeatureTableModel(this);
    m_table = new QTableView(left);
    m_table->setModel(m_model);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(FeatureTableModel::DensityColumn, Qt::DescendingOrder);  // most active first
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setSectionResizeMode(FeatureTableModel::LabelColumn,
                                                      QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    leftLayout->addWidget(m_table, 3);
    m_density = new QCustomPlot(left);
    m_density->setMinimumHeight(140);
    m_density->xAxis->setLabel(tr("log10 feature density (drag to select a range)"));
    m_density->setInteraction(QCP::iSelectPlottables, false);
    m_density->setSelectionRectMode(QCP::srmCustom);
    leftLayout->addWidget(m_density, 1);
    m_page = new FeaturePageWidget(splitter);
    splitter->addWidget(left);
    splitter->addWidget(m_page);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({460, 900});
    layout->addWidget(splitter, 1);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                const int64_t index = m_model->featureIndexAt(current.row());
                if (index >= 0 && m_project)
                    m_page->showFeature(m_project, m_runId, index);
            });
    connect(m_page, &FeaturePageWidget::featureRequested, this, &FeaturesPanel::openFeature);
    connect(m_page, &FeaturePageWidget::annotationsSaved, this, [this] { applyFilters(); });
    connect(m_density->selectionRect(), &QCPSelectionRect::accepted, this,
            [this](const QRect& rect, QMouseEvent*) {
                const double a = m_density->xAxis->pixelToCoord(rect.left());
                const double b = m_density->xAxis->pixelToCoord(rect.right());
                setDensityRange(std::min(a, b), std::max(a, b));
            });
}

QWidget* FeaturesPanel::buildFilterBar() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    m_text = new QLineEdit(bar);
    m_text->setPlaceholderText(tr("label or notes contain…"));
    m_token = new QLineEdit(bar);
    m_token->setPlaceholderText(tr("fires on token…"));
    m_minLogDensity = new QDoubleSpinBox(bar);
    m_maxLogDensity = new QDoubleSpinBox(bar);
    for (auto* spin : {m_minLogDensity, m_maxLogDensity}) {
        spin->setRange(kLogDensityFloor, 0);
        spin->setDecimals(2);
        spin->setSingleStep(0.5);
        spin->setPrefix(QStringLiteral("10^"));
    }
    m_minLogDensity->setValue(kLogDensityFloor);
    m_maxLogDensity->setValue(0);
    m_hideDead = new QCheckBox(tr("hide dead"), bar);
    m_onlyDense = new QCheckBox(tr("dense only"), bar);
    m_count = new QLabel(bar);
    row->addWidget(m_text, 2);
    row->addWidget(m_token, 1);
    row->addWidget(new QLabel(tr("density"), bar));
    row->addWidget(m_minLogDensity);
    row->addWidget(new QLabel(QStringLiteral("–"), bar));
    row->addWidget(m_maxLogDensity);
    row->addWidget(m_hideDead);
    row->addWidget(m_onlyDense);
    row->addWidget(m_count);
    for (auto* edit : {m_text, m_token})
        connect(edit, &QLineEdit::editingFinished, this, &FeaturesPanel::applyFilters);
    for (auto* spin : {m_minLogDensity, m_maxLogDensity})
        connect(spin, &QDoubleSpinBox::editingFinished, this, &FeaturesPanel::applyFilters);
    for (auto* box : {m_hideDead, m_onlyDense})
        connect(box, &QCheckBox::toggled, this, &FeaturesPanel::applyFilters);
    return bar;
}

void FeaturesPanel::setRun(std::shared_ptr<Project> project, int64_t runId) {
    m_project = std::move(project);
    m_runId = runId;
    m_model->setRun(m_project, runId);
    applyFilters();
    updateDensityHistogram();
    if (m_model->rowCount() > 0)
        m_table->selectRow(0);  // open the first feature's page rather than an empty one
}

void FeaturesPanel::setDensityRange(double log10Lo, double log10Hi) {
    m_minLogDensity->setValue(log10Lo);
    m_maxLogDensity->setValue(log10Hi);
    applyFilters();
}

void FeaturesPanel::applyFilters() {
    FeatureQuery q;
    q.text = m_text->text().trimmed().toStdString();
    q.firesOnToken = m_token->text().toStdString();
    if (m_minLogDensity->value() > kLogDensityFloor)
        q.minDensity = std::pow(10.0, m_minLogDensity->value());
    if (m_maxLogDensity->value() < 0)
        q.maxDensity = std::pow(10.0, m_maxLogDensity->value());
    if (m_hideDead->isChecked())
        q.excludeFlags |= FeatureDead;
    if (m_onlyDense->isChecked())
        q.requireFlags |= FeatureDense;
    m_model->setFilter(q);
    m_count->setText(tr("%n feature(s)", nullptr, m_model->rowCount()));
}

void FeaturesPanel::openFeature(int64_t index) {
    for (int row = 0; row < std::min(m_model->rowCount(), 4096); ++row) {
        if (m_model->featureIndexAt(row) == index) {
            m_table->selectRow(row);
            return;
        }
    }
    if (m_project) // filtered out or far down the list: show the page anyway
        m_page->showFeature(m_project, m_runId, index);
}

void FeaturesPanel::updateDensityHistogram() {
    m_density->clearGraphs();
    if (!m_project || m_runId < 0) {
        m_density->replot();
        return;
    }
    FeatureQuery all;
    all.limit = m_project->featureCount(m_runId);
    const FeatureList list = m_project->queryFeatures(m_runId, all);
    constexpr int kBins = 64;
    QVector<double> xs(kBins + 1), ys(kBins + 1, 0.0);
    for (int i = 0; i <= kBins; ++i)
        xs[i] = kLogDensityFloor + (0 - kLogDensityFloor) * i / kBins;
    for (const auto& f : list.rows) {
        const double x =
            f.density > 0 ? std::max(kLogDensityFloor, std::log10(f.density)) : kLogDensityFloor;
        const int bin = std::clamp(
            static_cast<int>((x - kLogDensityFloor) / -kLogDensityFloor * kBins), 0, kBins - 1);
        ys[bin] += 1;
    }
    ys[kBins] = ys[kBins - 1];
    QCPGraph* g = m_density->addGraph();
    g->setLineStyle(QCPGraph::lsStepLeft);
    g->setBrush(QColor(59, 130, 246, 120));
    g->setData(xs, ys, true);
    m_density->rescaleAxes();
    m_density->replot();
}

} // namespace mistudio::ui
