// The Hub client against a real HTTP server on 127.0.0.1 (tests/hub/fake_hub.py): cache layout,
// redirects, resume after a cut, checksums, errors in words, untrusted names, cache hits.
#include "fake_hub_server.h"
#include "hub_test_data.h"
#include "mistudio/engine.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <QtTest>
#include <csignal>
#include <sys/resource.h>

using namespace mistudio;
using namespace mistudio::test;

namespace {

QString commitOf(char c) {
    return QString(40, QChar(c));
}

// Files of the model repo "org/tiny": what a model needs, plus what the client must skip.
const QStringList kModelFiles = {"config.json", "tokenizer.json", "tokenizer_config.json",
                                 "model.safetensors"};
const QStringList kSkippedFiles = {"pytorch_model.bin", "tf_model.h5", "flax_model.msgpack",
                                   "model.onnx",        "model.gguf",  "sub/model.safetensors",
                                   "README.md"};

} // namespace

class TestHubDownload : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void downloadsModelIntoCacheLayout();
    void secondRunRequestsNoFile();
    void offlineModeUsesTheCacheOnly();
    void networkDownFallsBackToCacheOrHints();
    void gatedRepoSaysAcceptLicenseAndToken();
    void manuallyGatedRepoNeedsAToken();
    void busyServerIsRetried();
    void missingRepoAndRevisionAreNotFound();
    void checksumMismatchDeletesTheFile();
    void serverIgnoringRangeRestartsCleanly();
    void pickleOnlyModelIsRefusedBeforeDownloading();
    void notEnoughDiskSpaceIsReportedFirst();
    void diskFullWhileWritingThenResume();
    void datasetUsesItsOwnUrlsAndNestedLinks();
    void unsafeFileNamesAreRefused();
    void symlinkEscapeIsRefused();
    void tokenIsSentAsBearer();
    void progressAndCancellationThroughTheJobRunner();

private:
    hub::HubSettings settings() const;
    QString repoFiles(const QString& name) const { return m_server.root() + "/repos/" + name; }
    QJsonObject repo(const QString& dir, char commit) const;

    FakeHubServer m_server;
    QJsonObject m_config;
    std::unique_ptr<QTemporaryDir> m_cache;
    std::map<QString, QByteArray> m_tiny; // path -> bytes of org/tiny
};

QJsonObject TestHubDownload::repo(const QString& dir, char commit) const {
    return QJsonObject{{"commit", commitOf(commit)}, {"dir", repoFiles(dir)}};
}

