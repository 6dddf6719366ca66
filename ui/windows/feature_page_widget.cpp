#include "windows/feature_page_widget.h"

#include "widgets/token_heatmap.h"

#include <QApplication>
#include <QClipboard>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <qcustomplot.h>

namespace mistudio::ui {

namespace {
QJsonArray examplesJson(const std::vector<FeatureExample>& examples) {
    QJsonArray out;
    for (const auto& e : examples) {
        QJsonArray tokens, acts;
        for (const auto& t : e.tokens)
            tokens.append(QString::fromStdString(t));
        for (float a : e.activations)
            acts.append(a);
        out.append(QJsonObject{{QStringLiteral("tokens"), tokens},
                               {QStringLiteral("activations"), acts},
                               {QStringLiteral("bin"), e.bin},
                               {QStringLiteral("document_id"), qint64(e.documentId)}});
    }
    return out;
}

QJsonArray logitsJson(const std::vector<TokenValue>& values) {
    QJsonArray out;
    for (const auto& v : values)
        out.append(QJsonObject{{QStringLiteral("token"), QString::fromStdString(v.token)},
                               {QStringLiteral("value"), v.value}});
    return out;
}
} // namespace

FeaturePageWidget::FeaturePageWidget(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    m_title = new QLabel(tr("Select a feature"), this);
    m_title->setStyleSheet(QStringLiteral("font-size: 16pt; font-weight: bold"));
    m_stats = new QLabel(this);
    outer->addWidget(m_title);
    outer->addWidget(m_stats);

    auto* form = new QFormLayout;
    m_label = new QLineEdit(this);
    m_notes = new QPlainTextEdit(this);
    m_notes->setMaximumHeight(60);
    m_tags = new QLineEdit(this);
    m_tags->setPlaceholderText(tr("comma-separated"));
    form->addRow(tr("Label"), m_label);
    form->addRow(tr("Notes"), m_notes);
    form->addRow(tr("Tags"), m_tags);
    auto* buttons = new QHBoxLayout;
    auto* save = new QPushButton(tr("Save"), this);
    auto* copy = new QPushButton(tr("Copy as JSON"), this);
    buttons->addWidget(save);
    buttons->addWidget(copy);
    buttons->addStretch();
    form->addRow(buttons);
    outer->addLayout(form);
    connect(save, &QPushButton::clicked, this, &FeaturePageWidget::saveAnnotations);
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(pageJson()); });

    auto* middle = new QHBoxLayout;
    m_histogram = new QCustomPlot(this);
    m_histogram->setMinimumSize(260, 160);
    m_histogram->xAxis->setLabel(tr("activation"));
    m_histogram->yAxis->setLabel(tr("count"));
    m_promoted = new QListWidget(this);
    m_suppressed = new QListWidget(this);
    m_neighbors = new QListWidget(this);
    middle->addWidget(m_histogram, 2);
    for (auto [list, title] : {std::pair{m_promoted, tr("Promoted tokens")},
                               std::pair{m_suppressed, tr("Suppressed tokens")},
                               std::pair{m_neighbors, tr("Nearest features")}}) {
        auto* col = new QVBoxLayout;
        col->addWidget(new QLabel(title, this));
        col->addWidget(list);
        middle->addLayout(col, 1);
    }
    outer->addLayout(middle);
    connect(m_neighbors, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        Q_EMIT featureRequested(item->data(Qt::UserRole).toLongLong());
    });

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto* examplesHost = new QWidget(scroll);
    m_examples = new QVBoxLayout(examplesHost);
    m_examples->addStretch();
    scroll->setWidget(examplesHost);
    outer->addWidget(scroll, 1);
}

void FeaturePageWidget::showFeature(std::shared_ptr<Project> project, int64_t runId,
                                    int64_t index) {
    m_project = std::move(project);
    m_runId = runId;
    m_index = index;
    clearExamples();
    try {
        m_page = m_project->featurePage(runId, index);
    } catch (const std::exception& e) {
        m_page = FeaturePage();
        m_title->setText(tr("Feature %1").arg(index));
        m_stats->setText(QString::fromStdString(e.what()));
        return;
    }
    const FeatureStats& s = m_page.stats;
    m_title->setText(tr("Feature %1").arg(s.index));
    m_stats->setText(tr("density %1 · max activation %2 · mean activation %3")
                         .arg(s.density, 0, 'g', 3)
                         .arg(s.maxActivation, 0, 'f', 3)
                         .arg(s.meanActivation, 0, 'f', 3));
    m_label->setText(QString::fromStdString(s.label));
    m_notes->setPlainText(QString::fromStdString(s.notes));
    QStringList tags;
    for (const auto& t : s.tags)
        tags << QString::fromStdString(t);
    m_tags->setText(tags.join(QStringLiteral(", ")));
    addExampleRows(m_page.topExamples, tr("Top activations"));
    addExampleRows(m_page.quantileExamples, tr("Samples across activation quantiles"));
    showHistogram(m_page.histogram);
    showLogits(m_promoted, m_page.logitsPositive);
    showLogits(m_suppressed, m_page.logitsNegative);
    m_neighbors->clear();
    for (const auto& n : m_page.neighbors) {
        auto* item = new QListWidgetItem(tr("#%1  cos %2").arg(n.index).arg(n.cosine, 0, 'f', 3));
        item->setData(Qt::UserRole, QVariant::fromValue<qint64>(n.index));
        m_neighbors->addItem(item);
    }
}

