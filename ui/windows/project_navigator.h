#pragma once
// The project tree: models, datasets and runs (with a status icon each). Selecting a run asks the
// main window to show it.

#include "mistudio/project.h"

#include <QTreeWidget>
#include <memory>

namespace mistudio::ui {

class ProjectNavigator : public QTreeWidget {
    Q_OBJECT
public:
    explicit ProjectNavigator(QWidget* parent = nullptr);
    /// Rebuilds the tree from the project (null: empty tree).
    void setProject(std::shared_ptr<Project> project);
    void refresh();
    /// The tree item of a run, or null.
    QTreeWidgetItem* runItem(int64_t runId) const;

Q_SIGNALS:
    void runSelected(qint64 runId);

private:
    std::shared_ptr<Project> m_project;
};

} // namespace mistudio::ui
