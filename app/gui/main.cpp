// mistudio: the desktop studio. Builds the engine bridge and the main window; no logic here.
#include "bridge/engine_bridge.h"
#include "mistudio/logging.h"
#include "mistudio/version.h"
#include "windows/main_window.h"

#include <QApplication>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("miStudio"));
    QApplication::setOrganizationName(QStringLiteral("miStudio"));
    QApplication::setApplicationVersion(QStringLiteral(MISTUDIO_VERSION));
    mistudio::initLogging();

    mistudio::ui::EngineBridge bridge;
    mistudio::ui::MainWindow window(&bridge);
    window.show();
    return QApplication::exec();
}
