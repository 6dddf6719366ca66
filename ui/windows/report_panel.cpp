#include "windows/report_panel.h"

#include "bridge/engine_bridge.h"
#include "mistudio/report.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace mistudio::ui {

const QList<ExportFormat>& exportFormats() {
    static const QList<ExportFormat> formats = {
        {QStringLiteral("html"), QObject::tr("HTML report (opens offline)"),
         QStringLiteral("html")},
        {QStringLiteral("pdf"), QObject::tr("PDF report (with the charts)"), QStringLiteral("pdf")},
        {QStringLiteral("csv"), QObject::tr("Features as CSV"), QStringLiteral("csv")},
        {QStringLiteral("json"), QObject::tr("Features as JSON"), QStringLiteral("json")},
        {QStringLiteral("neuronpedia"), QObject::tr("Neuronpedia batch files (folder)"), QString()},
        {QStringLiteral("saelens"), QObject::tr("SAELens SAE folder"), QString()},
    };
    return formats;
}

JobFunction exportJob(const QString& projectPath, qint64 runId, const QString& format,
                      const QString& destination) {
    return [path = projectPath.toStdString(), runId, format, destination](JobContext& ctx) {
        ctx.progress("export", 0, 1, "file");
        const Project project = Project::open(path);
        if (format == QLatin1String("pdf")) {
            const std::string html = renderHtmlReport(project, runId, ReportOptions{});
            ctx.throwIfCancelled();
            const int pages = writeReportPdf(QString::fromStdString(html), destination);
            ctx.log(LogLevel::Info, "wrote " + destination.toStdString() + " (" +
                                        std::to_string(pages) + " pages)");
        } else {
            for (const auto& f :
                 exportRun(project, runId, format.toStdString(), destination.toStdString()))
                ctx.log(LogLevel::Info, "wrote " + f);
        }
        ctx.progress("export", 1, 1, "file");
    };
}

ReportPanel::ReportPanel(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge) {
    auto* form = new QFormLayout;
    m_runs = new QComboBox(this);
    m_runs->setObjectName(QStringLiteral("reportRun"));
    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("reportFormat"));
    for (const auto& f : exportFormats())
        m_format->addItem(f.label, f.id);
    m_destination = new QLineEdit(this);
    m_destination->setObjectName(QStringLiteral("reportDestination"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    m_export = new QPushButton(tr("Export"), this);
    m_export->setObjectName(QStringLiteral("reportExport"));
    auto* destRow = new QHBoxLayout;
    destRow->addWidget(m_destination, 1);
    destRow->addWidget(browse);
    destRow->addWidget(m_export);
    form->addRow(tr("Run"), m_runs);
    form->addRow(tr("Format"), m_format);
    form->addRow(tr("Destination"), destRow);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_preview = new QTextBrowser(this);
    m_preview->setObjectName(QStringLiteral("reportPreview"));
    m_preview->setOpenLinks(false);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(m_preview, 1);

    connect(m_runs, &QComboBox::currentIndexChanged, this, [this] {
        m_destination->setText(suggestedDestination());
        refreshPreview();
    });
    connect(m_format, &QComboBox::currentIndexChanged, this,
            [this] { m_destination->setText(suggestedDestination()); });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString ext = exportFormats().value(m_format->currentIndex()).extension;
        const QString path =
            ext.isEmpty()
                ? QFileDialog::getSaveFileName(this, tr("Export folder"), m_destination->text())
                : QFileDialog::getSaveFileName(this, tr("Export to"), m_destination->text(),
                                               QStringLiteral("*.%1").arg(ext));
        if (!path.isEmpty())
            m_destination->setText(path);
    });
    connect(m_export, &QPushButton::clicked, this, &ReportPanel::startExport);
    connect(m_bridge, &EngineBridge::jobFinished, this, &ReportPanel::onJobFinished);
    m_previewWatcher = new QFutureWatcher<ReportDocumentParts>(this);
    connect(m_previewWatcher, &QFutureWatcher<ReportDocumentParts>::finished, this, [this] {
        if (m_pendingPreviewRun >= 0)
            return refreshPreview();
        loadReportDocument(*m_preview->document(), m_previewWatcher->result());
        m_preview->moveCursor(QTextCursor::Start); // a new report starts at its title
        m_preview->verticalScrollBar()->setValue(0);
        Q_EMIT previewReady();
    });
}

