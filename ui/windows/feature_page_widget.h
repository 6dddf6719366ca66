#pragma once
// One feature's page: statistics, top-activating examples with per-token highlighting, quantile-bin
// samples, the activation histogram, promoted/suppressed tokens, nearest features, and the
// analyst's label, notes and tags (saved to the project).

#include "mistudio/project.h"

#include <QWidget>
#include <memory>

class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QVBoxLayout;
class QCustomPlot;

namespace mistudio::ui {

class FeaturePageWidget : public QWidget {
    Q_OBJECT
public:
    explicit FeaturePageWidget(QWidget* parent = nullptr);

    /// Loads feature `index` of `runId`; shows a message instead when it does not exist.
    void showFeature(std::shared_ptr<Project> project, int64_t runId, int64_t index);
    int64_t featureIndex() const { return m_index; }
    /// Saves the label, notes and tags typed on the page.
    bool saveAnnotations();
    /// The page as JSON (what "Copy as JSON" puts on the clipboard).
    QString pageJson() const;

Q_SIGNALS:
    void featureRequested(qint64 index); // a neighbor was activated
    void annotationsSaved(qint64 index);

private:
    void clearExamples();
    void addExampleRows(const std::vector<FeatureExample>& examples, const QString& heading);
    void showHistogram(const Histogram& h);
    void showLogits(QListWidget* list, const std::vector<TokenValue>& values);

    std::shared_ptr<Project> m_project;
    int64_t m_runId = -1;
    int64_t m_index = -1;
    FeaturePage m_page;
    QLabel* m_title = nullptr;
    QLabel* m_stats = nullptr;
    QLineEdit* m_label = nullptr;
    QPlainTextEdit* m_notes = nullptr;
    QLineEdit* m_tags = nullptr;
    QVBoxLayout* m_examples = nullptr;
    QCustomPlot* m_histogram = nullptr;
    QListWidget* m_promoted = nullptr;
    QListWidget* m_suppressed = nullptr;
    QListWidget* m_neighbors = nullptr;
};

} // namespace mistudio::ui
