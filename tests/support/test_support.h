#pragma once
// Helpers shared by the test executables: where the fixtures are, and skipping without them.

#include <QProcessEnvironment>
#include <QString>
#include <QtTest>
#include <string>

namespace mistudio::test {

/// ../shared beside the checkout (CMake passes it in MISTUDIO_SHARED_DIR); empty when absent.
QString sharedDir();
/// A path under sharedDir(), e.g. fixture("fixtures/models/llama").
std::string fixture(const QString& relative);
/// The mistudio-cli binary of this build (MISTUDIO_CLI).
QString cliPath();

/// What a mistudio-cli run left: its exit code (-1 when it crashed or ran past the timeout, in
/// which case it is killed) and its outputs.
struct CliRun {
    int code = -1;
    QByteArray out, err;
};
CliRun runCli(const QStringList& args, const QProcessEnvironment& env = {}, int timeoutMs = 300000);

} // namespace mistudio::test

/// Skips the current test function with a clear reason when a fixture is missing.
#define MISTUDIO_REQUIRE_FIXTURE(rel)                                                              \
    do {                                                                                           \
        if (mistudio::test::sharedDir().isEmpty() ||                                               \
            !QFileInfo::exists(mistudio::test::sharedDir() + QStringLiteral("/") + (rel)))         \
            QSKIP(qPrintable(QStringLiteral("fixture ../shared/%1 not found (tests use it "        \
                                            "when ../shared exists beside the checkout)")          \
                                 .arg(rel)));                                                      \
    } while (0)
