#pragma once
// Starts tests/hub/fake_hub.py on a free loopback port for the duration of a test, writes its
// hub.json and reads the requests it logged.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace mistudio::test {

class FakeHubServer {
public:
    FakeHubServer() { m_root.setAutoRemove(true); }
    ~FakeHubServer() { stop(); }

    QString root() const { return m_root.path(); }
    QString logPath() const { return m_root.filePath("requests.log"); }

    void writeConfig(const QJsonObject& config) const {
        QFile f(m_root.filePath("hub.json"));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(config).toJson());
    }

    /// Starts the server (hub.json must exist); false with a message on failure.
    bool start() {
        // The CMake file passes the script's folder; running the binary by hand works too.
        const QString script = QStringLiteral(MISTUDIO_HUB_TEST_DIR "/fake_hub.py");
        m_process.setProgram("/usr/bin/python3");
        m_process.setArguments({script, "--root", root(), "--log", logPath()});
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start();
        if (!m_process.waitForStarted(10000))
            return false;
        QByteArray line;
        while (!line.contains('\n') && m_process.waitForReadyRead(10000))
            line += m_process.readAllStandardOutput();
        if (!line.startsWith("PORT "))
            return false;
        m_port = line.mid(5).trimmed().toInt();
        return m_port > 0;
    }

    void stop() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

    /// Every request so far, oldest first.
    QList<QJsonObject> requests() const {
        QList<QJsonObject> out;
        QFile f(logPath());
        if (!f.open(QIODevice::ReadOnly))
            return out;
        for (const QByteArray& line : f.readAll().split('\n'))
            if (!line.trimmed().isEmpty())
                out << QJsonDocument::fromJson(line).object();
        return out;
    }

    /// Requests for file bytes (resolve/ or /cdn/), not the listing API.
    QList<QJsonObject> fileRequests() const {
        QList<QJsonObject> out;
        for (const auto& r : requests())
            if (!r["path"].toString().startsWith("/api/"))
                out << r;
        return out;
    }

    void clearLog() const { QFile::remove(logPath()); }

private:
    QTemporaryDir m_root;
    QProcess m_process;
    int m_port = 0;
};

} // namespace mistudio::test
