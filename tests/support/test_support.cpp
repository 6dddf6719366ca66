#include "test_support.h"

#include <QDir>
#include <QFileInfo>

namespace mistudio::test {

QString sharedDir() {
    const QString dir = qEnvironmentVariable("MISTUDIO_SHARED_DIR");
    if (dir.isEmpty() || !QFileInfo(dir).isDir())
        return {};
    return QDir(dir).absolutePath();
}

std::string fixture(const QString& relative) {
    return (sharedDir() + QStringLiteral("/") + relative).toStdString();
}

QString cliPath() {
    return qEnvironmentVariable("MISTUDIO_CLI");
}

} // namespace mistudio::test
