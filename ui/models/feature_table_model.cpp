#include "models/feature_table_model.h"

#include <QStringList>

namespace mistudio::ui {

namespace {
FeatureSort sortForColumn(int column) {
    switch (column) {
    case FeatureTableModel::LabelColumn: return FeatureSort::Label;
    case FeatureTableModel::DensityColumn: return FeatureSort::Density;
    case FeatureTableModel::MaxColumn: return FeatureSort::MaxActivation;
    case FeatureTableModel::MeanColumn: return FeatureSort::MeanActivation;
    default: return FeatureSort::Index;
    }
}

QString flagText(uint32_t flags) {
    QStringList parts;
    if (flags & FeatureDead)
        parts << QStringLiteral("dead");
    if (flags & FeatureDense)
        parts << QStringLiteral("dense");
    if (flags & FeatureUltraRare)
        parts << QStringLiteral("ultra-rare");
    return parts.join(QStringLiteral(", "));
}

constexpr int kMaxCachedPages = 64; // bounded: ~16k rows of stats
} // namespace

FeatureTableModel::FeatureTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void FeatureTableModel::setRun(std::shared_ptr<Project> project, int64_t runId) {
    m_project = std::move(project);
    m_runId = runId;
    reload();
}

void FeatureTableModel::setFilter(const FeatureQuery& filter) {
    const FeatureSort sort = m_filter.sort;
    const bool descending = m_filter.descending;
    m_filter = filter;
    m_filter.sort = sort;
    m_filter.descending = descending;
    reload();
}

void FeatureTableModel::sort(int column, Qt::SortOrder order) {
    m_filter.sort = sortForColumn(column);
    m_filter.descending = order == Qt::DescendingOrder;
    reload();
}

void FeatureTableModel::reload() {
    beginResetModel();
    m_pages.clear();
    m_total = 0;
    if (m_project && m_runId >= 0) {
        FeatureQuery q = m_filter;
        q.offset = 0;
        q.limit = kPageSize;
        FeatureList first = m_project->queryFeatures(m_runId, q);
        ++m_pagesFetched;
        m_total = first.total;
        m_pages.insert(0, std::move(first.rows));
    }
    endResetModel();
}

const FeatureStats* FeatureTableModel::rowStats(int row) const {
    if (!m_project || row < 0 || row >= m_total)
        return nullptr;
    const int64_t page = row / kPageSize;
    auto it = m_pages.find(page);
    if (it == m_pages.end()) {
        if (m_pages.size() >= kMaxCachedPages)
            m_pages.clear(); // simple bound; pages are cheap to fetch again
        FeatureQuery q = m_filter;
        q.offset = page * kPageSize;
        q.limit = kPageSize;
        it = m_pages.insert(page, m_project->queryFeatures(m_runId, q).rows);
        ++m_pagesFetched;
    }
    const size_t inPage = static_cast<size_t>(row % kPageSize);
    return inPage < it->size() ? &(*it)[inPage] : nullptr;
}

int64_t FeatureTableModel::featureIndexAt(int row) const {
    const FeatureStats* s = rowStats(row);
    return s ? s->index : -1;
}

int FeatureTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_total);
}

int FeatureTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FeatureTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.model() != this)
        return {};
    const FeatureStats* s = rowStats(index.row());
    if (!s)
        return {};
    if (role == FeatureIndexRole)
        return QVariant::fromValue<qint64>(s->index);
    if (role == Qt::TextAlignmentRole)
        return index.column() == LabelColumn || index.column() == FlagsColumn
                   ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                   : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case IndexColumn: return QVariant::fromValue<qint64>(s->index);
    case LabelColumn: return QString::fromStdString(s->label);
    case DensityColumn: return QString::number(s->density, 'g', 3);
    case MaxColumn: return QString::number(s->maxActivation, 'f', 3);
    case MeanColumn: return QString::number(s->meanActivation, 'f', 3);
    case FlagsColumn: return flagText(s->flags);
    default: return {};
    }
}

QVariant FeatureTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char* names[] = {"Feature", "Label", "Density", "Max act.", "Mean act.", "Flags"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace mistudio::ui
