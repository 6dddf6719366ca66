// Hub datasets (spec -> split files, Parquet conversion first) and SAE folders of multi-SAE repos,
// against the loopback fake Hub (tests/hub/fake_hub.py).
#include "fake_hub_server.h"
#include "hub/dataset_layout.h"
#include "hub_test_data.h"
#include "mistudio/engine.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <QtTest>

using namespace mistudio;
using namespace mistudio::test;

namespace {

QString commitOf(char c) {
    return QString(40, QChar(c));
}

// Runs fn and returns the Exception it throws (QFAIL-style message when none).
template <class Fn> Exception thrown(Fn&& fn) {
    try {
        fn();
    } catch (const Exception& e) {
        return e;
    }
    return Exception(ErrorCode::Ok, "nothing thrown");
}

QStringList names(const std::vector<std::string>& paths, const QString& base) {
    QStringList out;
    for (const auto& p : paths) {
        const QString s = QString::fromStdString(p);
        out << (s.startsWith(base + "/") ? s.mid(base.size() + 1) : "OUTSIDE:" + s);
    }
    return out;
}

} // namespace

class TestHubSources : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void parsesDatasetSpecs();
    void layoutsFromFileNames();
    void prefersTheParquetConversion();
    void namesConfigsAndSplitsThatExist();
    void olderConversionLayout();
    void repoOwnFilesWhenNoConversion();
    void datasetsOfflineFromTheCache();
    void datasetProgressThroughTheJobRunner();
    void datasetDownloadIsCancellable();
    void saeSubfolderOnly();
    void saeErrorsNameTheFoldersThere();

private:
    hub::HubSettings settings() const;
    QString add(const QString& repo, const QString& file, const QByteArray& data);
    QString snapshot(const QString& folder, char commit) const {
        return m_cache->path() + "/" + folder + "/snapshots/" + commitOf(commit);
    }

    FakeHubServer m_server;
    QJsonObject m_config;
    std::unique_ptr<QTemporaryDir> m_cache;
    std::map<QString, QByteArray> m_bytes; // "<repo dir>/<file>" -> bytes
};

QString TestHubSources::add(const QString& repo, const QString& file, const QByteArray& data) {
    const QString path = m_server.root() + "/repos/" + repo + "/" + file;
    writeBytes(path, data);
    m_bytes[repo + "/" + file] = data;
    return path;
}

