// What the studio's first start asks the Hub client: is the Hub reachable (a loopback fake Hub,
// a closed port, HF_HUB_OFFLINE), and what is already in the Hugging Face cache.
#include "fake_hub_server.h"
#include "mistudio/hub.h"

#include <QtTest>

using namespace mistudio;

namespace {

void writeFile(const QString& path, const QByteArray& bytes) {
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

/// A repo folder in huggingface_hub's layout: refs/<ref> -> commit, one blob linked from the
/// snapshot.
void writeCachedRepo(const QString& cache, const QString& folder, const QString& ref,
                     const QString& commit, const QByteArray& blob) {
    const QString repo = cache + "/" + folder;
    if (!ref.isEmpty())
        writeFile(repo + "/refs/" + ref, commit.toUtf8());
    writeFile(repo + "/blobs/b1", blob);
    QVERIFY(QDir().mkpath(repo + "/snapshots/" + commit));
    QVERIFY(QFile::link("../../blobs/b1", repo + "/snapshots/" + commit + "/config.json"));
}

} // namespace

class TestHubProbe : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        for (const char* proxy : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
            qunsetenv(proxy);
    }
    void fakeHubIsReachable();
    void closedPortIsUnreachableWithTheReason();
    void offlineModeAsksNothing();
    void cacheListingFindsModelsAndDatasets();
};

void TestHubProbe::fakeHubIsReachable() {
    test::FakeHubServer server;
    server.writeConfig(QJsonObject{{"repos", QJsonObject{}}});
    QVERIFY(server.start());
    hub::HubSettings s;
    s.endpoint = server.endpoint().toStdString();
    // A 404 (no such repo on this Hub) still proves the Hub answers.
    const hub::HubProbe probe = hub::probeHub(s, "EleutherAI/pythia-70m", 5);
    QVERIFY2(probe.reachable, probe.detail.c_str());
    QVERIFY(!probe.offlineMode);
    QCOMPARE(server.requests().size(), 1);
    QCOMPARE(server.requests().first()["path"].toString(),
             QStringLiteral("/api/models/EleutherAI/pythia-70m/revision/main?blobs=true"));
}

void TestHubProbe::closedPortIsUnreachableWithTheReason() {
    hub::HubSettings s;
    s.endpoint = "http://127.0.0.1:1"; // a privileged port nothing listens on: refused
    const hub::HubProbe probe = hub::probeHub(s, "gpt2", 2);
    QVERIFY(!probe.reachable);
    QVERIFY(!probe.offlineMode);
    QVERIFY2(QString::fromStdString(probe.detail).contains(QString::fromStdString(s.endpoint)),
             probe.detail.c_str());
}

void TestHubProbe::offlineModeAsksNothing() {
    test::FakeHubServer server;
    server.writeConfig(QJsonObject{{"repos", QJsonObject{}}});
    QVERIFY(server.start());
    qputenv("HF_HUB_OFFLINE", "1");
    hub::HubSettings s = hub::HubSettings::fromEnvironment();
    qunsetenv("HF_HUB_OFFLINE");
    s.endpoint = server.endpoint().toStdString();
    const hub::HubProbe probe = hub::probeHub(s, "gpt2", 2);
    QVERIFY(!probe.reachable);
    QVERIFY(probe.offlineMode);
    QVERIFY(QString::fromStdString(probe.detail).contains(QStringLiteral("HF_HUB_OFFLINE")));
    QCOMPARE(server.requests().size(), 0);
}

void TestHubProbe::cacheListingFindsModelsAndDatasets() {
    QTemporaryDir cache;
    const QString a(40, QLatin1Char('a')), b(40, QLatin1Char('b')), c(40, QLatin1Char('c'));
    writeCachedRepo(cache.path(), "models--EleutherAI--pythia-70m", "main", a,
                    QByteArray(100, 'x'));
    writeCachedRepo(cache.path(), "models--gpt2", "", b, QByteArray(7, 'y')); // snapshot, no ref
    writeCachedRepo(cache.path(), "datasets--NeelNanda--pile-10k", "main", c, QByteArray(5, 'z'));
    QVERIFY(QDir().mkpath(cache.path() + "/models--empty--repo/blobs")); // no snapshot: skipped
    QVERIFY(QDir().mkpath(cache.path() + "/.locks/models--gpt2"));
    writeFile(cache.path() + "/version.txt", "1");

    const auto repos = hub::listCachedRepos(cache.path().toStdString());
    QCOMPARE(int(repos.size()), 3);
    QCOMPARE(repos[0].id.repo, std::string("EleutherAI/pythia-70m"));
    QCOMPARE(repos[0].id.type, hub::RepoType::Model);
    QCOMPARE(repos[0].id.revision, std::string("main"));
    QCOMPARE(repos[0].sizeBytes, int64_t(100));
    QCOMPARE(QString::fromStdString(repos[0].snapshotDir),
             cache.path() + "/models--EleutherAI--pythia-70m/snapshots/" + a);
    QCOMPARE(repos[1].id.repo, std::string("gpt2"));
    QCOMPARE(QString::fromStdString(repos[1].id.revision), b);
    QCOMPARE(repos[2].id.repo, std::string("NeelNanda/pile-10k"));
    QCOMPARE(repos[2].id.type, hub::RepoType::Dataset);
    QVERIFY(hub::listCachedRepos(cache.path().toStdString() + "/missing").empty());
}

QTEST_GUILESS_MAIN(TestHubProbe)
#include "test_hub_probe.moc"
