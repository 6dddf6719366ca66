// Open published SAE and the Report tab, offscreen: the dialog refuses bad input on the page;
// importing a SAELens folder (written here, on the aidreams260k fixture model) produces an
// analysed run; every export format writes files that parse; the PDF has pages and the charts;
// a failed export leaves the previous file alone; `--screenshot` shows each wizard page.
#include "bridge/engine_bridge.h"
#include "dialogs/open_sae_dialog.h"
#include "mistudio/report.h"
#include "pdf/report_document.h"
#include "test_support.h"
#include "windows/main_window.h"
#include "windows/report_panel.h"
#include "windows/screenshot_tour.h"

#include <QComboBox>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QtEndian>
#include <QtTest>
#include <cmath>

using namespace mistudio;
using namespace mistudio::ui;

namespace {

constexpr const char* kModel = "fixtures/models/aidreams260k";
constexpr const char* kHook = "blocks.2.hook_resid_post";
constexpr int kDIn = 64, kDSae = 96;

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

/// A ReLU SAE in SAELens format, written byte by byte (the safetensors layout: 8-byte header
/// length, JSON header, little-endian fp32 data) so the test does not use the code it checks.
void writeSaeLensFolder(const QString& dir) {
    QVERIFY(QDir().mkpath(dir));
    QRandomGenerator rng(7);
    auto normal = [&] { // Box-Muller
        const double u = std::max(rng.generateDouble(), 1e-12), v = rng.generateDouble();
        return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
    };
    std::vector<float> wEnc(kDIn * kDSae), bEnc(kDSae), wDec(kDSae * kDIn), bDec(kDIn, 0.f);
    for (auto& w : wEnc)
        w = float(normal() * 0.2);
    for (auto& b : bEnc)
        b = float(-rng.generateDouble() * 2);
    for (int f = 0; f < kDSae; ++f) {
        double norm = 0;
        for (int d = 0; d < kDIn; ++d)
            norm += std::pow(wDec[f * kDIn + d] = float(normal()), 2);
        for (int d = 0; d < kDIn; ++d)
            wDec[f * kDIn + d] = float(wDec[f * kDIn + d] / std::sqrt(norm));
    }
    const std::vector<std::tuple<QString, QJsonArray, const std::vector<float>*>> tensors = {
        {"W_enc", QJsonArray{kDIn, kDSae}, &wEnc},
        {"b_enc", QJsonArray{kDSae}, &bEnc},
        {"W_dec", QJsonArray{kDSae, kDIn}, &wDec},
        {"b_dec", QJsonArray{kDIn}, &bDec}};
    QJsonObject header;
    QByteArray data;
    for (const auto& [name, shape, values] : tensors) {
        const qint64 begin = data.size();
        data.append(reinterpret_cast<const char*>(values->data()), qsizetype(values->size() * 4));
        header[name] = QJsonObject{{"dtype", "F32"},
                                   {"shape", shape},
                                   {"data_offsets", QJsonArray{begin, qint64(data.size())}}};
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json.append(' ');
    QByteArray file(8, '\0');
    qToLittleEndian<quint64>(quint64(json.size()), file.data());
    writeBytes(dir + "/sae_weights.safetensors", file + json + data);
    const QJsonObject cfg{{"architecture", "standard"},
                          {"d_in", kDIn},
                          {"d_sae", kDSae},
                          {"dtype", "float32"},
                          {"device", "cpu"},
                          {"model_name", "aidreams260k"},
                          {"hook_name", kHook},
                          {"hook_layer", 2},
                          {"activation_fn_str", "relu"},
                          {"apply_b_dec_to_input", true},
                          {"normalize_activations", "none"},
                          {"context_size", 128},
                          {"prepend_bos", true}};
    writeBytes(dir + "/cfg.json", QJsonDocument(cfg).toJson());
}

/// Number of CSV records after the header (quoted fields may hold commas, quotes, newlines).
int csvRecords(const QByteArray& csv, QByteArray* header) {
    int records = 0;
    bool quoted = false;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < csv.size(); ++i) {
        if (csv[i] == '"')
            quoted = !quoted;
        else if (csv[i] == '\n' && !quoted) {
            if (records == 0 && header->isEmpty())
                *header = csv.mid(lineStart, i - lineStart);
            else
                ++records;
            lineStart = i + 1;
        }
    }
    return records;
}

} // namespace

