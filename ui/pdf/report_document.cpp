#include "pdf/report_document.h"

#include "mistudio/result.h"

#include <QAbstractTextDocumentLayout>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSvgRenderer>
#include <QTextDocument>

namespace mistudio::ui {

namespace {

QImage renderSvg(const QString& svg, double scale, QSize* shownSize) {
    QSvgRenderer renderer(svg.toUtf8());
    if (!renderer.isValid())
        return {};
    *shownSize = renderer.defaultSize();
    QImage image(*shownSize * scale, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    renderer.render(&painter);
    return image;
}

} // namespace

ReportDocumentParts prepareReportDocument(const QString& html, double scale) {
    static const QRegularExpression svgRe(QStringLiteral("<svg\\b.*?</svg>"),
                                          QRegularExpression::DotMatchesEverythingOption);
    ReportDocumentParts parts;
    qsizetype last = 0;
    for (auto it = svgRe.globalMatch(html); it.hasNext();) {
        const auto m = it.next();
        parts.html += html.mid(last, m.capturedStart() - last);
        last = m.capturedEnd();
        QSize shown;
        const QImage image = renderSvg(m.captured(), scale, &shown);
        if (image.isNull()) {
            parts.html += QStringLiteral("<p><i>(a chart that could not be drawn)</i></p>");
            continue;
        }
        const QUrl url(QStringLiteral("chart-%1.png").arg(parts.charts.size()));
        parts.charts.append({url, image});
        parts.html += QStringLiteral("<img src=\"%1\" width=\"%2\" height=\"%3\">")
                          .arg(url.toString())
                          .arg(shown.width())
                          .arg(shown.height());
    }
    parts.html += html.mid(last);
    return parts;
}

void loadReportDocument(QTextDocument& doc, const ReportDocumentParts& parts) {
    for (const auto& [url, image] : parts.charts)
        doc.addResource(QTextDocument::ImageResource, url, image);
    doc.setHtml(parts.html);
}

int writeReportPdf(const QString& html, const QString& path) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw Exception(ErrorCode::Io, "cannot write the PDF: " + file.errorString().toStdString(),
                        path.toStdString(), "Choose a writable folder");
    int pages = 0;
    {
        QPdfWriter writer(&file);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
        writer.setResolution(150);
        writer.setTitle(QStringLiteral("miStudio report"));
        writer.setCreator(QStringLiteral("miStudio"));
        QTextDocument doc;
        // Lay the text out at the PDF's resolution, so print() draws it 1:1 on the page.
        doc.documentLayout()->setPaintDevice(&writer);
        doc.setPageSize(writer.pageLayout().paintRectPixels(writer.resolution()).size());
        loadReportDocument(doc, prepareReportDocument(html));
        pages = doc.pageCount();
        doc.print(&writer);
    }
    if (!file.commit())
        throw Exception(ErrorCode::Io, "cannot write the PDF: " + file.errorString().toStdString(),
                        path.toStdString(), "Check free disk space and permissions");
    return pages;
}

} // namespace mistudio::ui
