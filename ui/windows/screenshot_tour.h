#pragma once
// `mistudio --screenshot DIR`: saves a PNG of each main screen (works offscreen), for the README
// and for reviewing the UI without a display.

#include <QString>
#include <QStringList>

namespace mistudio::ui {

class MainWindow;

/// Renders every screen of `window` into `dir` and returns the files written; `error` is set and
/// the list is empty when the folder cannot be written.
QStringList takeScreenshots(MainWindow& window, const QString& dir, QString* error);

} // namespace mistudio::ui