class TestReports : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void openSaeDialogChecksInputOnThePage();
    void importingAFolderSaeProducesAnAnalysedRun();
    void everyExportExistsAndParses();
    void pdfHasPagesAndTheCharts();
    void failedExportLeavesThePreviousFile();
    void screenshotsShowEachWizardPage();

private:
    QTemporaryDir m_dir;
    QString m_saeDir, m_modelDir, m_corpus, m_project;
    std::unique_ptr<EngineBridge> m_bridge;
    std::unique_ptr<MainWindow> m_window;
    qint64 m_runId = -1;
};

void TestReports::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_saeDir = m_dir.filePath("published/aidreams-res-2");
    writeSaeLensFolder(m_saeDir);
    m_project = m_dir.filePath("p.mistudio");
}

void TestReports::openSaeDialogChecksInputOnThePage() {
    OpenSaeDialog dialog;
    dialog.show();
    QSignalSpy requested(&dialog, &OpenSaeDialog::importRequested);
    auto tryAccept = [&](const OpenSaeRequest& r) {
        dialog.setRequest(r);
        dialog.accept();
        return dialog.errorText();
    };
    OpenSaeRequest r;
    QVERIFY(tryAccept(r).contains("Enter the SAE"));
    r.sae = m_dir.filePath("no-such-sae");
    QVERIFY(tryAccept(r).contains("does not exist"));
    r.sae = m_dir.path(); // a folder, but no cfg.json
    QVERIFY(tryAccept(r).contains("no cfg.json"));
    r.sae = m_saeDir;
    QVERIFY(tryAccept(r).contains("Enter the model"));
    r.model = m_dir.filePath("no-such-model");
    QVERIFY2(tryAccept(r).contains("model folder"), qPrintable(dialog.errorText()));
    r.model = QStringLiteral("EleutherAI/pythia-70m"); // a Hub id is resolved by the job
    QVERIFY(tryAccept(r).contains("text to analyse"));
    r.dataset = m_dir.filePath("missing.jsonl");
    QVERIFY(tryAccept(r).contains("does not exist"));
    QCOMPARE(requested.size(), 0);
    QVERIFY(dialog.isVisible());
    r.dataset = QStringLiteral("hf:NeelNanda/pile-10k");
    QVERIFY(tryAccept(r).isEmpty());
    QCOMPARE(requested.size(), 1);
    QVERIFY(!dialog.isVisible());
}