bool FeaturePageWidget::saveAnnotations() {
    if (!m_project || m_index < 0)
        return false;
    std::vector<std::string> tags;
    for (const QString& t : m_tags->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!t.trimmed().isEmpty())
            tags.push_back(t.trimmed().toStdString());
    try {
        m_project->setFeatureAnnotations(m_runId, m_index, m_label->text().toStdString(),
                                         m_notes->toPlainText().toStdString(), tags);
    } catch (const std::exception& e) {
        m_stats->setText(tr("Could not save: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    Q_EMIT annotationsSaved(m_index);
    return true;
}

QString FeaturePageWidget::pageJson() const {
    const FeatureStats& s = m_page.stats;
    QJsonArray neighbors, edges, counts;
    for (const auto& n : m_page.neighbors)
        neighbors.append(QJsonObject{{QStringLiteral("index"), qint64(n.index)},
                                     {QStringLiteral("cosine"), n.cosine}});
    for (float e : m_page.histogram.edges)
        edges.append(e);
    for (int64_t c : m_page.histogram.counts)
        counts.append(qint64(c));
    QJsonObject o{{QStringLiteral("index"), qint64(s.index)},
                  {QStringLiteral("density"), s.density},
                  {QStringLiteral("max_activation"), s.maxActivation},
                  {QStringLiteral("mean_activation"), s.meanActivation},
                  {QStringLiteral("label"), QString::fromStdString(s.label)},
                  {QStringLiteral("top_examples"), examplesJson(m_page.topExamples)},
                  {QStringLiteral("quantile_examples"), examplesJson(m_page.quantileExamples)},
                  {QStringLiteral("logits_positive"), logitsJson(m_page.logitsPositive)},
                  {QStringLiteral("logits_negative"), logitsJson(m_page.logitsNegative)},
                  {QStringLiteral("histogram"), QJsonObject{{QStringLiteral("edges"), edges},
                                                            {QStringLiteral("counts"), counts}}},
                  {QStringLiteral("neighbors"), neighbors}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
}

void FeaturePageWidget::clearExamples() {
    while (m_examples->count() > 1) { // keep the trailing stretch
        QLayoutItem* item = m_examples->takeAt(0);
        delete item->widget();
        delete item;
    }
}

void FeaturePageWidget::addExampleRows(const std::vector<FeatureExample>& examples,
                                       const QString& heading) {
    if (examples.empty())
        return;
    auto* title = new QLabel(QStringLiteral("<b>%1</b>").arg(heading));
    m_examples->insertWidget(m_examples->count() - 1, title);
    int lastBin = -1;
    for (const auto& e : examples) {
        if (e.kind == ExampleKind::Quantile && e.bin != lastBin) {
            lastBin = e.bin;
            m_examples->insertWidget(
                m_examples->count() - 1,
                new QLabel(tr("bin %1: activations %2 – %3 (%4% of firing tokens)")
                               .arg(e.bin)
                               .arg(e.binMin, 0, 'f', 3)
                               .arg(e.binMax, 0, 'f', 3)
                               .arg(100.0 * e.binContains, 0, 'f', 1)));
        }
        std::vector<HeatToken> tokens;
        for (size_t i = 0; i < e.tokens.size(); ++i)
            tokens.push_back({QString::fromStdString(e.tokens[i]),
                              i < e.tokenIds.size() ? e.tokenIds[i] : -1,
                              i < e.activations.size() ? e.activations[i] : 0.f});
        auto* heat = new TokenHeatmap;
        heat->setTokens(std::move(tokens), static_cast<float>(m_page.stats.maxActivation));
        m_examples->insertWidget(m_examples->count() - 1, heat);
    }
}

void FeaturePageWidget::showHistogram(const Histogram& h) {
    m_histogram->clearGraphs();
    if (h.counts.empty() || h.edges.size() != h.counts.size() + 1) {
        m_histogram->replot();
        return;
    }
    // Bins may be log-spaced: draw a step outline over the true edges rather than equal bars.
    QVector<double> xs, ys;
    for (size_t i = 0; i < h.counts.size(); ++i) {
        xs << h.edges[i];
        ys << static_cast<double>(h.counts[i]);
    }
    xs << h.edges.back();
    ys << static_cast<double>(h.counts.back());
    QCPGraph* g = m_histogram->addGraph();
    g->setLineStyle(QCPGraph::lsStepLeft);
    g->setBrush(QColor(245, 158, 11, 150));
    g->setData(xs, ys, true);
    const bool logSpaced = h.edges.front() > 0 && h.edges.back() / h.edges.front() > 100;
    m_histogram->xAxis->setScaleType(logSpaced ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    m_histogram->rescaleAxes();
    m_histogram->replot();
}

void FeaturePageWidget::showLogits(QListWidget* list, const std::vector<TokenValue>& values) {
    list->clear();
    for (const auto& v : values)
        list->addItem(QStringLiteral("%1   %2")
                          .arg(TokenHeatmap::displayText(QString::fromStdString(v.token)))
                          .arg(v.value, 0, 'f', 3));
}

} // namespace mistudio::ui
