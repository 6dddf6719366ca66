// mistudio: the desktop studio. Builds the engine bridge and the main window; no logic here.
#include "bridge/engine_bridge.h"
#include "mistudio/logging.h"
#include "mistudio/version.h"
#include "windows/main_window.h"

#include <QApplication>
#include <QIcon>

int main(int argc, char** argv) {
    Q_INIT_RESOURCE(resources); // resources.qrc lives in the static mistudio_ui library
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("miStudio"));
    QApplication::setOrganizationName(QStringLiteral("miStudio"));
    QApplication::setApplicationVersion(QStringLiteral(MISTUDIO_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/mistudio/icons/mistudio.svg")));
    mistudio::initLogging();

    mistudio::ui::EngineBridge bridge;
    mistudio::ui::MainWindow window(&bridge);
    window.show();
    return QApplication::exec();
}