void TestHubSources::initTestCase() {
    for (const char* proxy : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        qunsetenv(proxy);
    uint32_t seed = 100;
    auto bytes = [&](int n) { return patternBytes(n, ++seed); };
    // org/conv: own files on main, and the Hub's Parquet conversion with two configs.
    add("conv-main", "data/train-00000-of-00001.parquet", bytes(3000));
    add("conv-main", "data/test-00000-of-00001.parquet", bytes(2000));
    add("conv-main", "README.md", "# conv");
    add("conv-pq", "default/train/0000.parquet", bytes(50000));
    add("conv-pq", "default/train/0001.parquet", bytes(40000));
    add("conv-pq", "default/test/0000.parquet", bytes(9000));
    add("conv-pq", "wiki/partial-train/0000.parquet", bytes(7000));
    // org/big: a conversion shard served slowly, to cancel mid-file.
    add("big-main", "README.md", "# big");
    add("big-pq", "default/train/0000.parquet", bytes(2000000));
    // org/old: the older conversion naming, one config.
    add("old-main", "README.md", "# old");
    add("old-pq", "plain_text/old-train-00000-of-00002.parquet", bytes(6000));
    add("old-pq", "plain_text/old-train-00001-of-00002.parquet", bytes(6000));
    add("old-pq", "plain_text/old-test.parquet", bytes(1000));
    // org/own: no conversion, JSON Lines named by split, plus metadata.
    add("own", "train.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
    add("own", "dev.jsonl", "{\"text\": \"c\"}\n");
    add("own", "dataset_info.json", "{}");
    // org/saes: SAELens-style folders and a Gemma-Scope-style nested one.
    for (const QString hook : {"blocks.8.hook_resid_post", "blocks.9.hook_resid_post"}) {
        add("saes", hook + "/cfg.json", "{\"d_sae\": 64, \"hook\": \"" + hook.toLatin1() + "\"}");
        add("saes", hook + "/sae_weights.safetensors", bytes(20000));
        add("saes", hook + "/sparsity.safetensors", bytes(300));
    }
    add("saes", "layer_20/width_16k/average_l0_71/params.npz", bytes(30000));
    add("saes", "layer_20/width_16k/average_l0_71/legacy.pt", bytes(500));
    add("saes", "README.md", "# saes");

    const QString repos = m_server.root() + "/repos/";
    auto repo = [&](const QString& dir, char commit) {
        return QJsonObject{{"commit", commitOf(commit)}, {"dir", repos + dir}};
    };
    auto withConversion = [&](QJsonObject main, const QString& dir, char commit) {
        main["revisions"] = QJsonObject{{"refs/convert/parquet", repo(dir, commit)}};
        return main;
    };
    QJsonObject all;
    all["dataset/org/conv"] = withConversion(repo("conv-main", '1'), "conv-pq", '2');
    all["dataset/org/old"] = withConversion(repo("old-main", '3'), "old-pq", '4');
    all["dataset/org/own"] = repo("own", '5');
    all["dataset/org/big"] = withConversion(repo("big-main", '7'), "big-pq", '8');
    all["model/org/saes"] = repo("saes", '6');
    m_config["repos"] = all;
    m_config["slow"] = QJsonArray{"org/big/default/train/0000.parquet"};
    m_server.writeConfig(m_config);
    QVERIFY2(m_server.start(), "the fake Hub (python3 tests/hub/fake_hub.py) did not start");
}

void TestHubSources::init() {
    m_cache = std::make_unique<QTemporaryDir>();
    m_server.clearLog();
}

hub::HubSettings TestHubSources::settings() const {
    hub::HubSettings s;
    s.endpoint = m_server.endpoint().toStdString();
    s.cacheDir = m_cache->path().toStdString();
    s.connectTimeoutSeconds = 5;
    s.maxAttempts = 2;
    s.retryDelayMs = 10;
    return s;
}

void TestHubSources::parsesDatasetSpecs() {
    auto spec = hub::parseDatasetSpec("hf:org/conv");
    QCOMPARE(spec.id.repo, std::string("org/conv"));
    QVERIFY(spec.id.type == hub::RepoType::Dataset);
    QCOMPARE(spec.id.revision, std::string("main"));
    QVERIFY(!spec.revisionGiven && spec.config.empty() && spec.split.empty());
    spec = hub::parseDatasetSpec("hf:org/conv:wiki:test@v1.0");
    QCOMPARE(spec.config, std::string("wiki"));
    QCOMPARE(spec.split, std::string("test"));
    QCOMPARE(spec.id.revision, std::string("v1.0"));
    QVERIFY(spec.revisionGiven && !spec.configOrSplit);
    spec = hub::parseDatasetSpec("hf:org/conv@refs/pr/3:train");
    QCOMPARE(spec.id.revision, std::string("refs/pr/3"));
    QCOMPARE(spec.config, std::string("train"));
    QVERIFY(spec.configOrSplit);
    spec = hub::parseDatasetSpec("org/conv::validation");
    QVERIFY(spec.config.empty());
    QCOMPARE(spec.split, std::string("validation"));
    QVERIFY(hub::isHubDatasetSpec("hf:x/y") && !hub::isHubDatasetSpec("/data/x.parquet"));
    for (const char* bad :
         {"hf:", "hf:org/x:a:b:c", "hf:org/x@", "hf:org/x:a/b", "hf:../x", "hf:org/x@a@b"})
        QCOMPARE(thrown([&] { hub::parseDatasetSpec(bad); }).code(), ErrorCode::InvalidArgument);
}

void TestHubSources::layoutsFromFileNames() {
    using Files = std::vector<std::string>;
    // Conversion: folder per split, the older <split>-0000x-of-0000n files, non-Parquet ignored.
    auto conv = hub::parquetConversionLayout(
        {"en/train-00001-of-00002.parquet", "en/train-00000-of-00002.parquet",
         "en/validation-00000-of-00001.parquet", "fr/test/0000.parquet", "README.md", "top.parquet",
         "en/x.json"});
    QCOMPARE(conv["en"]["train"],
             Files({"en/train-00000-of-00002.parquet", "en/train-00001-of-00002.parquet"}));
    QCOMPARE(conv["en"]["validation"], Files({"en/validation-00000-of-00001.parquet"}));
    QCOMPARE(conv["fr"]["test"], Files({"fr/test/0000.parquet"}));
    QCOMPARE(conv.size(), size_t(2));
    // Own files: split words in names and folders; metadata and hidden files skipped; a
    // top-level folder is also a config.
    auto own =
        hub::repoDataLayout({"data/train-00000-of-00003.parquet", "data/Dev.csv",
                             "wiki/eval_set.tsv", "wiki/training/a.txt", "dataset_infos.json",
                             ".hidden/train.txt", "_x/test.json", "data/extra.json"});
    QCOMPARE(own["default"]["train"],
             Files({"data/train-00000-of-00003.parquet", "wiki/training/a.txt"}));
    QCOMPARE(own["default"]["validation"], Files({"data/Dev.csv"}));
    QCOMPARE(own["default"]["test"], Files({"wiki/eval_set.tsv"}));
    QCOMPARE(own["wiki"]["train"], Files({"wiki/training/a.txt"}));
    QCOMPARE(own.count("data"), size_t(0));
    // No file names a split: all of them are train.
    auto plain = hub::repoDataLayout({"a.txt", "b/c.jsonl", "README.md"});
    QCOMPARE(plain["default"]["train"], Files({"a.txt", "b/c.jsonl"}));
}

void TestHubSources::prefersTheParquetConversion() {
    const auto files = hub::resolveDatasetFiles("hf:org/conv", settings());
    const QString snap = snapshot("datasets--org--conv", '2');
    QCOMPARE(names(files, snap),
             QStringList({"default/train/0000.parquet", "default/train/0001.parquet"}));
    for (const auto& f : files)
        QCOMPARE(readBytes(QString::fromStdString(f)),
                 m_bytes["conv-pq/" + QString::fromStdString(f).mid(snap.size() + 1)]);
    // huggingface_hub's ref file for the conversion; nothing else fetched.
    QCOMPARE(readBytes(m_cache->path() + "/datasets--org--conv/refs/refs/convert/parquet"),
             commitOf('2').toLatin1());
    for (const auto& r : m_server.requests()) {
        const QString path = r["path"].toString();
        QVERIFY2(!path.contains("/test/") && !path.contains("/wiki/") &&
                     !path.startsWith("/api/datasets/org/conv/revision/main"),
                 qPrintable(path));
    }
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/conv:test", settings()), snap),
             QStringList({"default/test/0000.parquet"}));
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/conv:wiki", settings()), snap),
             QStringList({"wiki/partial-train/0000.parquet"}));
}

