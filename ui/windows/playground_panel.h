#pragma once
// The Playground tab: type or paste a text; its tokens are highlighted by total SAE activity or by
// one feature; clicking a token lists its strongest features, clicking a feature opens its page.
// All state lives in PlaygroundModel; this class only lays out widgets and forwards input.

#include "mistudio/project.h"

#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QSpinBox;
class QTableView;

namespace mistudio::ui {

class EngineBridge;
class PlaygroundModel;
class TokenFeaturesModel;
class TokenHeatmap;

class PlaygroundPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlaygroundPanel(EngineBridge* bridge, QWidget* parent = nullptr);

    void setRun(std::shared_ptr<Project> project, int64_t runId);
    /// Colours the tokens by this feature's activation (the spin box and mode follow).
    void highlightFeature(qint64 index);
    /// Lists the features of token `index` of the current result.
    void showTokenFeatures(int index);

    PlaygroundModel* model() const { return m_model; }
    TokenHeatmap* heatmap() const { return m_heatmap; }
    TokenFeaturesModel* tokenFeatures() const { return m_tokenFeatures; }
    QPlainTextEdit* input() const { return m_input; }
    QTableView* featureTable() const { return m_table; }

Q_SIGNALS:
    /// The analyst clicked a feature: show its page.
    void featureActivated(qint64 index);

private:
    QWidget* buildControls();
    void refreshHeatmap();
    void onLoaded();
    void onResult();

    PlaygroundModel* m_model;
    TokenFeaturesModel* m_tokenFeatures;
    QPlainTextEdit* m_input = nullptr;
    QComboBox* m_mode = nullptr;
    QSpinBox* m_feature = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_tokenTitle = nullptr;
    TokenHeatmap* m_heatmap = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace mistudio::ui