void TestHubDownload::initTestCase() {
    // libcurl honours proxy variables; requests must go straight to 127.0.0.1.
    for (const char* proxy : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        qunsetenv(proxy);
    uint32_t seed = 1;
    for (const QString& f : kModelFiles + kSkippedFiles) {
        const int size = f == "model.safetensors" ? 300000 : 1000 + int(seed) * 37;
        m_tiny[f] = f.endsWith(".json") ? QByteArray("{\"n\": ") + QByteArray::number(seed) + "}"
                                        : patternBytes(size, seed);
        writeBytes(repoFiles("tiny") + "/" + f, m_tiny[f]);
        ++seed;
    }
    writeBytes(repoFiles("pickle") + "/config.json", "{}");
    writeBytes(repoFiles("pickle") + "/pytorch_model.bin", patternBytes(5000, 50));
    writeBytes(repoFiles("bad") + "/config.json", "{\"bad\": 1}");
    writeBytes(repoFiles("bad") + "/model.safetensors", patternBytes(40000, 51));
    writeBytes(repoFiles("norange") + "/model.safetensors", patternBytes(120000, 52));
    writeBytes(repoFiles("slow") + "/model.safetensors", patternBytes(2000000, 53));
    writeBytes(repoFiles("ds") + "/data/train-00000.parquet", patternBytes(70000, 54));
    writeBytes(repoFiles("ds") + "/data/extra.json", "[{\"text\": \"hello\"}]");
    writeBytes(repoFiles("ds") + "/README.md", "# a dataset");

    QJsonObject repos;
    repos["model/org/tiny"] = repo("tiny", '1');
    repos["model/org/gated"] = QJsonObject{{"commit", commitOf('2')}, {"gated", true}};
    repos["model/org/pickle"] = repo("pickle", '3');
    repos["model/org/bad"] = repo("bad", '4');
    repos["model/org/norange"] = repo("norange", '5');
    repos["model/org/slow"] = repo("slow", '6');
    QJsonObject huge = repo("tiny", '7');
    huge["sizes"] = QJsonObject{{"model.safetensors", 1e17}};
    repos["model/org/huge"] = huge;
    repos["dataset/org/ds"] = repo("ds", '8');
    QJsonObject manual = repo("tiny", 'b');
    manual["gated"] = "manual";
    repos["model/org/manual"] = manual;
    repos["model/org/busy"] = repo("tiny", 'c');
    m_config["repos"] = repos;
    m_config["cut"] =
        QJsonObject{{"org/tiny/model.safetensors", 1}, {"org/norange/model.safetensors", 1}};
    m_config["busy"] = QJsonObject{{"org/busy/model.safetensors", 2}};
    m_config["bad_sha256"] = QJsonArray{"org/bad/model.safetensors"};
    m_config["no_range"] = QJsonArray{"org/norange/model.safetensors"};
    m_config["slow"] = QJsonArray{"org/slow/model.safetensors"};
    m_server.writeConfig(m_config);
    QVERIFY2(m_server.start(), "the fake Hub (python3 tests/hub/fake_hub.py) did not start");
}

void TestHubDownload::init() {
    m_cache = std::make_unique<QTemporaryDir>();
    m_server.writeConfig(m_config);
    m_server.clearLog();
}

hub::HubSettings TestHubDownload::settings() const {
    hub::HubSettings s;
    s.endpoint = m_server.endpoint().toStdString();
    s.cacheDir = m_cache->path().toStdString();
    s.connectTimeoutSeconds = 5;
    s.stallTimeoutSeconds = 20;
    s.maxAttempts = 4;
    s.retryDelayMs = 10;
    return s;
}

void TestHubDownload::downloadsModelIntoCacheLayout() {
    const auto s = settings();
    const auto result = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    const QString repoDir = m_cache->path() + "/models--org--tiny";
    QCOMPARE(QString::fromStdString(result.snapshotDir), repoDir + "/snapshots/" + commitOf('1'));
    QCOMPARE(QString::fromStdString(result.commit), commitOf('1'));
    QCOMPARE(result.filesDownloaded, int(kModelFiles.size()));
    QStringList got;
    for (const auto& f : result.files)
        got << QString::fromStdString(f);
    got.sort();
    QStringList want = kModelFiles;
    want.sort();
    QCOMPARE(got, want);

    for (const QString& f : kModelFiles) {
        const QString link = repoDir + "/snapshots/" + commitOf('1') + "/" + f;
        const QString blob = blobNameOf(f, m_tiny[f]);
        QVERIFY2(QFileInfo(link).isSymLink(), qPrintable(link));
        // The exact relative target huggingface_hub writes.
        QCOMPARE(QFile::symLinkTarget(link),
                 QFileInfo(repoDir + "/blobs/" + blob).absoluteFilePath());
        QCOMPARE(QString::fromStdString(std::filesystem::read_symlink(link.toStdString()).string()),
                 "../../blobs/" + blob);
        QCOMPARE(readBytes(link), m_tiny[f]);
    }
    for (const QString& f : kSkippedFiles)
        QVERIFY2(!QFileInfo::exists(repoDir + "/snapshots/" + commitOf('1') + "/" + f),
                 qPrintable(f));
    QCOMPARE(readBytes(repoDir + "/refs/main"), commitOf('1').toLatin1()); // no newline
    QCOMPARE(QDir(repoDir + "/blobs").entryList(QDir::Files).size(), kModelFiles.size());

    // model.safetensors: redirected to /cdn/, cut halfway once, resumed with a Range request.
    QList<QJsonObject> cdn;
    for (const auto& r : m_server.fileRequests()) {
        const QString path = r["path"].toString();
        for (const QString& skipped : kSkippedFiles)
            QVERIFY2(!path.endsWith("/" + skipped), qPrintable(path));
        if (path.startsWith("/cdn/" + sha256Of(m_tiny["model.safetensors"])))
            cdn << r;
    }
    QCOMPARE(cdn.size(), 2);
    QVERIFY(cdn[0]["range"].isNull());
    QCOMPARE(cdn[1]["range"].toString(), QStringLiteral("bytes=150000-"));
    QVERIFY(result.bytesDownloaded >= 300000);
}

void TestHubDownload::secondRunRequestsNoFile() {
    const auto s = settings();
    const auto first = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    m_server.clearLog();
    const auto second = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    QCOMPARE(second.snapshotDir, first.snapshotDir);
    QCOMPARE(second.filesDownloaded, 0);
    QCOMPARE(second.bytesDownloaded, int64_t(0));
    QCOMPARE(m_server.fileRequests().size(), 0);
    QCOMPARE(m_server.requests().size(), 1); // the listing only
}

void TestHubDownload::offlineModeUsesTheCacheOnly() {
    auto s = settings();
    s.offline = true;
    try {
        hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
        QFAIL("expected NotFound");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::NotFound);
        QVERIFY2(QString(e.what()).contains("HF_HUB_OFFLINE=1"), e.what());
    }
    s.offline = false;
    const auto online = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    m_server.clearLog();
    s.offline = true;
    const auto offline = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    QCOMPARE(offline.snapshotDir, online.snapshotDir);
    QCOMPARE(offline.files.size(), online.files.size());
    QCOMPARE(m_server.requests().size(), 0);
    // A commit sha works as the revision too, and resolveModelPath gives the same folder.
    QCOMPARE(hub::resolveModelPath("org/tiny@" + commitOf('1').toStdString(), s),
             online.snapshotDir);
}

