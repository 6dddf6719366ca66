#include "models/token_features_model.h"

namespace mistudio::ui {

TokenFeaturesModel::TokenFeaturesModel(QObject* parent) : QAbstractTableModel(parent) {}

void TokenFeaturesModel::setRun(std::shared_ptr<Project> project, int64_t runId) {
    m_project = std::move(project);
    m_runId = runId;
    clear();
}

void TokenFeaturesModel::setToken(const PlaygroundToken& token) {
    beginResetModel();
    m_rows = token.top;
    m_labels.clear();
    for (const auto& row : m_rows)
        m_labels.push_back(labelOf(row.first));
    endResetModel();
}

void TokenFeaturesModel::clear() {
    beginResetModel();
    m_rows.clear();
    m_labels.clear();
    endResetModel();
}

qint64 TokenFeaturesModel::featureAt(int row) const {
    return row >= 0 && row < rowCount() ? m_rows[static_cast<size_t>(row)].first : -1;
}

QString TokenFeaturesModel::labelOf(int64_t feature) const {
    if (!m_project || m_runId < 0)
        return {};
    try {
        // A page read is one indexed query on the read connection (a handful per token).
        return QString::fromStdString(m_project->featurePage(m_runId, feature).stats.label);
    } catch (const std::exception&) {
        return {}; // not analysed yet: the index alone identifies the feature
    }
}

int TokenFeaturesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int TokenFeaturesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TokenFeaturesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& [feature, activation] = m_rows[static_cast<size_t>(index.row())];
    if (role == FeatureIndexRole)
        return QVariant::fromValue<qint64>(feature);
    if (role == Qt::ToolTipRole)
        return tr("Click to open feature %1's page").arg(feature);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case FeatureColumn: return QVariant::fromValue<qint64>(feature);
    case ActivationColumn: return QString::number(activation, 'f', 3);
    case LabelColumn: return m_labels[static_cast<size_t>(index.row())];
    default: return {};
    }
}

QVariant TokenFeaturesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case FeatureColumn: return tr("Feature");
    case ActivationColumn: return tr("Activation");
    case LabelColumn: return tr("Label");
    default: return {};
    }
}

} // namespace mistudio::ui