void TestHubSources::namesConfigsAndSplitsThatExist() {
    Exception e = thrown([&] { hub::resolveDatasetFiles("hf:org/conv:default:val", settings()); });
    QCOMPARE(e.code(), ErrorCode::NotFound);
    QVERIFY2(QString(e.what()).contains("no split 'val'") &&
                 QString(e.what()).contains("splits: test, train"),
             e.what());
    e = thrown([&] { hub::resolveDatasetFiles("hf:org/conv:nope:train", settings()); });
    QVERIFY2(QString(e.what()).contains("configs: default, wiki"), e.what());
    e = thrown([&] { hub::resolveDatasetFiles("hf:org/missing", settings()); });
    QCOMPARE(e.code(), ErrorCode::NotFound);
    QCOMPARE(m_server.fileRequests().size(), 0); // errors come before any download
}

void TestHubSources::olderConversionLayout() {
    const QString snap = snapshot("datasets--org--old", '4');
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/old", settings()), snap),
             QStringList({"plain_text/old-train-00000-of-00002.parquet",
                          "plain_text/old-train-00001-of-00002.parquet"}));
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/old:plain_text:test", settings()), snap),
             QStringList({"plain_text/old-test.parquet"}));
}

void TestHubSources::repoOwnFilesWhenNoConversion() {
    const QString own = snapshot("datasets--org--own", '5');
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/own", settings()), own),
             QStringList({"train.jsonl"}));
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/own:validation", settings()), own),
             QStringList({"dev.jsonl"}));
    // A revision other than main: the repo's own files, not the conversion.
    const QString conv = snapshot("datasets--org--conv", '1');
    QCOMPARE(names(hub::resolveDatasetFiles("hf:org/conv@" + commitOf('1').toStdString() + "::test",
                                            settings()),
                   conv),
             QStringList({"data/test-00000-of-00001.parquet"}));
}