void TestHubDownload::networkDownFallsBackToCacheOrHints() {
    auto s = settings();
    s.endpoint = "http://127.0.0.1:1"; // nothing listens on port 1
    try {
        hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
        QFAIL("expected a network error");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Network);
        QVERIFY2(QString(e.what()).contains("HF_HUB_OFFLINE=1"), e.what());
        QVERIFY2(QString(e.what()).contains("cannot reach"), e.what());
    }
    const auto online = hub::downloadRepo(hub::parseRepoId("org/tiny"), settings());
    const auto fallback = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    QCOMPARE(fallback.snapshotDir, online.snapshotDir);
}

void TestHubDownload::gatedRepoSaysAcceptLicenseAndToken() {
    try {
        hub::downloadRepo(hub::parseRepoId("org/gated"), settings());
        QFAIL("expected Unauthorized");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Unauthorized);
        const QString msg = e.what();
        QVERIFY2(msg.contains("accept the license on the model page " + m_server.endpoint() +
                              "/org/gated"),
                 e.what());
        QVERIFY2(msg.contains("HF_TOKEN"), e.what());
    }
    QVERIFY(!QFileInfo::exists(m_cache->path() + "/models--org--gated/snapshots"));
}

void TestHubDownload::manuallyGatedRepoNeedsAToken() {
    // Listed publicly (gated: "manual"), files refused without a token: fail before any file.
    try {
        hub::downloadRepo(hub::parseRepoId("org/manual"), settings());
        QFAIL("expected Unauthorized");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Unauthorized);
        QVERIFY2(QString(e.what()).contains("accept the license on the model page"), e.what());
    }
    QCOMPARE(m_server.fileRequests().size(), 0);
    auto s = settings();
    s.token = "hf_anyToken";
    const auto result = hub::downloadRepo(hub::parseRepoId("org/manual"), s);
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/config.json"),
             m_tiny["config.json"]);
}

