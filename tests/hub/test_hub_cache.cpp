// The Hub client without a network: references, settings from the environment, file filters,
// untrusted names, sha256 against known vectors and Python's hashlib, and a cache laid out the way
// huggingface_hub writes it being found offline.
#include "hub/api.h"
#include "hub/cache.h"
#include "hub_test_data.h"
#include "mistudio/hub.h"
#include "mistudio/result.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

using namespace mistudio;
using namespace mistudio::test;

namespace {

// Sets environment variables for one scope and restores them after.
class EnvGuard {
public:
    void set(const char* name, const QByteArray& value) {
        save(name);
        qputenv(name, value);
    }
    void unset(const char* name) {
        save(name);
        qunsetenv(name);
    }
    ~EnvGuard() {
        for (auto it = m_saved.rbegin(); it != m_saved.rend(); ++it) {
            if (it->second.isNull())
                qunsetenv(it->first.constData());
            else
                qputenv(it->first.constData(), it->second);
        }
    }

private:
    void save(const char* name) {
        m_saved.emplace_back(name, qEnvironmentVariableIsSet(name) ? qgetenv(name) : QByteArray());
    }
    std::vector<std::pair<QByteArray, QByteArray>> m_saved;
};

template <typename Fn> ErrorCode errorOf(Fn&& fn) {
    try {
        fn();
    } catch (const Exception& e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

} // namespace

class TestHubCache : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesRepoIds();
    void refusesBadRepoIdsAndRevisions();
    void modelRefsTellFoldersFromHubIds();
    void cacheDirFollowsHuggingFaceHubVariables();
    void settingsFromEnvironment();
    void modelFilterTakesOnlyWhatAModelNeeds();
    void unsafeRelativePathsAreRefused();
    void sha256MatchesKnownVectors();
    void sha256MatchesPythonHashlib();
    void findsACacheWrittenByHuggingFaceHub();
    void cacheLinkOutsideIsRefused();
    void urlsAreQuotedLikeHuggingFaceHub();
    void listingJsonIsValidated();
};

void TestHubCache::parsesRepoIds() {
    auto id = hub::parseRepoId("EleutherAI/pythia-70m");
    QCOMPARE(id.repo, std::string("EleutherAI/pythia-70m"));
    QCOMPARE(id.revision, std::string("main"));
    QVERIFY(id.type == hub::RepoType::Model);
    id = hub::parseRepoId("org/name@v1.0", hub::RepoType::Dataset);
    QCOMPARE(id.repo, std::string("org/name"));
    QCOMPARE(id.revision, std::string("v1.0"));
    QVERIFY(id.type == hub::RepoType::Dataset);
    QCOMPARE(hub::parseRepoId("org/name@v1", hub::RepoType::Model, "refs/pr/3").revision,
             std::string("refs/pr/3"));
    QCOMPARE(hub::parseRepoId("gpt2").repo, std::string("gpt2"));
    QCOMPARE(hub::repoFolderName(hub::parseRepoId("openai-community/gpt2")),
             std::string("models--openai-community--gpt2"));
    QCOMPARE(hub::repoFolderName(hub::parseRepoId("org/ds", hub::RepoType::Dataset)),
             std::string("datasets--org--ds"));
    QVERIFY(hub::parseRepoType("dataset") == hub::RepoType::Dataset);
    QCOMPARE(errorOf([] { hub::parseRepoType("space"); }), ErrorCode::InvalidArgument);
}

void TestHubCache::refusesBadRepoIdsAndRevisions() {
    for (const char* bad :
         {"", "a/b/c", "../x", "org/..", "org/na--me", "org/name.git", "-org/x", "org/x y",
          "org\\x", "/", "org/", "org/x@", "org/x@../../etc", "org/x@/abs", "org/x@a\\b"})
        QVERIFY2(errorOf([&] { hub::parseRepoId(bad); }) == ErrorCode::InvalidArgument, bad);
}

void TestHubCache::modelRefsTellFoldersFromHubIds() {
    QTemporaryDir dir;
    auto ref = hub::parseModelRef(dir.path().toStdString());
    QVERIFY(ref.isLocal);
    QCOMPARE(ref.localPath, dir.path().toStdString());
    QVERIFY(hub::parseModelRef("./models/x").isLocal);
    QVERIFY(hub::parseModelRef("/no/such/folder").isLocal); // a path, even when missing
    ref = hub::parseModelRef("org/name@abc");
    QVERIFY(!ref.isLocal);
    QCOMPARE(ref.hub.repo, std::string("org/name"));
    QCOMPARE(ref.hub.revision, std::string("abc"));
    const hub::HubSettings s;
    QCOMPARE(errorOf([&] { hub::resolveModelPath("/no/such/folder", s); }), ErrorCode::NotFound);
    QCOMPARE(hub::resolveModelPath(dir.path().toStdString(), s), dir.path().toStdString());
}

void TestHubCache::cacheDirFollowsHuggingFaceHubVariables() {
    EnvGuard env;
    env.set("HF_HUB_CACHE", "/x/hubcache");
    env.set("HF_HOME", "/y/hfhome");
    QCOMPARE(hub::defaultCacheDir(), std::string("/x/hubcache"));
    env.unset("HF_HUB_CACHE");
    QCOMPARE(hub::defaultCacheDir(), std::string("/y/hfhome/hub"));
    env.unset("HF_HOME");
    env.unset("XDG_CACHE_HOME");
    env.set("HOME", "/home/someone");
    QCOMPARE(hub::defaultCacheDir(), std::string("/home/someone/.cache/huggingface/hub"));
}

void TestHubCache::settingsFromEnvironment() {
    EnvGuard env;
    QTemporaryDir home;
    env.set("HF_HOME", home.path().toUtf8());
    env.unset("HF_HUB_CACHE");
    env.unset("HF_TOKEN");
    env.unset("HUGGING_FACE_HUB_TOKEN");
    env.unset("HF_TOKEN_PATH");
    env.set("HF_ENDPOINT", "http://127.0.0.1:9/");
    env.set("HF_HUB_OFFLINE", "1");
    auto s = hub::HubSettings::fromEnvironment();
    QCOMPARE(s.endpoint, std::string("http://127.0.0.1:9"));
    QVERIFY(s.offline);
    QCOMPARE(s.cacheDir, home.path().toStdString() + "/hub");
    QVERIFY(s.token.empty());
    // huggingface-cli login writes $HF_HOME/token.
    writeBytes(home.filePath("token"), "hf_fromfile\n");
    QCOMPARE(hub::HubSettings::fromEnvironment().token, std::string("hf_fromfile"));
    env.set("HF_TOKEN", "hf_fromenv");
    env.set("HF_HUB_OFFLINE", "0");
    s = hub::HubSettings::fromEnvironment();
    QCOMPARE(s.token, std::string("hf_fromenv"));
    QVERIFY(!s.offline);
}

void TestHubCache::modelFilterTakesOnlyWhatAModelNeeds() {
    for (const char* yes :
         {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
          "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
          "model.safetensors", "model-00001-of-00002.safetensors", "model.safetensors.index.json"})
        QVERIFY2(hub::isModelFile(yes), yes);
    for (const char* no :
         {"pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack",
          "model.onnx", "model.gguf", "model.pt", "model.ckpt", "README.md", ".gitattributes",
          "onnx/model.safetensors", "original/config.json"})
        QVERIFY2(!hub::isModelFile(no), no);
    QVERIFY(hub::isDatasetFile("data/train-00000-of-00001.parquet"));
    QVERIFY(hub::isDatasetFile("x.jsonl"));
    QVERIFY(hub::isDatasetFile("a/b.csv"));
    QVERIFY(!hub::isDatasetFile("README.md"));
    QVERIFY(!hub::isDatasetFile("script.py"));
}

void TestHubCache::unsafeRelativePathsAreRefused() {
    for (const char* bad :
         {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "..", "a\\b", "a\nb"})
        QVERIFY2(errorOf([&] { hub::checkRelativePath(bad); }) == ErrorCode::InvalidFormat, bad);
    for (const char* good : {"config.json", "data/train.parquet", "a/b/c.txt", "..x", "x.."})
        QVERIFY2(errorOf([&] { hub::checkRelativePath(good); }) == ErrorCode::Ok, good);
}

void TestHubCache::sha256MatchesKnownVectors() {
    // FIPS 180-2 examples.
    QCOMPARE(hub::sha256Hex("", 0),
             std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(hub::sha256Hex("abc", 3),
             std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    QCOMPARE(hub::sha256Hex(two.data(), two.size()),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    QTemporaryDir dir;
    writeBytes(dir.filePath("million-a"), QByteArray(1000000, 'a'));
    int64_t seen = 0;
    QCOMPARE(hub::sha256File(dir.filePath("million-a").toStdString(),
                             [&](int64_t bytes) { seen = bytes; }),
             std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    QCOMPARE(seen, int64_t(1000000));
}

void TestHubCache::sha256MatchesPythonHashlib() {
    QTemporaryDir dir;
    QStringList files;
    for (int size : {1, 63, 64, 65, 4095, (4 << 20) + 17}) { // around block and buffer edges
        const QString f = dir.filePath(QStringLiteral("f%1").arg(size));
        writeBytes(f, patternBytes(size, uint32_t(size)));
        files << f;
    }
    QProcess py;
    py.start("/usr/bin/python3",
             QStringList{"-c", "import hashlib,sys\nfor f in sys.argv[1:]: "
                               "print(hashlib.sha256(open(f,'rb').read()).hexdigest())"} +
                 files);
    QVERIFY(py.waitForFinished(60000));
    const QStringList want =
        QString::fromLatin1(py.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(want.size(), files.size());
    for (int i = 0; i < files.size(); ++i)
        QCOMPARE(QString::fromStdString(hub::sha256File(files[i].toStdString())), want[i]);
}

void TestHubCache::findsACacheWrittenByHuggingFaceHub() {
    // The layout huggingface_hub leaves: blobs named by sha256 (LFS) or git blob id, relative
    // symlinks in snapshots/<commit>/, refs/<revision> holding the commit without a newline.
    QTemporaryDir cache;
    const QString repo = cache.path() + "/models--org--pythonmade";
    const QString commit(40, QChar('e'));
    const QByteArray config = "{\"model_type\": \"llama\"}";
    const QByteArray weights = patternBytes(9000, 3);
    writeBytes(repo + "/blobs/" + gitBlobIdOf(config), config);
    writeBytes(repo + "/blobs/" + sha256Of(weights), weights);
    QVERIFY(QDir().mkpath(repo + "/snapshots/" + commit));
    std::filesystem::create_symlink("../../blobs/" + gitBlobIdOf(config).toStdString(),
                                    (repo + "/snapshots/" + commit + "/config.json").toStdString());
    std::filesystem::create_symlink(
        "../../blobs/" + sha256Of(weights).toStdString(),
        (repo + "/snapshots/" + commit + "/model.safetensors").toStdString());
    writeBytes(repo + "/refs/main", commit.toLatin1());
    writeBytes(repo + "/refs/refs/pr/1", commit.toLatin1()); // how a "refs/pr/1" revision is kept

    hub::HubSettings s;
    s.cacheDir = cache.path().toStdString();
    s.offline = true;
    s.endpoint = "http://127.0.0.1:1"; // never contacted
    const std::string snap = (repo + "/snapshots/" + commit).toStdString();
    QCOMPARE(hub::resolveModelPath("org/pythonmade", s), snap);
    QCOMPARE(hub::resolveModelPath("org/pythonmade@refs/pr/1", s), snap);
    QCOMPARE(hub::resolveModelPath("org/pythonmade@" + commit.toStdString(), s), snap);
    const auto result = hub::downloadRepo(hub::parseRepoId("org/pythonmade"), s);
    QCOMPARE(result.files, (std::vector<std::string>{"config.json", "model.safetensors"}));
    QCOMPARE(result.commit, commit.toStdString());
    QVERIFY(!hub::cachedSnapshot(hub::parseRepoId("org/pythonmade@v2"), s.cacheDir));
    QCOMPARE(errorOf([&] { hub::resolveModelPath("org/pythonmade@v2", s); }), ErrorCode::NotFound);
    { // Settings built field by field (cache folder left empty) use the default cache.
        EnvGuard env;
        env.set("HF_HUB_CACHE", cache.path().toUtf8());
        hub::HubSettings bare;
        bare.offline = true;
        QCOMPARE(hub::resolveModelPath("org/pythonmade", bare), snap);
    }
    QVERIFY(hub::snapshotHasFile(repo.toStdString(), commit.toStdString(), "config.json"));
    QVERIFY(!hub::snapshotHasFile(repo.toStdString(), commit.toStdString(), "tokenizer.json"));
}

void TestHubCache::cacheLinkOutsideIsRefused() {
    QTemporaryDir cache, outside;
    writeBytes(outside.filePath("secret"), "secret");
    const QString repo = cache.path() + "/models--org--x";
    const QString commit(40, QChar('d'));
    QVERIFY(QDir().mkpath(repo + "/snapshots/" + commit));
    QVERIFY(
        QFile::link(outside.filePath("secret"), repo + "/snapshots/" + commit + "/config.json"));
    QCOMPARE(errorOf([&] {
                 hub::snapshotHasFile(repo.toStdString(), commit.toStdString(), "config.json");
             }),
             ErrorCode::InvalidFormat);
}

void TestHubCache::urlsAreQuotedLikeHuggingFaceHub() {
    hub::HubSettings s;
    s.endpoint = "https://hub.example";
    const auto ds = hub::parseRepoId("org/ds@refs/convert/parquet", hub::RepoType::Dataset);
    QCOMPARE(hub::apiUrl(s, ds), std::string("https://hub.example/api/datasets/org/ds/revision/"
                                             "refs%2Fconvert%2Fparquet?blobs=true"));
    QCOMPARE(hub::resolveUrl(s, ds, std::string(40, 'a'), "default/train/0000 x.parquet"),
             "https://hub.example/datasets/org/ds/resolve/" + std::string(40, 'a') +
                 "/default/train/0000%20x.parquet");
    const auto model = hub::parseRepoId("org/m");
    QCOMPARE(hub::apiUrl(s, model),
             std::string("https://hub.example/api/models/org/m/revision/main?blobs=true"));
    QCOMPARE(hub::resolveUrl(s, model, "c", "config.json"),
             std::string("https://hub.example/org/m/resolve/c/config.json"));
}

void TestHubCache::listingJsonIsValidated() {
    const auto id = hub::parseRepoId("org/m");
    const std::string sha(40, 'f');
    const auto info = hub::parseRepoInfoJson(
        R"({"sha": ")" + sha +
            R"(", "gated": "manual", "siblings": [{"rfilename": "config.json", "size": 12,
             "blobId": "aaaa"}, {"rfilename": "model.safetensors", "size": 99, "blobId": "bbbb",
             "lfs": {"sha256": "cafe", "size": 1000, "pointerSize": 134}}]})",
        id, "test");
    QCOMPARE(info.commit, sha);
    QVERIFY(info.gated);
    QCOMPARE(int(info.files.size()), 2);
    QCOMPARE(info.files[0].blobName(), std::string("aaaa"));
    QCOMPARE(info.files[1].blobName(), std::string("cafe"));
    QCOMPARE(info.files[1].size, int64_t(1000));
    for (const std::string& bad : std::vector<std::string>{
             "", "[]", "{\"sha\": 1, \"siblings\": []}", "{\"sha\": \"abc\", \"siblings\": []}",
             "{\"sha\": \"" + sha + "\"}", "{\"sha\": \"" + sha + "\", \"siblings\": [{}]}",
             "{\"sha\": \"../../../../etc/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"siblings\": []}"})
        QVERIFY2(errorOf([&] { hub::parseRepoInfoJson(bad, id, "test"); }) ==
                     ErrorCode::InvalidFormat,
                 bad.c_str());
}

QTEST_GUILESS_MAIN(TestHubCache)
#include "test_hub_cache.moc"
