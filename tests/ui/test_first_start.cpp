// The default a new user meets: with a (loopback) Hub answering, the wizard opens pre-filled with
// examples/quick-look.json; offline (HF_HUB_OFFLINE=1, or nothing answering) the studio says so and
// offers the models and datasets of the Hugging Face cache.
#include "bridge/engine_bridge.h"
#include "dialogs/new_run_wizard.h"
#include "dialogs/wizard_pages.h"
#include "fake_hub_server.h"
#include "windows/first_start.h"
#include "windows/main_window.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStatusBar>
#include <QtTest>

using namespace mistudio;
using namespace mistudio::ui;

namespace {

void writeFile(const QString& path, const QByteArray& bytes) {
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

/// A cached repo in huggingface_hub's layout (refs/main -> a snapshot with one file).
void cacheRepo(const QString& cache, const QString& folder) {
    const QString commit(40, QLatin1Char('a'));
    writeFile(cache + "/" + folder + "/refs/main", commit.toUtf8());
    writeFile(cache + "/" + folder + "/snapshots/" + commit + "/config.json", "{}");
}

QJsonObject quickLookJson() {
    QFile f(qEnvironmentVariable("MISTUDIO_SOURCE_DIR") + "/examples/quick-look.json");
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class TestFirstStart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void quickLookPlanIsTheExampleFile();
    void onlineOpensTheDemoWizard();
    void offlineModeOffersTheCache();
    void unreachableHubIsOfflineToo();

private:
    /// Runs firstStart() on a fresh window and returns the wizard it opened (null on timeout).
    NewRunWizard* runFirstStart(bool* online);

    QTemporaryDir m_dir;
    QString m_cache;
    std::unique_ptr<EngineBridge> m_bridge;
    std::unique_ptr<MainWindow> m_window;
};

void TestFirstStart::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    for (const char* proxy : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"})
        qunsetenv(proxy);
    m_cache = m_dir.filePath("hf-cache");
    cacheRepo(m_cache, "models--gpt2");
    cacheRepo(m_cache, "models--EleutherAI--pythia-70m");
    cacheRepo(m_cache, "datasets--NeelNanda--pile-10k");
    qputenv("HF_HUB_CACHE", m_cache.toUtf8());
}

void TestFirstStart::init() {
    qunsetenv("HF_HUB_OFFLINE");
    m_window.reset();
    m_bridge = std::make_unique<EngineBridge>();
    m_window = std::make_unique<MainWindow>(m_bridge.get());
    QVERIFY(
        m_window->openProject(m_dir.filePath(QTest::currentTestFunction()) + ".mistudio", true));
}

NewRunWizard* TestFirstStart::runFirstStart(bool* online) {
    QSignalSpy finished(m_window.get(), &MainWindow::firstStartFinished);
    m_window->firstStart();
    if (!finished.wait(30'000))
        return nullptr;
    *online = finished.first().at(0).toBool();
    return m_window->findChild<NewRunWizard*>(QStringLiteral("firstStartWizard"));
}

void TestFirstStart::quickLookPlanIsTheExampleFile() {
    const QJsonObject j = quickLookJson();
    QVERIFY(!j.isEmpty());
    const RunPlan plan = quickLookPlan();
    QCOMPARE(plan.model, j["model"].toString());
    QCOMPARE(plan.hooks, QStringList{j["hook"].toString()});
    QCOMPARE(plan.dataset, j["dataset"].toString());
    QCOMPARE(plan.tokens, j["tokens"].toInteger());
    QCOMPARE(plan.contextLength, j["context_length"].toInt());
    QCOMPARE(plan.k, j["sae"]["k"].toInt());
    QCOMPARE(plan.expansionFactor, j["sae"]["expansion_factor"].toInt());
    QCOMPARE(plan.batchSize, j["sae"]["batch_size"].toInt());
    QCOMPARE(plan.architecture, j["sae"]["architecture"].toString());
    // What the wizard would start is the file itself, key for key.
    const QJsonObject back = plan.toRunJson();
    for (const char* key :
         {"model", "hook", "dataset", "tokens", "context_length", "quant", "device", "seed"})
        QVERIFY2(back[QLatin1String(key)] == j[QLatin1String(key)], key);
}

void TestFirstStart::onlineOpensTheDemoWizard() {
    test::FakeHubServer server;
    server.writeConfig(QJsonObject{{"repos", QJsonObject{}}});
    QVERIFY(server.start());
    qputenv("HF_ENDPOINT", server.endpoint().toUtf8());
    bool online = false;
    NewRunWizard* wizard = runFirstStart(&online);
    qunsetenv("HF_ENDPOINT");
    QVERIFY(wizard);
    QVERIFY(online);
    const QJsonObject j = quickLookJson();
    QCOMPARE(wizard->plan().model, j["model"].toString());
    QCOMPARE(wizard->plan().dataset, j["dataset"].toString());
    QCOMPARE(wizard->plan().tokens, j["tokens"].toInteger());
    QCOMPARE(wizard->modelPage()->findChild<QLineEdit*>()->text(), j["model"].toString());
    QVERIFY(wizard->modelPage()->banner()->text().contains("reachable"));
    QVERIFY(!wizard->findChild<QComboBox*>(QStringLiteral("cachedModels")));
    // The probe asked the loopback Hub for the demo model.
    QCOMPARE(server.requests().size(), 1);
    QVERIFY(server.requests().first()["path"].toString().startsWith(
        "/api/models/" + j["model"].toString() + "/revision/main"));
}

void TestFirstStart::offlineModeOffersTheCache() {
    test::FakeHubServer server;
    server.writeConfig(QJsonObject{{"repos", QJsonObject{}}});
    QVERIFY(server.start());
    qputenv("HF_ENDPOINT", server.endpoint().toUtf8());
    qputenv("HF_HUB_OFFLINE", "1");
    bool online = true;
    NewRunWizard* wizard = runFirstStart(&online);
    qunsetenv("HF_ENDPOINT");
    QVERIFY(wizard);
    QVERIFY(!online);
    QCOMPARE(server.requests().size(), 0); // HF_HUB_OFFLINE: not even asked
    QVERIFY(m_window->statusBar()->currentMessage().contains("Offline"));
    QVERIFY(m_window->statusBar()->currentMessage().contains("HF_HUB_OFFLINE"));
    QVERIFY(wizard->modelPage()->banner()->text().contains("2 model(s), 1 dataset(s)"));
    QVERIFY(wizard->plan().model.isEmpty()); // the demo needs the Hub
    auto* models = wizard->findChild<QComboBox*>(QStringLiteral("cachedModels"));
    QVERIFY(models);
    QStringList items;
    for (int i = 1; i < models->count(); ++i)
        items << models->itemText(i);
    QCOMPARE(items, (QStringList{"EleutherAI/pythia-70m", "gpt2"}));
    Q_EMIT models->activated(2);
    QCOMPARE(wizard->modelPage()->findChild<QLineEdit*>()->text(), QStringLiteral("gpt2"));
    auto* datasets = wizard->findChild<QComboBox*>(QStringLiteral("cachedDatasets"));
    QVERIFY(datasets);
    QCOMPARE(datasets->count(), 2);
    QCOMPARE(datasets->itemText(1), QStringLiteral("hf:NeelNanda/pile-10k"));
}

void TestFirstStart::unreachableHubIsOfflineToo() {
    qputenv("HF_ENDPOINT", "http://127.0.0.1:1"); // nothing listens there
    bool online = true;
    NewRunWizard* wizard = runFirstStart(&online);
    qunsetenv("HF_ENDPOINT");
    QVERIFY(wizard);
    QVERIFY(!online);
    QVERIFY(m_window->statusBar()->currentMessage().contains("no answer from http://127.0.0.1:1"));
    QVERIFY(wizard->findChild<QComboBox*>(QStringLiteral("cachedModels")));
}

QTEST_MAIN(TestFirstStart)
#include "test_first_start.moc"
