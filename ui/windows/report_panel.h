#pragma once
// The Report tab: pick a run, a format (HTML, PDF, CSV, JSON, Neuronpedia, SAELens) and a
// destination; the export runs as an engine job (never on the GUI thread). The tab previews the
// run's HTML report, charts included, as the PDF will show it (rendered on a worker thread).

#include "mistudio/engine.h"
#include "mistudio/project.h"
#include "pdf/report_document.h"

#include <QFutureWatcher>
#include <QSet>
#include <QString>
#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTextBrowser;

namespace mistudio::ui {

class EngineBridge;

/// One export format of the dialog: the core's format name ("pdf" is rendered with Qt), its
/// label, and whether it writes a folder rather than a file.
struct ExportFormat {
    QString id;
    QString label;
    QString extension; // empty for folders
};
const QList<ExportFormat>& exportFormats();

/// The engine job that writes one export of `runId` (opens the project by path: the job never
/// touches the GUI's connection). "pdf" renders the HTML report with Qt; the rest is the core's
/// exportRun.
JobFunction exportJob(const QString& projectPath, qint64 runId, const QString& format,
                      const QString& destination);

class ReportPanel : public QWidget {
    Q_OBJECT
public:
    ReportPanel(EngineBridge* bridge, QWidget* parent = nullptr);

    /// The project whose runs are offered (null: none) and the run to select (-1: the last).
    void setProject(std::shared_ptr<Project> project, qint64 runId = -1);
    void selectRun(qint64 runId);
    /// Starts the export chosen on the tab; returns the job id (0 with a message when the input
    /// is incomplete).
    quint64 startExport();
    /// A destination path for the chosen run and format beside the project.
    QString suggestedDestination() const;
    /// Whether `jobId` is one of this tab's exports.
    bool ownsJob(quint64 jobId) const { return m_ownJobs.contains(jobId); }
    /// True while the preview is being rendered (previewReady follows).
    bool previewPending() const { return m_previewWatcher->isRunning(); }

    QComboBox* runBox() const { return m_runs; }
    QComboBox* formatBox() const { return m_format; }
    QLineEdit* destinationEdit() const { return m_destination; }
    QLabel* statusLabel() const { return m_status; }
    QTextBrowser* preview() const { return m_preview; }

Q_SIGNALS:
    void exportFinished(bool ok, const QString& destination, const QString& error);
    void previewReady();

private:
    void refreshPreview();
    void onJobFinished(quint64 jobId, bool ok, const QString& error);

    EngineBridge* m_bridge;
    std::shared_ptr<Project> m_project;
    QComboBox* m_runs = nullptr;
    QComboBox* m_format = nullptr;
    QLineEdit* m_destination = nullptr;
    QPushButton* m_export = nullptr;
    QLabel* m_status = nullptr;
    QTextBrowser* m_preview = nullptr;
    quint64 m_exportJob = 0;
    QString m_exportDestination;
    QSet<quint64> m_ownJobs;
    QFutureWatcher<ReportDocumentParts>* m_previewWatcher = nullptr;
    qint64 m_pendingPreviewRun = -1; // asked for while another preview was being rendered
};

} // namespace mistudio::ui