void TestHubSources::datasetsOfflineFromTheCache() {
    const auto online = hub::resolveDatasetFiles("hf:org/conv", settings());
    const auto ownOnline = hub::resolveDatasetFiles("hf:org/own", settings());
    m_server.clearLog();
    auto s = settings();
    s.offline = true;
    QCOMPARE(hub::resolveDatasetFiles("hf:org/conv:train", s), online);
    QCOMPARE(hub::resolveDatasetFiles("hf:org/own", s), ownOnline);
    QCOMPARE(m_server.requests().size(), 0);
    // Only what was downloaded is there offline, and the message says so.
    Exception e = thrown([&] { hub::resolveDatasetFiles("hf:org/conv:test", s); });
    QCOMPARE(e.code(), ErrorCode::NotFound);
    QVERIFY2(QString(e.what()).contains("splits: train") &&
                 QString(e.what()).contains("in the cache"),
             e.what());
    e = thrown([&] { hub::resolveDatasetFiles("hf:org/old", s); });
    QVERIFY2(QString(e.what()).contains("not in the Hugging Face cache"), e.what());
    // The Hub unreachable: the cache answers too.
    s.offline = false;
    s.endpoint = "http://127.0.0.1:1";
    s.maxAttempts = 1;
    QCOMPARE(hub::resolveDatasetFiles("hf:org/conv", s), online);
}

void TestHubSources::datasetProgressThroughTheJobRunner() {
    Engine engine;
    const auto s = settings();
    JobHandle job =
        engine.submit([&](JobContext& ctx) { hub::resolveDatasetFiles("hf:org/conv", s, &ctx); });
    double total = 0, done = 0;
    while (auto e = job.nextEvent(std::chrono::milliseconds(5000))) {
        if (const auto* p = std::get_if<ProgressEvent>(&*e)) {
            total = p->total;
            done = p->done;
        }
        if (std::holds_alternative<FinishedEvent>(*e)) {
            QVERIFY2(std::get<FinishedEvent>(*e).ok,
                     std::get<FinishedEvent>(*e).error.message.c_str());
            break;
        }
    }
    QCOMPARE(total, 90000.0); // the two train shards only
    QCOMPARE(done, 90000.0);
}

