#include "widgets/token_heatmap.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>

namespace mistudio::ui {

namespace {
constexpr int kPadX = 2;
constexpr int kPadY = 2;
constexpr int kGap = 1;
} // namespace

TokenHeatmap::TokenHeatmap(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

QString TokenHeatmap::displayText(const QString& token) {
    QString out;
    for (QChar c : token) {
        if (c == QLatin1Char('\n'))
            out += QStringLiteral("↵");
        else if (c == QLatin1Char('\t'))
            out += QStringLiteral("⇥");
        else if (c.unicode() < 0x20)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out.isEmpty() ? QStringLiteral("∅") : out;
}

void TokenHeatmap::setTokens(std::vector<HeatToken> tokens, float scale) {
    m_tokens = std::move(tokens);
    if (m_current >= static_cast<int>(m_tokens.size()))
        m_current = -1;
    float rowMax = 0;
    for (const auto& t : m_tokens)
        rowMax = std::max(rowMax, t.activation);
    m_scale = scale > 0 ? scale : (rowMax > 0 ? rowMax : 1);
    m_layoutWidth = -1;
    updateGeometry();
    update();
}

int TokenHeatmap::alphaFor(float activation) const {
    if (activation <= 0)
        return 0;
    return std::clamp(static_cast<int>(255.0f * activation / m_scale), 24, 255);
}

void TokenHeatmap::relayout(int width) const {
    if (width == m_layoutWidth && m_rects.size() == m_tokens.size())
        return;
    m_layoutWidth = width;
    m_rects.clear();
    const QFontMetrics fm(font());
    const int lineHeight = fm.height() + 2 * kPadY;
    int x = 0, y = 0;
    for (const auto& t : m_tokens) {
        const int w = fm.horizontalAdvance(displayText(t.text)) + 2 * kPadX;
        if (x > 0 && x + w > width) {
            x = 0;
            y += lineHeight + kGap;
        }
        m_rects.emplace_back(x, y, w, lineHeight);
        x += w + kGap;
    }
}

int TokenHeatmap::heightForWidth(int width) const {
    relayout(std::max(width, 50));
    return m_rects.empty() ? fontMetrics().height() : m_rects.back().bottom() + 1;
}

QSize TokenHeatmap::sizeHint() const {
    const int w = width() > 0 ? width() : 600;
    return {w, heightForWidth(w)};
}

int TokenHeatmap::tokenAt(const QPoint& pos) const {
    relayout(width());
    for (size_t i = 0; i < m_rects.size(); ++i)
        if (m_rects[i].contains(pos))
            return static_cast<int>(i);
    return -1;
}

void TokenHeatmap::paintEvent(QPaintEvent*) {
    relayout(width());
    QPainter p(this);
    const QColor base = palette().color(QPalette::Text);
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        const int alpha = alphaFor(m_tokens[i].activation);
        if (alpha > 0)
            p.fillRect(m_rects[i], QColor(245, 158, 11, alpha)); // amber, like the app icon
        p.setPen(alpha > 160 ? QColor(Qt::black) : base);
        p.drawText(m_rects[i].adjusted(kPadX, kPadY, -kPadX, -kPadY),
                   Qt::AlignLeft | Qt::AlignVCenter, displayText(m_tokens[i].text));
    }
    if (m_current >= 0) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 2));
        p.drawRect(m_rects[static_cast<size_t>(m_current)].adjusted(1, 1, -1, -1));
    }
}

void TokenHeatmap::setCurrentToken(int index) {
    m_current = index >= 0 && index < static_cast<int>(m_tokens.size()) ? index : -1;
    update();
}

void TokenHeatmap::mousePressEvent(QMouseEvent* event) {
    const int i = tokenAt(event->position().toPoint());
    if (i >= 0 && event->button() == Qt::LeftButton) {
        setCurrentToken(i);
        Q_EMIT tokenClicked(i);
    }
    QWidget::mousePressEvent(event);
}

void TokenHeatmap::resizeEvent(QResizeEvent* event) {
    m_layoutWidth = -1;
    QWidget::resizeEvent(event);
}

bool TokenHeatmap::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int i = tokenAt(help->pos());
        if (i >= 0) {
            const HeatToken& t = m_tokens[static_cast<size_t>(i)];
            QToolTip::showText(help->globalPos(),
                               tr("token %1 (id %2)\nactivation %3")
                                   .arg(displayText(t.text))
                                   .arg(t.id)
                                   .arg(t.activation, 0, 'f', 3),
                               this);
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QWidget::event(event);
}

} // namespace mistudio::ui