void TestReports::importingAFolderSaeProducesAnAnalysedRun() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    m_modelDir = QString::fromStdString(test::fixture(kModel));
    m_corpus = m_modelDir + "/corpus.jsonl";
    m_bridge = std::make_unique<EngineBridge>();
    m_window = std::make_unique<MainWindow>(m_bridge.get());
    QVERIFY(m_window->openProject(m_project, true));
    QSignalSpy finished(m_bridge.get(), &EngineBridge::jobFinished);
    OpenSaeRequest r;
    r.sae = m_saeDir;
    r.model = m_modelDir;
    r.dataset = m_corpus;
    r.tokens = 20'000;
    QVERIFY(r.check().isEmpty());
    const quint64 job = m_window->importPublishedSae(r);
    QVERIFY(job > 0);
    QVERIFY(finished.wait(300'000));
    QCOMPARE(finished.first().at(0).toULongLong(), job);
    QVERIFY2(finished.first().at(1).toBool(), qPrintable(finished.first().at(2).toString()));

    const auto runs = m_window->project()->runs();
    QCOMPARE(int(runs.size()), 1);
    QCOMPARE(runs[0].hook, std::string(kHook));
    QCOMPARE(runs[0].dSae, int64_t(kDSae));
    QCOMPARE(runs[0].architecture, std::string("relu"));
    QCOMPARE(runs[0].status, RunStatus::Done);
    QCOMPARE(m_window->project()->featureCount(runs[0].id), int64_t(kDSae));
    // The SAE was copied into the project's assets, byte for byte.
    const QString copied =
        QString::fromStdString(m_window->project()->resolveAssetPath(runs[0].saePath));
    QCOMPARE(readAll(copied + "/sae_weights.safetensors"),
             readAll(m_saeDir + "/sae_weights.safetensors"));
    m_runId = runs[0].id;
    // The Report tab offers the new run.
    QTRY_COMPARE(m_window->reportPanel()->runBox()->count(), 1);
}

void TestReports::everyExportExistsAndParses() {
    if (m_runId < 0)
        QSKIP("needs the imported run (fixture missing)");
    ReportPanel* panel = m_window->reportPanel();
    const QString out = m_dir.filePath("exports");
    QVERIFY(QDir().mkpath(out));
    const RunRecord run = m_window->project()->run(m_runId);
    for (int i = 0; i < panel->formatBox()->count(); ++i) {
        panel->formatBox()->setCurrentIndex(i);
        const QString format = panel->formatBox()->currentData().toString();
        const ExportFormat f = exportFormats().value(i);
        const QString dest =
            out + "/run." + (f.extension.isEmpty() ? format + "-folder" : f.extension);
        panel->destinationEdit()->setText(dest);
        QSignalSpy done(panel, &ReportPanel::exportFinished);
        QVERIFY(panel->startExport() > 0);
        QVERIFY(done.wait(120'000));
        QVERIFY2(done.first().at(0).toBool(),
                 qPrintable(format + ": " + done.first().at(2).toString()));
        if (format == "html") {
            const QString html = QString::fromUtf8(readAll(dest));
            QVERIFY(html.startsWith("<!DOCTYPE html>", Qt::CaseInsensitive));
            QVERIFY(html.contains(QString::fromStdString(run.name)));
            QVERIFY(html.contains(kHook));
            QVERIFY(html.contains("<svg"));
        } else if (format == "pdf") {
            QVERIFY(readAll(dest).startsWith("%PDF-"));
        } else if (format == "csv") {
            QByteArray header;
            QCOMPARE(csvRecords(readAll(dest), &header), kDSae);
            QCOMPARE(header, QByteArray("index,density,max_activation,mean_activation,label,flags,"
                                        "top_tokens,notes,tags"));
        } else if (format == "json") {
            QJsonParseError error;
            const QJsonDocument doc = QJsonDocument::fromJson(readAll(dest), &error);
            QCOMPARE(error.error, QJsonParseError::NoError);
            QCOMPARE(doc.array().size(), kDSae);
        } else if (format == "neuronpedia") {
            // batch-N.json hold the live features; skipped_indexes.json the dead ones.
            int features = 0;
            for (const QString& file : QDir(dest).entryList({"batch-*.json"}, QDir::Files)) {
                QJsonParseError error;
                const QJsonDocument doc =
                    QJsonDocument::fromJson(readAll(dest + "/" + file), &error);
                QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(file));
                QCOMPARE(doc["layer"].toString(), QString(kHook));
                features += int(doc["features"].toArray().size());
            }
            const QJsonDocument skipped =
                QJsonDocument::fromJson(readAll(dest + "/skipped_indexes.json"));
            QVERIFY(skipped["skipped_indexes"].isArray());
            QCOMPARE(features + int(skipped["skipped_indexes"].toArray().size()), kDSae);
            QVERIFY(features > 0);
        } else if (format == "saelens") {
            QCOMPARE(readAll(dest + "/sae_weights.safetensors"),
                     readAll(m_saeDir + "/sae_weights.safetensors"));
            QCOMPARE(QJsonDocument::fromJson(readAll(dest + "/cfg.json"))["hook_name"].toString(),
                     QString(kHook));
        } else {
            QFAIL(qPrintable("untested format " + format));
        }
    }
    // Atomic writes: nothing but the exports themselves is left in the folder.
    const QStringList left =
        QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    QCOMPARE(left.size(), panel->formatBox()->count());
    for (const QString& name : left)
        QVERIFY2(name.startsWith("run."), qPrintable(name));
}

void TestReports::pdfHasPagesAndTheCharts() {
    if (m_runId < 0)
        QSKIP("needs the imported run (fixture missing)");
    const std::string html = renderHtmlReport(*m_window->project(), m_runId, ReportOptions{});
    const int svgCharts = int(QString::fromStdString(html).count("<svg"));
    QVERIFY(svgCharts >= 1);
    const ReportDocumentParts parts = prepareReportDocument(QString::fromStdString(html), 2.0);
    QCOMPARE(int(parts.charts.size()), svgCharts);
    QVERIFY(!parts.html.contains("<svg"));
    for (const auto& [url, image] : parts.charts) {
        QVERIFY(!image.isNull());
        QVERIFY(parts.html.contains(url.toString()));
        // Drawn, not blank: some pixels differ from the white background.
        bool ink = false;
        for (int y = 0; y < image.height() && !ink; y += 3)
            for (int x = 0; x < image.width() && !ink; x += 3)
                ink = image.pixel(x, y) != qRgb(255, 255, 255);
        QVERIFY(ink);
    }
    const QString pdf = m_dir.filePath("report.pdf");
    const int pages = writeReportPdf(QString::fromStdString(html), pdf);
    QVERIFY(pages >= 1);
    const QByteArray bytes = readAll(pdf);
    QVERIFY(bytes.startsWith("%PDF-"));
    static const QRegularExpression page(R"(/Type\s*/Page[^s])");
    QCOMPARE(int(QString::fromLatin1(bytes).count(page)), pages);
    static const QRegularExpression imageObject(R"(/Subtype\s*/Image)");
    QVERIFY(QString::fromLatin1(bytes).count(imageObject) >= svgCharts);
}

void TestReports::failedExportLeavesThePreviousFile() {
    if (m_runId < 0)
        QSKIP("needs the imported run (fixture missing)");
    const QString dest = m_dir.filePath("keep.pdf");
    writeBytes(dest, "GOOD");
    EngineBridge bridge;
    QSignalSpy finished(&bridge, &EngineBridge::jobFinished);
    for (const QString format : {"pdf", "html", "csv"}) {
        bridge.submit("export", exportJob(m_project, 999, format, dest)); // no run 999
        QVERIFY(finished.wait(60'000));
        QVERIFY(!finished.takeFirst().at(1).toBool());
        QCOMPARE(readAll(dest), QByteArray("GOOD"));
    }
    // A PDF into a folder that does not exist: an error in words, no file.
    bool threw = false;
    try {
        writeReportPdf("<p>x</p>", m_dir.filePath("no/such/dir/x.pdf"));
    } catch (const std::exception& e) {
        threw = QString::fromUtf8(e.what()).contains("cannot write the PDF");
    }
    QVERIFY(threw);
}

void TestReports::screenshotsShowEachWizardPage() {
    if (m_runId < 0)
        QSKIP("needs the imported run (fixture missing)");
    const QString dir = m_dir.filePath("shots");
    QString error;
    const QStringList files = takeScreenshots(*m_window, dir, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QStringList names;
    for (const QString& f : files) {
        names << QFileInfo(f).completeBaseName();
        const QImage image(f);
        QVERIFY2(!image.isNull() && image.width() > 100 && image.height() > 100, qPrintable(f));
    }
    for (const char* expected :
         {"main_window", "dashboard", "features", "report", "wizard_model", "wizard_precision",
          "wizard_hook", "wizard_dataset", "wizard_sae", "wizard_review", "open_sae", "settings"})
        QVERIFY2(names.contains(expected), expected);
}

QTEST_MAIN(TestReports)
#include "test_reports.moc"
