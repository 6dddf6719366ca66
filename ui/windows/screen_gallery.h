#pragma once
// The screens `mistudio --screenshot` shows beside the tabs: each page of the new-run wizard
// (filled from the open project's latest run when it has one, else the Quick look demo), the
// "Open published SAE" dialog, and the Report tab once its preview is drawn.

#include "mistudio/project.h"

#include <QString>
#include <QWidget>
#include <memory>
#include <utility>
#include <vector>

namespace mistudio::ui {

class MainWindow;

void appendGalleryScreens(std::vector<std::pair<QString, QWidget*>>& screens, MainWindow* window,
                          const std::shared_ptr<Project>& project);

} // namespace mistudio::ui
