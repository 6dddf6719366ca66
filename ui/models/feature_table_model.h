#pragma once
// The feature list of one run, for a QTableView: rows come from Project::queryFeatures in pages
// fetched on demand (a 65k-feature run shows at once and scrolls without loading everything).

#include "mistudio/project.h"

#include <QAbstractTableModel>
#include <QHash>
#include <memory>

namespace mistudio::ui {

class FeatureTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        IndexColumn,
        LabelColumn,
        DensityColumn,
        MaxColumn,
        MeanColumn,
        FlagsColumn,
        ColumnCount
    };
    static constexpr int kPageSize = 256;
    /// Role returning the feature index (qint64) of a row.
    static constexpr int FeatureIndexRole = Qt::UserRole + 1;

    explicit FeatureTableModel(QObject* parent = nullptr);

    /// Shows `runId` of `project` (the project must outlive the model or be reset first).
    void setRun(std::shared_ptr<Project> project, int64_t runId);
    /// Replaces the filters (sort and paging are the model's own); resets the rows.
    void setFilter(const FeatureQuery& filter);
    const FeatureQuery& filter() const { return m_filter; }
    int64_t runId() const { return m_runId; }
    /// The feature index shown at `row`, or -1.
    int64_t featureIndexAt(int row) const;
    /// Number of page queries so far (the lazy paging is observable in tests).
    int pagesFetched() const { return m_pagesFetched; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    void sort(int column, Qt::SortOrder order) override;

private:
    const FeatureStats* rowStats(int row) const;
    void reload();

    std::shared_ptr<Project> m_project;
    int64_t m_runId = -1;
    FeatureQuery m_filter;
    int64_t m_total = 0;
    mutable QHash<int64_t, std::vector<FeatureStats>> m_pages; // page number → rows
    mutable int m_pagesFetched = 0;
};

} // namespace mistudio::ui