void TestHubSources::datasetDownloadIsCancellable() {
    Engine engine;
    const auto s = settings();
    JobHandle job =
        engine.submit([&](JobContext& ctx) { hub::resolveDatasetFiles("hf:org/big", s, &ctx); });
    bool cancelled = false;
    for (int i = 0; i < 200 && !job.isFinished(); ++i) {
        auto e = job.nextEvent(std::chrono::milliseconds(100));
        const auto* p = e ? std::get_if<ProgressEvent>(&*e) : nullptr;
        if (p && !cancelled && p->done > 50000) {
            job.cancel();
            cancelled = true;
        }
    }
    const FinishedEvent fin = job.wait();
    QVERIFY(cancelled);
    QCOMPARE(fin.error.code, ErrorCode::Cancelled);
    const QString blob = m_cache->path() + "/datasets--org--big/blobs/" +
                         sha256Of(m_bytes["big-pq/default/train/0000.parquet"]);
    const qint64 partial = QFileInfo(blob + ".incomplete").size();
    QVERIFY2(partial > 0 && partial < 2000000, qPrintable(QString::number(partial)));
    QVERIFY(!QFileInfo::exists(blob));
}

void TestHubSources::saeSubfolderOnly() {
    const auto s = settings();
    const QString hook = "blocks.8.hook_resid_post";
    const QString dir =
        QString::fromStdString(hub::resolveSaeFolder("hf:org/saes/" + hook.toStdString(), s));
    QCOMPARE(dir, snapshot("models--org--saes", '6') + "/" + hook);
    QStringList got = QDir(dir).entryList(QDir::Files, QDir::Name);
    QCOMPARE(got, QStringList({"cfg.json", "sae_weights.safetensors", "sparsity.safetensors"}));
    for (const QString& f : got)
        QCOMPARE(readBytes(dir + "/" + f), m_bytes["saes/" + hook + "/" + f]);
    for (const auto& r : m_server.fileRequests())
        QVERIFY2(!r["path"].toString().contains("blocks.9"), qPrintable(r["path"].toString()));
    QVERIFY(!QFileInfo::exists(snapshot("models--org--saes", '6') + "/blocks.9.hook_resid_post"));

    // Gemma Scope style: nested folder, npz kept, pickle never fetched.
    const QString gemma = QString::fromStdString(
        hub::resolveSaeFolder("hf:org/saes/layer_20/width_16k/average_l0_71/@main", s));
    QCOMPARE(QDir(gemma).entryList(QDir::Files), QStringList({"params.npz"}));

    // Offline, the same folder from the cache without a request.
    m_server.clearLog();
    auto offline = s;
    offline.offline = true;
    QCOMPARE(
        QString::fromStdString(hub::resolveSaeFolder("hf:org/saes/" + hook.toStdString(), offline)),
        dir);
    QCOMPARE(m_server.requests().size(), 0);
    // A local folder is used as is.
    QCOMPARE(hub::resolveSaeFolder(dir.toStdString(), s), dir.toStdString());
}

void TestHubSources::saeErrorsNameTheFoldersThere() {
    const auto s = settings();
    Exception e = thrown([&] { hub::resolveSaeFolder("hf:org/saes/blocks.7.hook_resid_post", s); });
    QCOMPARE(e.code(), ErrorCode::NotFound);
    QVERIFY2(QString(e.what()).contains("blocks.8.hook_resid_post, blocks.9.hook_resid_post"),
             e.what());
    e = thrown([&] { hub::resolveSaeFolder("hf:org/saes/layer_20/width_16k", s); });
    QVERIFY2(QString(e.what()).contains("layer_20/width_16k/average_l0_71"), e.what());
    e = thrown([&] { hub::resolveSaeFolder("hf:org/saes", s); }); // a whole release: pick one
    QVERIFY2(QString(e.what()).contains("hf:org/saes/FOLDER"), e.what());
    QCOMPARE(m_server.fileRequests().size(), 0);
    QCOMPARE(thrown([&] { hub::resolveSaeFolder("hf:org/saes/../x", s); }).code(),
             ErrorCode::InvalidArgument);
    QCOMPARE(thrown([&] { hub::resolveSaeFolder("/no/such/sae", s); }).code(), ErrorCode::NotFound);
}

QTEST_GUILESS_MAIN(TestHubSources)
#include "test_hub_sources.moc"
