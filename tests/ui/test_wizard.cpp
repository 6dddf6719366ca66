// New-run wizard: each page refuses invalid input with a message; a full pass over the
// aidreams260k fixture produces the RUN.json the CLI reads.
#include "dialogs/new_run_wizard.h"
#include "dialogs/wizard_pages.h"
#include "models/run_plan.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace mistudio::ui;

class TestWizard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void planChecksSayWhatToFix();
    void planJsonHasTheRunKeys();
    void fullPassOverTheFixture();
    void unknownModelIsExplainedOnItsPage();
};

void TestWizard::planChecksSayWhatToFix() {
    RunPlan p;
    QVERIFY(p.checkModel().contains(QStringLiteral("model id")));
    p.model = QStringLiteral("x");
    p.family = QStringLiteral("llama");
    p.nLayers = 4;
    p.dModel = 64;
    QVERIFY(p.checkModel().isEmpty());
    p.hooks = {QStringLiteral("blocks.7.hook_resid_post")};
    QVERIFY(p.checkHooks().contains(QStringLiteral("only 4 layers")));
    p.hooks = {QStringLiteral("blocks.2.hook_resid_posts")};
    QVERIFY(p.checkHooks().contains(QStringLiteral("not a hook name")));
    p.hooks = {QStringLiteral("blocks.2.hook_resid_post")};
    QVERIFY(p.checkHooks().isEmpty());
    p.dataset = QStringLiteral("/no/such/file.jsonl");
    QVERIFY(p.checkDataset().contains(QStringLiteral("does not exist")));
    p.k = 10'000;
    QVERIFY(p.checkSae().contains(QStringLiteral("k must be")));
}

void TestWizard::planJsonHasTheRunKeys() {
    RunPlan p;
    p.model = QStringLiteral("EleutherAI/pythia-70m");
    p.hooks = {QStringLiteral("blocks.3.hook_resid_post")};
    p.dataset = QStringLiteral("hf:NeelNanda/pile-10k");
    p.architecture = QStringLiteral("topk");
    p.k = 32;
    const QJsonObject j = p.toRunJson();
    for (const char* key :
         {"model", "hook", "dataset", "tokens", "context_length", "quant", "device", "seed", "sae"})
        QVERIFY2(j.contains(QLatin1String(key)), key);
    QCOMPARE(j.value(QStringLiteral("hook")).toString(),
             QStringLiteral("blocks.3.hook_resid_post"));
    QCOMPARE(j.value(QStringLiteral("sae")).toObject().value(QStringLiteral("k")).toInt(), 32);
    QVERIFY(!j.value(QStringLiteral("sae")).toObject().contains(QStringLiteral("l1_coefficient")));
}

void TestWizard::fullPassOverTheFixture() {
    MISTUDIO_REQUIRE_FIXTURE("fixtures/models/aidreams260k");
    const QString model =
        QString::fromStdString(mistudio::test::fixture("fixtures/models/aidreams260k"));
    NewRunWizard wizard(QStringLiteral("/tmp/demo.mistudio"));
    wizard.show();
    QSignalSpy looked(wizard.modelPage(), &ModelPage::lookupFinished);
    wizard.modelPage()->findChild<QLineEdit*>()->setText(model);
    wizard.modelPage()->lookUp();
    QVERIFY(looked.wait(10000));
    QVERIFY(looked.first().at(0).toBool());
    QCOMPARE(wizard.plan().nLayers, 4);
    QCOMPARE(wizard.plan().dModel, 64);
    wizard.next();
    QCOMPARE(wizard.currentId(), int(NewRunWizard::Precision));
    bool predicted = false;
    for (auto* l : wizard.currentPage()->findChildren<QLabel*>())
        predicted = predicted || l->text().contains(QStringLiteral("weights"));
    QVERIFY(predicted);
    wizard.next();
    QCOMPARE(wizard.currentId(), int(NewRunWizard::Hook));
    wizard.next(); // a middle layer is preselected
    QCOMPARE(wizard.plan().hooks, QStringList{QStringLiteral("blocks.2.hook_resid_post")});
    auto edits = wizard.currentPage()->findChildren<QLineEdit*>();
    edits.at(0)->setText(model + QStringLiteral("/corpus.jsonl"));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(NewRunWizard::Sae));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(NewRunWizard::Review));
    const QString json = wizard.currentPage()->findChild<QPlainTextEdit*>()->toPlainText();
    QVERIFY(json.contains(QStringLiteral("\"blocks.2.hook_resid_post\"")));
    QVERIFY(json.contains(QStringLiteral("corpus.jsonl")));
    // The same run exported as a cluster job: a train RUN.json with an out folder and the scripts.
    QTemporaryDir jobDir;
    auto* review = qobject_cast<ReviewPage*>(wizard.currentPage());
    QVERIFY(review);
    QVERIFY(review->exportClusterJob(jobDir.path()));
    QFile runFile(jobDir.filePath(QStringLiteral("RUN.json")));
    QVERIFY(runFile.open(QIODevice::ReadOnly));
    const QJsonObject exported = QJsonDocument::fromJson(runFile.readAll()).object();
    QCOMPARE(exported.value(QStringLiteral("hook")).toString(),
             QStringLiteral("blocks.2.hook_resid_post"));
    QVERIFY(!exported.value(QStringLiteral("out")).toString().isEmpty());
    QCOMPARE(exported.value(QStringLiteral("device")).toString(), wizard.plan().device);
    QFile sbatch(jobDir.filePath(QStringLiteral("job.sbatch")));
    QVERIFY(sbatch.open(QIODevice::ReadOnly));
    QVERIFY(sbatch.readAll().contains("train"));
    QVERIFY(QFileInfo(jobDir.filePath(QStringLiteral("launch_torchrun.sh"))).isExecutable());

    QSignalSpy started(&wizard, &NewRunWizard::runRequested);
    wizard.accept();
    QCOMPARE(started.size(), 1);
    QCOMPARE(started.first().at(0).toJsonObject().value(QStringLiteral("model")).toString(), model);
}

void TestWizard::unknownModelIsExplainedOnItsPage() {
    NewRunWizard wizard(QStringLiteral("/tmp/demo.mistudio"));
    wizard.show();
    QSignalSpy looked(wizard.modelPage(), &ModelPage::lookupFinished);
    wizard.modelPage()->findChild<QLineEdit*>()->setText(QStringLiteral("/definitely/not/a/model"));
    wizard.modelPage()->lookUp();
    QVERIFY(looked.wait(10000));
    QVERIFY(!looked.first().at(0).toBool());
    wizard.next();
    QCOMPARE(wizard.currentId(), int(NewRunWizard::Model)); // refused on its page
}

QTEST_MAIN(TestWizard)
#include "test_wizard.moc"
