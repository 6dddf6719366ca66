// Network faults against the loopback fake Hub: a server that stalls longer than the stall
// timeout, a connection reset mid-file, and a Content-Length longer than the body.
#include "fake_hub_server.h"
#include "hub_test_data.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <QtTest>

using namespace mistudio;
using namespace mistudio::test;

namespace {

constexpr int kSize = 200000;

QString commitOf(char c) {
    return QString(40, QChar(c));
}

} // namespace

class TestHubFaults : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void stallTimesOutClearlyThenResumes();
    void resetConnectionIsRetriedWithRange();
    void contentLengthLongerThanTheBody();

private:
    hub::HubSettings settings() const;
    QList<QJsonObject> cdnRequests(const QString& repo) const;

    FakeHubServer m_server;
    QJsonObject m_config;
    std::unique_ptr<QTemporaryDir> m_cache;
    std::map<QString, QByteArray> m_weights; // repo -> model.safetensors bytes
};

void TestHubFaults::initTestCase() {
    for (const char* proxy : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        qunsetenv(proxy);
    QJsonObject repos;
    char commit = 'a';
    uint32_t seed = 200;
    for (const QString name : {"stall", "reset", "long"}) {
        const QString dir = m_server.root() + "/repos/" + name;
        m_weights[name] = patternBytes(kSize, ++seed);
        writeBytes(dir + "/model.safetensors", m_weights[name]);
        writeBytes(dir + "/config.json", "{}");
        repos["model/org/" + name] = QJsonObject{{"commit", commitOf(commit++)}, {"dir", dir}};
    }
    m_config["repos"] = repos;
    m_config["stall"] = QJsonObject{{"org/stall/model.safetensors", 1}};
    m_config["stall_seconds"] = 4;
    m_config["reset"] = QJsonObject{{"org/reset/model.safetensors", 2}};
    m_config["long_length"] = QJsonObject{{"org/long/model.safetensors", 1}};
    m_server.writeConfig(m_config);
    QVERIFY2(m_server.start(), "the fake Hub (python3 tests/hub/fake_hub.py) did not start");
}

void TestHubFaults::init() {
    m_cache = std::make_unique<QTemporaryDir>();
    m_server.clearLog();
}

hub::HubSettings TestHubFaults::settings() const {
    hub::HubSettings s;
    s.endpoint = m_server.endpoint().toStdString();
    s.cacheDir = m_cache->path().toStdString();
    s.connectTimeoutSeconds = 5;
    s.stallTimeoutSeconds = 1;
    s.maxAttempts = 4;
    s.retryDelayMs = 10;
    return s;
}

QList<QJsonObject> TestHubFaults::cdnRequests(const QString& repo) const {
    QList<QJsonObject> out;
    for (const auto& r : m_server.fileRequests())
        if (r["path"].toString().startsWith("/cdn/" + sha256Of(m_weights.at(repo))))
            out << r;
    return out;
}

void TestHubFaults::stallTimesOutClearlyThenResumes() {
    auto s = settings();
    s.maxAttempts = 1; // the stall surfaces as an error instead of a silent retry
    try {
        hub::downloadRepo(hub::parseRepoId("org/stall"), s);
        QFAIL("expected a timeout");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Network);
        QVERIFY2(QString(e.what()).contains("no data for 1 s (the stall timeout)"), e.what());
        QVERIFY2(QString(e.what()).contains("resumes from the partial file"), e.what());
    }
    const QString blob =
        m_cache->path() + "/models--org--stall/blobs/" + sha256Of(m_weights["stall"]);
    QCOMPARE(QFileInfo(blob + ".incomplete").size(), qint64(kSize / 2)); // what came before
    const auto result = hub::downloadRepo(hub::parseRepoId("org/stall"), settings());
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             m_weights["stall"]);
    const auto cdn = cdnRequests("stall");
    QCOMPARE(cdn.size(), 2);
    QCOMPARE(cdn[1]["range"].toString(), QStringLiteral("bytes=%1-").arg(kSize / 2));
}

void TestHubFaults::resetConnectionIsRetriedWithRange() {
    const auto result = hub::downloadRepo(hub::parseRepoId("org/reset"), settings());
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             m_weights["reset"]);
    const auto cdn = cdnRequests("reset");
    QCOMPARE(cdn.size(), 3); // reset twice, then whole
    QVERIFY(cdn[0]["range"].isNull());
    for (int i = 1; i < 3; ++i) // each retry asks only for what is missing
        QVERIFY2(cdn[i]["range"].toString().startsWith("bytes=") &&
                     cdn[i]["range"].toString() != "bytes=0-",
                 qPrintable(cdn[i]["range"].toString()));
}

void TestHubFaults::contentLengthLongerThanTheBody() {
    const auto result = hub::downloadRepo(hub::parseRepoId("org/long"), settings());
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             m_weights["long"]);
    // The listing's size and sha256 decide completeness, not the header: no over-long file.
    QCOMPARE(QFileInfo(QString::fromStdString(result.snapshotDir) + "/model.safetensors").size(),
             qint64(kSize));
}

QTEST_GUILESS_MAIN(TestHubFaults)
#include "test_hub_faults.moc"
