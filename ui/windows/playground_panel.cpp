#include "windows/playground_panel.h"

#include "models/playground_model.h"
#include "models/token_features_model.h"
#include "widgets/token_heatmap.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace mistudio::ui {

PlaygroundPanel::PlaygroundPanel(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_model(new PlaygroundModel(bridge, this)),
      m_tokenFeatures(new TokenFeaturesModel(this)) {
    m_input = new QPlainTextEdit(this);
    m_input->setObjectName(QStringLiteral("playgroundInput"));
    m_input->setPlaceholderText(tr("Type or paste a text; its tokens light up as you type."));
    m_input->setMaximumHeight(120);
    connect(m_input, &QPlainTextEdit::textChanged, this,
            [this] { m_model->setText(m_input->toPlainText()); });

    m_heatmap = new TokenHeatmap(this);
    m_heatmap->setObjectName(QStringLiteral("playgroundTokens"));
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setWidget(m_heatmap);
    connect(m_heatmap, &TokenHeatmap::tokenClicked, this, &PlaygroundPanel::showTokenFeatures);

    m_table = new QTableView(this);
    m_table->setModel(m_tokenFeatures);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const qint64 feature = m_tokenFeatures->featureAt(index.row());
        if (feature < 0)
            return;
        highlightFeature(feature); // back here, the text shows this feature
        Q_EMIT featureActivated(feature);
    });
    m_tokenTitle = new QLabel(tr("Click a token to list its features."), this);
    auto* side = new QWidget(this);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_tokenTitle);
    sideLayout->addWidget(m_table);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(scroll);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_input);
    layout->addWidget(buildControls());
    layout->addWidget(split, 1);

    connect(m_model, &PlaygroundModel::statusChanged, m_status, &QLabel::setText);
    connect(m_model, &PlaygroundModel::loaded, this, &PlaygroundPanel::onLoaded);
    connect(m_model, &PlaygroundModel::resultChanged, this, &PlaygroundPanel::onResult);
    connect(m_model, &PlaygroundModel::highlightChanged, this, &PlaygroundPanel::refreshHeatmap);
    m_status->setText(m_model->status());
}

QWidget* PlaygroundPanel::buildControls() {
    auto* bar = new QWidget(this);
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    m_mode = new QComboBox(bar);
    m_mode->addItems({tr("Total activity"), tr("Feature")});
    m_mode->setToolTip(tr("Highlight tokens by the sum of all feature activations, or by one "
                          "feature's activation"));
    m_feature = new QSpinBox(bar);
    m_feature->setRange(0, 0);
    m_feature->setEnabled(false);
    m_feature->setToolTip(tr("The feature whose activation colours the tokens"));
    m_status = new QLabel(bar);
    m_status->setWordWrap(true);
    row->addWidget(new QLabel(tr("Highlight:"), bar));
    row->addWidget(m_mode);
    row->addWidget(m_feature);
    row->addWidget(m_status, 1);
    auto apply = [this] {
        const bool byFeature = m_mode->currentIndex() == 1;
        m_feature->setEnabled(byFeature && m_model->isLoaded());
        if (byFeature && m_model->isLoaded())
            m_model->setSelectedFeature(m_feature->value());
        m_model->setHighlight(byFeature ? PlaygroundModel::Highlight::SelectedFeature
                                        : PlaygroundModel::Highlight::TotalActivity);
    };
    connect(m_mode, &QComboBox::currentIndexChanged, this, apply);
    connect(m_feature, &QSpinBox::valueChanged, this, apply);
    return bar;
}

void PlaygroundPanel::setRun(std::shared_ptr<Project> project, int64_t runId) {
    m_tokenFeatures->setRun(project, runId);
    m_model->setRun(project, runId);
}

void PlaygroundPanel::highlightFeature(qint64 index) {
    m_feature->setValue(static_cast<int>(index));
    m_mode->setCurrentIndex(1);
}

void PlaygroundPanel::onLoaded() {
    const QSignalBlocker block(m_feature);
    m_feature->setRange(0, static_cast<int>(m_model->dSae() - 1));
    m_feature->setEnabled(m_mode->currentIndex() == 1);
    if (m_mode->currentIndex() == 1)
        m_model->setSelectedFeature(m_feature->value());
}

void PlaygroundPanel::onResult() {
    refreshHeatmap();
    // Keep the token the analyst picked; otherwise list the most active one.
    int current = m_heatmap->currentToken();
    if (current < 0) {
        const auto tokens = m_heatmap->tokens();
        const auto& result = m_model->result();
        for (size_t i = 0; i < tokens.size(); ++i)
            if (!result.tokens[i].special &&
                (current < 0 || tokens[i].activation > tokens[size_t(current)].activation))
                current = static_cast<int>(i);
    }
    showTokenFeatures(current);
}

void PlaygroundPanel::refreshHeatmap() {
    const int current = m_heatmap->currentToken();
    m_heatmap->setTokens(m_model->heatTokens(), m_model->heatScale());
    m_heatmap->setCurrentToken(current);
}

void PlaygroundPanel::showTokenFeatures(int index) {
    const auto& tokens = m_model->result().tokens;
    if (index < 0 || index >= static_cast<int>(tokens.size())) {
        m_tokenFeatures->clear();
        m_tokenTitle->setText(tr("Click a token to list its features."));
        return;
    }
    const PlaygroundToken& t = tokens[static_cast<size_t>(index)];
    m_heatmap->setCurrentToken(index);
    m_tokenFeatures->setToken(t);
    m_tokenTitle->setText(tr("Token %1 “%2” (id %3): %4 active features, total %5")
                              .arg(index)
                              .arg(TokenHeatmap::displayText(QString::fromStdString(t.text)))
                              .arg(t.id)
                              .arg(t.activeCount)
                              .arg(t.total, 0, 'f', 2));
}

} // namespace mistudio::ui