void TestHubDownload::busyServerIsRetried() {
    // Two 503 answers for model.safetensors, then the file: the client waits and retries.
    const auto result = hub::downloadRepo(hub::parseRepoId("org/busy"), settings());
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             m_tiny["model.safetensors"]);
    int resolves = 0;
    for (const auto& r : m_server.fileRequests())
        resolves +=
            r["path"].toString().endsWith("/resolve/" + commitOf('c') + "/model.safetensors");
    QCOMPARE(resolves, 3);
}

void TestHubDownload::missingRepoAndRevisionAreNotFound() {
    try {
        hub::downloadRepo(hub::parseRepoId("org/nothing"), settings());
        QFAIL("expected NotFound");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::NotFound);
        QVERIFY2(QString(e.what()).contains("no repository org/nothing"), e.what());
    }
    try {
        hub::downloadRepo(hub::parseRepoId("org/tiny@v9"), settings());
        QFAIL("expected NotFound");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::NotFound);
        QVERIFY2(QString(e.what()).contains("no revision 'v9'"), e.what());
    }
}

void TestHubDownload::checksumMismatchDeletesTheFile() {
    try {
        hub::downloadRepo(hub::parseRepoId("org/bad"), settings());
        QFAIL("expected InvalidFormat");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::InvalidFormat);
        QVERIFY2(QString(e.what()).contains("checksum mismatch for model.safetensors"), e.what());
        QVERIFY2(QString(e.what()).contains("run the download again"), e.what());
    }
    const QString repoDir = m_cache->path() + "/models--org--bad";
    const QStringList blobs = QDir(repoDir + "/blobs").entryList(QDir::Files);
    for (const QString& b : blobs)
        QVERIFY2(b != sha256Of(patternBytes(40000, 51)) && !b.endsWith(".incomplete"),
                 qPrintable(b));
    QVERIFY(!QFileInfo::exists(repoDir + "/snapshots/" + commitOf('4') + "/model.safetensors"));
}

void TestHubDownload::serverIgnoringRangeRestartsCleanly() {
    const auto result = hub::downloadRepo(hub::parseRepoId("org/norange"), settings());
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             patternBytes(120000, 52));
    int ranged = 0;
    for (const auto& r : m_server.fileRequests())
        ranged += r["path"].toString().startsWith("/cdn/") && r["range"].isString() ? 1 : 0;
    QCOMPARE(ranged, 1); // asked for a range, got 200 with the whole file, truncated and rewrote
}

void TestHubDownload::pickleOnlyModelIsRefusedBeforeDownloading() {
    try {
        hub::downloadRepo(hub::parseRepoId("org/pickle"), settings());
        QFAIL("expected Unsupported");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Unsupported);
        QVERIFY2(QString(e.what()).contains("pickle"), e.what());
        QVERIFY2(QString(e.what()).contains("safetensors"), e.what());
    }
    QCOMPARE(m_server.fileRequests().size(), 0);
}

void TestHubDownload::notEnoughDiskSpaceIsReportedFirst() {
    try {
        hub::downloadRepo(hub::parseRepoId("org/huge"), settings());
        QFAIL("expected Io");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Io);
        QVERIFY2(QString(e.what()).contains("not enough free disk space"), e.what());
        QVERIFY2(QString(e.what()).contains("HF_HUB_CACHE"), e.what());
    }
    QCOMPARE(m_server.fileRequests().size(), 0);
}

