#include "windows/screenshot_tour.h"

#include "models/playground_model.h"
#include "widgets/token_heatmap.h"
#include "windows/main_window.h"
#include "windows/playground_panel.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QThread>

namespace mistudio::ui {

namespace {
bool savePng(QWidget* widget, const QString& path) {
    QApplication::processEvents();
    return widget->grab().save(path, "PNG");
}

/// Types a sample text into the playground and waits (events running) for its highlights; with no
/// run open the picture shows the text and the hint instead.
void showPlaygroundSample(PlaygroundPanel& panel) {
    panel.input()->setPlainText(QStringLiteral(
        "Once upon a time, there was a little girl named Lily. She loved to play in the park "
        "with her big red ball. One day, she saw a cat sitting under a tree."));
    PlaygroundModel& model = *panel.model();
    QElapsedTimer clock;
    clock.start();
    auto wait = [&] {
        while (model.hasSource() && !model.failed() && clock.elapsed() < 120000 &&
               !(model.resultIsCurrent() && !model.result().tokens.empty())) {
            QApplication::processEvents();
            QThread::msleep(10);
        }
    };
    wait();
    // Then colour the text by the strongest feature of the listed token, as an analyst would.
    const int current = panel.heatmap()->currentToken();
    if (model.resultIsCurrent() && current >= 0 &&
        !model.result().tokens[static_cast<size_t>(current)].top.empty()) {
        panel.highlightFeature(model.result().tokens[static_cast<size_t>(current)].top[0].first);
        wait();
    }
}

QString slug(QString title) {
    title = title.toLower().remove(QLatin1Char('&'));
    title.replace(QLatin1Char(' '), QLatin1Char('_'));
    return title;
}
} // namespace

QStringList takeScreenshots(MainWindow& window, const QString& dir, QString* error) {
    if (!QDir().mkpath(dir)) {
        *error = QObject::tr("cannot create the screenshot folder %1").arg(dir);
        return {};
    }
    QStringList written;
    window.resize(1400, 900);
    window.show();
    auto save = [&](QWidget* w, const QString& name) {
        const QString path = QDir(dir).filePath(name + QStringLiteral(".png"));
        if (savePng(w, path))
            written << path;
        else
            *error = QObject::tr("cannot write %1").arg(path);
    };
    save(&window, QStringLiteral("main_window"));
    if (auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("centralTabs"))) {
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            if (auto* playground = qobject_cast<PlaygroundPanel*>(tabs->widget(i)))
                showPlaygroundSample(*playground);
            save(&window, slug(tabs->tabText(i)));
        }
    }
    for (const auto& [name, widget] : window.extraScreens())
        save(widget, name);
    written.removeDuplicates(); // a screen may be re-taken once its content is ready
    return error->isEmpty() ? written : QStringList();
}

} // namespace mistudio::ui
