#pragma once
// A context window drawn as tokens whose background intensity is a feature's activation (the
// Neuronpedia look). Hovering a token shows its text, id and activation.

#include <QWidget>
#include <vector>

namespace mistudio::ui {

struct HeatToken {
    QString text;
    int id = -1;
    float activation = 0;
};

class TokenHeatmap : public QWidget {
    Q_OBJECT
public:
    explicit TokenHeatmap(QWidget* parent = nullptr);

    /// `scale` is the activation drawn at full intensity (e.g. the feature's max); 0: this row's
    /// max.
    void setTokens(std::vector<HeatToken> tokens, float scale = 0);
    const std::vector<HeatToken>& tokens() const { return m_tokens; }
    /// Background alpha (0..255) used for a token's activation.
    int alphaFor(float activation) const;
    /// The token under a point, or -1.
    int tokenAt(const QPoint& pos) const;
    /// Draws a frame around this token (-1: none), e.g. the one whose features are listed.
    void setCurrentToken(int index);
    int currentToken() const { return m_current; }
    /// How a token's text is shown: whitespace made visible, control characters escaped.
    static QString displayText(const QString& token);

    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

Q_SIGNALS:
    void tokenClicked(int index);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    bool event(QEvent* event) override;

private:
    void relayout(int width) const;

    std::vector<HeatToken> m_tokens;
    float m_scale = 1;
    int m_current = -1;
    mutable std::vector<QRect> m_rects;
    mutable int m_layoutWidth = -1;
};

} // namespace mistudio::ui
