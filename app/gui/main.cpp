// mistudio: the desktop studio. Builds the engine bridge and the main window; no logic here.
#include "bridge/engine_bridge.h"
#include "mistudio/environment.h"
#include "mistudio/logging.h"
#include "mistudio/version.h"
#include "settings/studio_settings.h"
#include "windows/first_start.h"
#include "windows/main_window.h"
#include "windows/screenshot_tour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <cstdio>

int main(int argc, char** argv) {
    Q_INIT_RESOURCE(resources); // resources.qrc lives in the static mistudio_ui library
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("miStudio"));
    QApplication::setOrganizationName(QStringLiteral("miStudio"));
    QApplication::setApplicationVersion(QStringLiteral(MISTUDIO_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/mistudio/icons/mistudio.svg")));
    mistudio::initLogging();

    const auto settings = mistudio::ui::StudioSettings::load();
    mistudio::ui::applyTheme(settings.theme);
    mistudio::setComputeThreads(settings.threads);

    mistudio::ui::EngineBridge bridge;
    QCommandLineParser cli;
    cli.setApplicationDescription(
        QStringLiteral("miStudio: sparse autoencoders for language models"));
    cli.addHelpOption();
    cli.addVersionOption();
    QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of each main screen into DIR and exit."), QStringLiteral("DIR"));
    QCommandLineOption project(
        QStringLiteral("project"),
        QStringLiteral("Open this project (created when it does not exist)."),
        QStringLiteral("P.mistudio"));
    cli.addOption(screenshot);
    cli.addOption(project);
    cli.addPositionalArgument(QStringLiteral("project"),
                              QStringLiteral("A .mistudio file to open."));
    cli.process(app);

    mistudio::ui::MainWindow window(&bridge);
    QString projectPath = cli.value(project);
    if (projectPath.isEmpty() && !cli.positionalArguments().isEmpty())
        projectPath = cli.positionalArguments().first(); // double-click on a .mistudio file
    if (!projectPath.isEmpty() &&
        !window.openProject(projectPath, !QFileInfo::exists(projectPath)) && cli.isSet(screenshot))
        return 1;
    if (cli.isSet(screenshot)) {
        QString error;
        const QStringList files =
            mistudio::ui::takeScreenshots(window, cli.value(screenshot), &error);
        if (files.isEmpty()) {
            std::fprintf(stderr, "error: %s\n", qPrintable(error));
            return 1;
        }
        for (const QString& f : files)
            std::printf("%s\n", qPrintable(f));
        return 0;
    }
    window.show();
    if (projectPath.isEmpty() && mistudio::ui::MainWindow::recentProjects().isEmpty()) {
        // First start: a demo project, and the wizard pre-filled when the Hub is reachable.
        const QString demo = mistudio::ui::defaultDemoProjectPath();
        QDir().mkpath(QFileInfo(demo).absolutePath());
        if (window.openProject(demo, !QFileInfo::exists(demo)))
            window.firstStart();
    }
    return QApplication::exec();
}
