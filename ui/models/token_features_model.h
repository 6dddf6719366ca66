#pragma once
// The strongest features of one playground token, for a QTableView: feature index, activation,
// and its label when the run's analysis stored one.

#include "mistudio/playground.h"
#include "mistudio/project.h"

#include <QAbstractTableModel>
#include <memory>

namespace mistudio::ui {

class TokenFeaturesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { FeatureColumn, ActivationColumn, LabelColumn, ColumnCount };
    /// Role returning the feature index (qint64) of a row.
    static constexpr int FeatureIndexRole = Qt::UserRole + 1;

    explicit TokenFeaturesModel(QObject* parent = nullptr);

    /// Where labels are read from (may be null: no labels).
    void setRun(std::shared_ptr<Project> project, int64_t runId);
    /// Shows this token's top features (empty token: no rows).
    void setToken(const PlaygroundToken& token);
    void clear();
    qint64 featureAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QString labelOf(int64_t feature) const;

    std::shared_ptr<Project> m_project;
    int64_t m_runId = -1;
    std::vector<std::pair<int64_t, float>> m_rows;
    std::vector<QString> m_labels;
};

} // namespace mistudio::ui