void ReportPanel::setProject(std::shared_ptr<Project> project, qint64 runId) {
    m_project = std::move(project);
    const QSignalBlocker block(m_runs);
    m_runs->clear();
    if (m_project)
        for (const RunRecord& r : m_project->runs())
            m_runs->addItem(QStringLiteral("#%1 %2 · %3 · %4")
                                .arg(r.id)
                                .arg(QString::fromStdString(r.name), QString::fromStdString(r.hook),
                                     QString::fromLatin1(runStatusName(r.status))),
                            QVariant::fromValue<qint64>(r.id));
    m_export->setEnabled(m_runs->count() > 0);
    m_status->setText(m_runs->count() ? QString() : tr("No run to report on yet."));
    if (runId < 0 && m_runs->count())
        runId = m_runs->itemData(m_runs->count() - 1).toLongLong();
    selectRun(runId);
}

void ReportPanel::selectRun(qint64 runId) {
    const int index = m_runs->findData(QVariant::fromValue<qint64>(runId));
    {
        const QSignalBlocker block(m_runs);
        m_runs->setCurrentIndex(index);
    }
    m_destination->setText(suggestedDestination());
    refreshPreview();
}

QString ReportPanel::suggestedDestination() const {
    if (!m_project || m_runs->currentIndex() < 0)
        return {};
    const ExportFormat f = exportFormats().value(m_format->currentIndex());
    const QFileInfo project(QString::fromStdString(m_project->path()));
    QString name = QStringLiteral("%1-run%2-%3")
                       .arg(project.completeBaseName())
                       .arg(m_runs->currentData().toLongLong())
                       .arg(f.id);
    if (!f.extension.isEmpty())
        name = QStringLiteral("%1-run%2.%3")
                   .arg(project.completeBaseName())
                   .arg(m_runs->currentData().toLongLong())
                   .arg(f.extension);
    return project.absoluteDir().filePath(name);
}

quint64 ReportPanel::startExport() {
    const QString dest = m_destination->text().trimmed();
    if (!m_project || m_runs->currentIndex() < 0) {
        m_status->setText(tr("Open a project with a run first."));
        return 0;
    }
    if (dest.isEmpty()) {
        m_status->setText(tr("Choose where to write the export."));
        return 0;
    }
    const QString format = m_format->currentData().toString();
    m_exportDestination = dest;
    m_exportJob = m_bridge->submit(tr("export %1").arg(format),
                                   exportJob(QString::fromStdString(m_project->path()),
                                             m_runs->currentData().toLongLong(), format, dest));
    m_ownJobs.insert(m_exportJob);
    m_export->setEnabled(false);
    m_status->setText(tr("Exporting to %1…").arg(dest));
    return m_exportJob;
}

void ReportPanel::refreshPreview() {
    if (!m_project || m_runs->currentIndex() < 0) {
        m_preview->clear();
        return;
    }
    const qint64 runId = m_runs->currentData().toLongLong();
    if (m_previewWatcher->isRunning()) { // one at a time; the latest request wins
        m_pendingPreviewRun = runId;
        return;
    }
    m_pendingPreviewRun = -1;
    m_previewWatcher->setFuture(QtConcurrent::run([path = m_project->path(), runId] {
        try {
            const Project project = Project::open(path);
            return prepareReportDocument(
                QString::fromStdString(renderHtmlReport(project, runId, ReportOptions{})), 1.0);
        } catch (const std::exception& e) { // the run vanished, the project is unreadable...
            ReportDocumentParts parts;
            parts.html = tr("<p>No report preview: %1</p>")
                             .arg(QString::fromStdString(e.what()).toHtmlEscaped());
            return parts;
        }
    }));
}

void ReportPanel::onJobFinished(quint64 jobId, bool ok, const QString& error) {
    if (jobId != m_exportJob)
        return;
    m_exportJob = 0;
    m_export->setEnabled(true);
    m_status->setText(ok ? tr("Exported to %1").arg(m_exportDestination)
                         : tr("Export failed: %1").arg(error));
    Q_EMIT exportFinished(ok, m_exportDestination, error);
}

} // namespace mistudio::ui
