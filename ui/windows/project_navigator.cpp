#include "windows/project_navigator.h"

#include <QStyle>

namespace mistudio::ui {

namespace {
constexpr int kRunIdRole = Qt::UserRole + 1;

QIcon statusIcon(const QStyle* style, RunStatus status) {
    switch (status) {
    case RunStatus::Running: return style->standardIcon(QStyle::SP_MediaPlay);
    case RunStatus::Done: return style->standardIcon(QStyle::SP_DialogApplyButton);
    case RunStatus::Failed: return style->standardIcon(QStyle::SP_MessageBoxCritical);
    case RunStatus::Cancelled: return style->standardIcon(QStyle::SP_MediaStop);
    }
    return {};
}
} // namespace

ProjectNavigator::ProjectNavigator(QWidget* parent) : QTreeWidget(parent) {
    setHeaderLabels({tr("Project")});
    setObjectName(QStringLiteral("projectNavigator"));
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item && item->data(0, kRunIdRole).isValid())
            Q_EMIT runSelected(item->data(0, kRunIdRole).toLongLong());
    });
}

void ProjectNavigator::setProject(std::shared_ptr<Project> project) {
    m_project = std::move(project);
    refresh();
}

void ProjectNavigator::refresh() {
    clear();
    if (!m_project)
        return;
    auto* models = new QTreeWidgetItem(this, {tr("Models")});
    for (const auto& m : m_project->models())
        new QTreeWidgetItem(
            models, {QStringLiteral("%1 (%2, %3 layers, d=%4)")
                         .arg(QString::fromStdString(m.hubId.empty() ? m.localPath : m.hubId),
                              QString::fromStdString(m.family))
                         .arg(m.nLayers)
                         .arg(m.dModel)});
    auto* datasets = new QTreeWidgetItem(this, {tr("Datasets")});
    for (const auto& d : m_project->datasets())
        new QTreeWidgetItem(datasets, {QStringLiteral("%1 (%2 tokens)")
                                           .arg(QString::fromStdString(d.spec))
                                           .arg(d.tokenCount)});
    auto* runs = new QTreeWidgetItem(this, {tr("Runs")});
    for (const auto& r : m_project->runs()) {
        auto* item = new QTreeWidgetItem(
            runs, {QStringLiteral("#%1 %2 · %3 · %4 × %5")
                       .arg(r.id)
                       .arg(QString::fromStdString(r.name), QString::fromStdString(r.hook),
                            QString::fromStdString(r.architecture))
                       .arg(r.dSae)});
        item->setIcon(0, statusIcon(style(), r.status));
        item->setToolTip(0, QString::fromStdString(runStatusName(r.status)) +
                                (r.error.empty()
                                     ? QString()
                                     : QStringLiteral(": ") + QString::fromStdString(r.error)));
        item->setData(0, kRunIdRole, QVariant::fromValue<qint64>(r.id));
    }
    expandAll();
}

QTreeWidgetItem* ProjectNavigator::runItem(int64_t runId) const {
    QTreeWidgetItemIterator it(const_cast<ProjectNavigator*>(this));
    for (; *it; ++it)
        if ((*it)->data(0, kRunIdRole).isValid() &&
            (*it)->data(0, kRunIdRole).toLongLong() == runId)
            return *it;
    return nullptr;
}

} // namespace mistudio::ui