void TestHubDownload::diskFullWhileWritingThenResume() {
    // RLIMIT_FSIZE makes writes past 100 KB fail with EFBIG, as a full disk fails with ENOSPC.
    struct rlimit old {};
    QVERIFY(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 100000;
    QVERIFY(setrlimit(RLIMIT_FSIZE, &small) == 0);
    ErrorCode code = ErrorCode::Ok;
    QString message;
    try {
        hub::downloadRepo(hub::parseRepoId("org/tiny"), settings());
    } catch (const Exception& e) {
        code = e.code();
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QCOMPARE(code, ErrorCode::Io);
    QVERIFY2(message.contains("the disk is full"), qPrintable(message));
    const QString blob = sha256Of(m_tiny["model.safetensors"]);
    const QString incomplete = m_cache->path() + "/models--org--tiny/blobs/" + blob + ".incomplete";
    QVERIFY(QFileInfo(incomplete).size() > 0);

    // With space again, the same call resumes and completes.
    m_server.clearLog();
    const auto result = hub::downloadRepo(hub::parseRepoId("org/tiny"), settings());
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             m_tiny["model.safetensors"]);
    QVERIFY(!QFileInfo::exists(incomplete));
    bool resumed = false;
    for (const auto& r : m_server.fileRequests())
        resumed |= r["path"].toString().startsWith("/cdn/" + blob) && r["range"].isString();
    QVERIFY(resumed);
}

void TestHubDownload::datasetUsesItsOwnUrlsAndNestedLinks() {
    const auto result = hub::downloadRepo(
        hub::parseRepoId("org/ds", hub::RepoType::Dataset), settings(),
        [](const std::string& p) { return p.size() > 8 && p.substr(p.size() - 8) == ".parquet"; });
    const QString repoDir = m_cache->path() + "/datasets--org--ds";
    QCOMPARE(QString::fromStdString(result.snapshotDir), repoDir + "/snapshots/" + commitOf('8'));
    QCOMPARE(result.files, std::vector<std::string>{"data/train-00000.parquet"});
    const QString link = QString::fromStdString(result.snapshotDir) + "/data/train-00000.parquet";
    const QByteArray data = patternBytes(70000, 54);
    QCOMPARE(QString::fromStdString(std::filesystem::read_symlink(link.toStdString()).string()),
             "../../../blobs/" + sha256Of(data));
    QCOMPARE(readBytes(link), data);
    bool sawApi = false, sawResolve = false;
    for (const auto& r : m_server.requests()) {
        sawApi |= r["path"].toString().startsWith("/api/datasets/org/ds/revision/main");
        sawResolve |= r["path"].toString().startsWith("/datasets/org/ds/resolve/" + commitOf('8'));
    }
    QVERIFY(sawApi);
    QVERIFY(sawResolve);
    // The default dataset filter takes the JSON too, not the README.
    const auto all =
        hub::downloadRepo(hub::parseRepoId("org/ds", hub::RepoType::Dataset), settings());
    QCOMPARE(all.files, (std::vector<std::string>{"data/extra.json", "data/train-00000.parquet"}));
}

void TestHubDownload::unsafeFileNamesAreRefused() {
    const QString blob(40, QChar('c'));
    for (const QString& name :
         {QStringLiteral("../evil.parquet"), QStringLiteral("/tmp/evil.parquet"),
          QStringLiteral("data/../../evil.parquet"), QStringLiteral("data\\evil.parquet")}) {
        QJsonObject config = m_config;
        QJsonObject repos = config["repos"].toObject();
        QJsonObject ds = repo("ds", '9');
        ds["extra_siblings"] =
            QJsonArray{QJsonObject{{"rfilename", name}, {"size", 3}, {"blobId", blob}}};
        repos["dataset/org/evil"] = ds;
        config["repos"] = repos;
        m_server.writeConfig(config);
        try {
            hub::downloadRepo(hub::parseRepoId("org/evil", hub::RepoType::Dataset), settings());
            QFAIL(qPrintable("expected a refusal of " + name));
        } catch (const Exception& e) {
            QCOMPARE(e.code(), ErrorCode::InvalidFormat);
            QVERIFY2(QString(e.what()).contains("unsafe file name"), e.what());
        }
    }
    QCOMPARE(m_server.fileRequests().size(), 0); // refused before any download
    QVERIFY(!QFileInfo::exists(m_cache->path() + "/evil.parquet"));
    QVERIFY(!QFileInfo::exists("/tmp/evil.parquet"));
}

void TestHubDownload::symlinkEscapeIsRefused() {
    QTemporaryDir outside;
    const QString snap = m_cache->path() + "/datasets--org--ds/snapshots/" + commitOf('8');
    QVERIFY(QDir().mkpath(snap));
    QVERIFY(QFile::link(outside.path(), snap + "/data")); // a planted link out of the cache
    try {
        hub::downloadRepo(hub::parseRepoId("org/ds", hub::RepoType::Dataset), settings());
        QFAIL("expected a refusal");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::InvalidFormat);
        QVERIFY2(QString(e.what()).contains("outside"), e.what());
    }
    QVERIFY(QDir(outside.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
}

void TestHubDownload::tokenIsSentAsBearer() {
    QJsonObject config = m_config;
    config["token"] = "hf_testSecret123";
    m_server.writeConfig(config);
    try {
        hub::downloadRepo(hub::parseRepoId("org/tiny"), settings());
        QFAIL("expected Unauthorized without a token");
    } catch (const Exception& e) {
        QCOMPARE(e.code(), ErrorCode::Unauthorized);
    }
    auto s = settings();
    s.token = "hf_testSecret123";
    const auto result = hub::downloadRepo(hub::parseRepoId("org/tiny"), s);
    QCOMPARE(result.filesDownloaded, int(kModelFiles.size()));
    int withToken = 0;
    for (const auto& r : m_server.requests())
        withToken += r["auth"].toString() == "Bearer hf_testSecret123" ? 1 : 0;
    QVERIFY(withToken >= 1 + int(kModelFiles.size()));
}

void TestHubDownload::progressAndCancellationThroughTheJobRunner() {
    Engine engine;
    const auto s = settings();
    JobHandle job = engine.submit(
        [&](JobContext& ctx) { hub::downloadRepo(hub::parseRepoId("org/slow"), s, {}, &ctx); });
    bool cancelled = false;
    double lastDone = 0;
    for (int i = 0; i < 200 && !job.isFinished(); ++i) {
        auto e = job.nextEvent(std::chrono::milliseconds(100));
        if (const auto* p = e ? std::get_if<ProgressEvent>(&*e) : nullptr) {
            QCOMPARE(p->stage, std::string("download"));
            QCOMPARE(p->total, 2000000.0);
            QCOMPARE(p->unit, std::string("B"));
            lastDone = p->done;
            if (!cancelled && p->done > 100000) {
                job.cancel();
                cancelled = true;
            }
        }
    }
    const FinishedEvent fin = job.wait();
    QVERIFY(cancelled);
    QVERIFY(!fin.ok);
    QCOMPARE(fin.error.code, ErrorCode::Cancelled);
    QVERIFY(lastDone > 0 && lastDone < 2000000);
    const QString blob = sha256Of(patternBytes(2000000, 53));
    const QString incomplete = m_cache->path() + "/models--org--slow/blobs/" + blob + ".incomplete";
    const qint64 partial = QFileInfo(incomplete).size();
    QVERIFY2(partial > 0 && partial < 2000000, qPrintable(QString::number(partial)));

    // The next run resumes from the partial file and lands the right bytes.
    QJsonObject config = m_config;
    config["slow"] = QJsonArray();
    m_server.writeConfig(config);
    m_server.clearLog();
    const auto result = hub::downloadRepo(hub::parseRepoId("org/slow"), s);
    QCOMPARE(readBytes(QString::fromStdString(result.snapshotDir) + "/model.safetensors"),
             patternBytes(2000000, 53));
    const auto files = m_server.fileRequests();
    QVERIFY(!files.isEmpty());
    QCOMPARE(files.last()["range"].toString(), QStringLiteral("bytes=%1-").arg(partial));
}

QTEST_GUILESS_MAIN(TestHubDownload)
#include "test_hub_download.moc"
