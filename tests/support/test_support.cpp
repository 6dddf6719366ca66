#include "test_support.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>

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

CliRun runCli(const QStringList& args, const QProcessEnvironment& env, int timeoutMs) {
    QProcess p;
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(cliPath(), args);
    const bool finished = p.waitForFinished(timeoutMs);
    if (!finished)
        p.kill(), p.waitForFinished();
    const bool normal = finished && p.exitStatus() == QProcess::NormalExit;
    return {normal ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError()};
}

} // namespace mistudio::test
