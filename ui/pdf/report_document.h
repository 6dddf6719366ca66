#pragma once
// The HTML report as a Qt text document, for the Report tab's preview and the PDF export.
// QTextDocument does not render SVG, so each inline <svg> chart of the core's HTML report is
// rendered to an image (QSvgRenderer) and referenced by an <img> resource instead: the PDF has the
// same content, charts included. Everything here is reentrant: the PDF is written on an engine
// thread, never on the GUI thread.

#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

class QTextDocument;

namespace mistudio::ui {

struct ReportDocumentParts {
    QString html;                      // the report with each <svg> replaced by an <img>
    QList<QPair<QUrl, QImage>> charts; // the images the <img> tags name ("chart-N.png")
};

/// Splits the core's HTML report into Qt-renderable HTML and chart images (rendered at
/// `scale` × their SVG size, shown at that size). A chart QSvgRenderer cannot read is kept as a
/// note in the text rather than dropped silently.
ReportDocumentParts prepareReportDocument(const QString& html, double scale = 2.0);

/// Fills `doc` with the parts (the charts registered as image resources).
void loadReportDocument(QTextDocument& doc, const ReportDocumentParts& parts);

/// Writes the report as an A4 PDF to `path` (QSaveFile: a temp file renamed on success, so a
/// failed export never leaves half a PDF where a good one was). Returns the page count; throws
/// mistudio::Exception when the file cannot be written.
int writeReportPdf(const QString& html, const QString& path);

} // namespace mistudio::ui
