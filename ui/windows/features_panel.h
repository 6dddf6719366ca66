#pragma once
// The feature browser: a filter bar (text, density range, flags, "fires on token"), the lazily
// paged feature table, a log10-density histogram whose range can be selected, and the page of the
// selected feature.

#include "mistudio/project.h"

#include <QWidget>
#include <memory>

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QTableView;
class QCustomPlot;
class QLabel;

namespace mistudio::ui {

class FeatureTableModel;
class FeaturePageWidget;

class FeaturesPanel : public QWidget {
    Q_OBJECT
public:
    explicit FeaturesPanel(QWidget* parent = nullptr);

    void setRun(std::shared_ptr<Project> project, int64_t runId);
    /// Selects a feature in the table when visible and shows its page.
    void openFeature(int64_t index);
    /// Limits the list to log10(density) in [lo, hi] (what a histogram selection does).
    void setDensityRange(double log10Lo, double log10Hi);

    FeatureTableModel* model() const { return m_model; }
    FeaturePageWidget* page() const { return m_page; }
    QTableView* table() const { return m_table; }

private:
    QWidget* buildFilterBar();
    void applyFilters();
    void updateDensityHistogram();

    std::shared_ptr<Project> m_project;
    int64_t m_runId = -1;
    FeatureTableModel* m_model = nullptr;
    FeaturePageWidget* m_page = nullptr;
    QTableView* m_table = nullptr;
    QCustomPlot* m_density = nullptr;
    QLineEdit* m_text = nullptr;
    QLineEdit* m_token = nullptr;
    QDoubleSpinBox* m_minLogDensity = nullptr;
    QDoubleSpinBox* m_maxLogDensity = nullptr;
    QCheckBox* m_hideDead = nullptr;
    QCheckBox* m_onlyDense = nullptr;
    QLabel* m_count = nullptr;
};

} // namespace mistudio::ui
