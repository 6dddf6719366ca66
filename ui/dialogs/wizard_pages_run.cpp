// Hook, dataset, SAE and review pages of the new-run wizard.
#include "dialogs/wizard_pages.h"
#include "mistudio/cluster_job.h"
#include "mistudio/dataset.h"
#include "mistudio/sae.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>

namespace mistudio::ui {

HookPage::HookPage(RunPlan* plan, QWidget* parent) : QWizardPage(parent), m_plan(plan) {
    setTitle(tr("Hook point"));
    setSubTitle(
        tr("Where activations are read, with TransformerLens names. The residual stream after a "
           "middle block (hook_resid_post) is the usual choice."));
    auto* form = new QFormLayout(this);
    m_layer = new QSlider(Qt::Horizontal, this);
    m_kind = new QComboBox(this);
    m_kind->addItems({QStringLiteral("hook_resid_post"), QStringLiteral("hook_resid_pre"),
                      QStringLiteral("hook_resid_mid"), QStringLiteral("hook_attn_out"),
                      QStringLiteral("hook_mlp_out")});
    m_name = new QLabel(this);
    m_chosen = new QListWidget(this);
    auto* buttons = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add hook"), this);
    auto* remove = new QPushButton(tr("Remove"), this);
    buttons->addWidget(add);
    buttons->addWidget(remove);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #b91c1c"));
    form->addRow(tr("Layer"), m_layer);
    form->addRow(tr("Hook"), m_kind);
    form->addRow(tr("Name"), m_name);
    form->addRow(buttons);
    form->addRow(tr("Hooks of this run"), m_chosen);
    form->addRow(m_error);
    auto refresh = [this] { m_name->setText(currentHook()); };
    connect(m_layer, &QSlider::valueChanged, this, refresh);
    connect(m_kind, &QComboBox::currentTextChanged, this, refresh);
    connect(add, &QPushButton::clicked, this, [this] {
        if (m_chosen->findItems(currentHook(), Qt::MatchExactly).isEmpty())
            m_chosen->addItem(currentHook());
    });
    connect(remove, &QPushButton::clicked, this, [this] { delete m_chosen->currentItem(); });
}

QString HookPage::currentHook() const {
    return QStringLiteral("blocks.%1.%2").arg(m_layer->value()).arg(m_kind->currentText());
}

void HookPage::initializePage() {
    m_layer->setRange(0, std::max(0, m_plan->nLayers - 1));
    m_layer->setValue(m_plan->nLayers / 2); // a middle layer is the usual first choice
    m_name->setText(currentHook());
    m_chosen->clear();
    m_chosen->addItems(m_plan->hooks);
}

bool HookPage::validatePage() {
    QStringList hooks;
    for (int i = 0; i < m_chosen->count(); ++i)
        hooks << m_chosen->item(i)->text();
    if (hooks.isEmpty())
        hooks << currentHook();
    m_plan->hooks = hooks;
    QString problem = m_plan->checkHooks();
    if (problem.isEmpty() && !m_residMid)
        for (const QString& h : hooks)
            if (h.endsWith(QLatin1String("hook_resid_mid")))
                problem = tr("%1: this family runs attention and MLP in parallel, so there is no "
                             "hook_resid_mid. Use hook_resid_pre or hook_resid_post.")
                              .arg(h);
    return showCheck(m_error, problem);
}

DatasetPage::DatasetPage(RunPlan* plan, QWidget* parent) : QWizardPage(parent), m_plan(plan) {
    setTitle(tr("Dataset"));
    setSubTitle(
        tr("Text the model reads: .txt, .jsonl, .json, .csv/.tsv, .parquet or a folder of them, or "
           "hf:user/name[:config][:split]."));
    auto* form = new QFormLayout(this);
    m_dataset = new QLineEdit(plan->dataset, this);
    m_field = new QLineEdit(plan->textField, this);
    m_tokensK = new QSpinBox(this);
    m_tokensK->setRange(1, 100'000'000);
    m_tokensK->setSuffix(tr(" thousand tokens"));
    m_tokensK->setValue(static_cast<int>(plan->tokens / 1000));
    m_context = new QSpinBox(this);
    m_context->setRange(8, 32768);
    m_context->setValue(plan->contextLength);
    m_context->setToolTip(
        tr("Tokens per window; BOS starts each window (default 128, as in SAELens)."));
    auto* previewButton = new QPushButton(tr("Preview"), this);
    m_preview = new QPlainTextEdit(this);
    m_preview->setReadOnly(true);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #b91c1c"));
    m_error->setWordWrap(true);
    auto* datasetRow = new QHBoxLayout;
    auto* browse = new QPushButton(tr("File…"), this);
    datasetRow->addWidget(m_dataset, 1);
    datasetRow->addWidget(browse);
    form->addRow(tr("Dataset"), datasetRow);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Dataset file"), m_dataset->text());
        if (!f.isEmpty())
            m_dataset->setText(f);
    });
    form->addRow(tr("Text field"), m_field);
    form->addRow(tr("Token budget"), m_tokensK);
    form->addRow(tr("Context length"), m_context);
    form->addRow(previewButton);
    form->addRow(m_preview);
    form->addRow(m_error);
    connect(previewButton, &QPushButton::clicked, this, &DatasetPage::preview);
}

void DatasetPage::offerCachedDatasets(const QStringList& specs) {
    if (specs.isEmpty())
        return;
    auto* pick = new QComboBox(this);
    pick->setObjectName(QStringLiteral("cachedDatasets"));
    pick->addItem(tr("From the Hugging Face cache…"));
    pick->addItems(specs);
    static_cast<QFormLayout*>(layout())->insertRow(1, tr("Cached"), pick);
    connect(pick, &QComboBox::activated, this, [this, pick](int index) {
        if (index > 0)
            m_dataset->setText(pick->itemText(index));
    });
}

void DatasetPage::preview() {
    m_preview->clear();
    if (m_dataset->text().startsWith(QLatin1String("hf:"))) {
        m_preview->setPlainText(tr("Hub datasets are downloaded in the run's first stage."));
        return;
    }
    try {
        data::DatasetSpec spec;
        spec.path = m_dataset->text().trimmed().toStdString();
        spec.textField = m_field->text().trimmed().toStdString();
        const data::Preview p = data::previewDataset(spec, 5);
        for (const auto& d : p.documents)
            m_preview->appendPlainText(QStringLiteral("[%1] %2\n")
                                           .arg(d.id)
                                           .arg(QString::fromStdString(d.text).left(400)));
        m_error->clear();
    } catch (const std::exception& e) {
        m_error->setText(QString::fromStdString(e.what()));
    }
}

bool DatasetPage::validatePage() {
    m_plan->dataset = m_dataset->text().trimmed();
    m_plan->textField = m_field->text().trimmed();
    m_plan->tokens = qint64(m_tokensK->value()) * 1000;
    m_plan->contextLength = m_context->value();
    return showCheck(m_error, m_plan->checkDataset());
}

SaePage::SaePage(RunPlan* plan, QWidget* parent) : QWizardPage(parent), m_plan(plan) {
    setTitle(tr("Sparse autoencoder"));
    setSubTitle(tr("Defaults follow the published recipes; hover a field for what it does."));
    auto* form = new QFormLayout(this);
    m_preset = new QComboBox(this);
    m_preset->addItems({tr("Quick look (minutes on CPU)"), tr("Standard"), tr("Research")});
    m_arch = new QComboBox(this);
    m_arch->addItems(RunPlan::architectures());
    m_arch->setToolTip(
        tr("batchtopk (default): top k·B across the batch, JumpReLU threshold at inference. "
           "topk: top k per token. jumprelu: learned thresholds, L0 penalty. relu: ReLU + L1."));
    m_expansion = new QSpinBox(this);
    m_expansion->setRange(1, 256);
    m_expansion->setToolTip(tr("d_sae = expansion × d_model."));
    m_k = new QSpinBox(this);
    m_k->setRange(1, 4096);
    m_k->setToolTip(tr("Active latents per token for TopK/BatchTopK (published default 64)."));
    m_l1 = new QDoubleSpinBox(this);
    m_l1->setRange(0, 1000);
    m_l1->setToolTip(tr("L1 coefficient λ for ReLU SAEs (Anthropic April 2024: 5)."));
    m_targetL0 = new QDoubleSpinBox(this);
    m_targetL0->setRange(0, 4096);
    m_targetL0->setToolTip(
        tr("JumpReLU: ask for this L0 with the penalty λ(L0/target − 1)²; 0 = plain L0 penalty."));
    m_lr = new QDoubleSpinBox(this);
    m_lr->setDecimals(6);
    m_lr->setRange(0, 1);
    m_lr->setSpecialValueText(tr("recipe default"));
    m_lr->setToolTip(tr("0 = the recipe: TopK 2e-4/√(d_sae/2¹⁴), ReLU 5e-5, JumpReLU 7e-5."));
    m_batch = new QSpinBox(this);
    m_batch->setRange(16, 1 << 20);
    m_batch->setToolTip(tr("Tokens per optimizer step (published default 4096)."));
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #b91c1c"));
    form->addRow(tr("Preset"), m_preset);
    form->addRow(tr("Architecture"), m_arch);
    form->addRow(tr("Expansion factor"), m_expansion);
    form->addRow(tr("k"), m_k);
    form->addRow(tr("L1 coefficient"), m_l1);
    form->addRow(tr("Target L0"), m_targetL0);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Batch (tokens)"), m_batch);
    form->addRow(m_error);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_plan->applyPreset(RunPlan::presetNames().value(i));
        load();
    });
}

void SaePage::load() {
    m_arch->setCurrentText(m_plan->architecture);
    m_expansion->setValue(m_plan->expansionFactor);
    m_k->setValue(m_plan->k);
    m_l1->setValue(m_plan->l1Coefficient);
    m_targetL0->setValue(m_plan->targetL0);
    m_lr->setValue(m_plan->lr);
    m_batch->setValue(m_plan->batchSize);
}

void SaePage::initializePage() {
    load();
}

bool SaePage::validatePage() {
    m_plan->architecture = m_arch->currentText();
    m_plan->expansionFactor = m_expansion->value();
    m_plan->k = m_k->value();
    m_plan->l1Coefficient = m_l1->value();
    m_plan->targetL0 = m_targetL0->value();
    m_plan->lr = m_lr->value();
    m_plan->batchSize = m_batch->value();
    return showCheck(m_error, m_plan->checkSae());
}

ReviewPage::ReviewPage(RunPlan* plan, QString projectPath, QWidget* parent)
    : QWizardPage(parent), m_plan(plan), m_projectPath(std::move(projectPath)) {
    setTitle(tr("Review"));
    setSubTitle(tr("Start runs the same job as the command below."));
    auto* layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_command = new QLineEdit(this);
    m_command->setReadOnly(true);
    m_json = new QPlainTextEdit(this);
    m_json->setReadOnly(true);
    layout->addWidget(m_summary);
    layout->addWidget(new QLabel(tr("Equivalent command"), this));
    layout->addWidget(m_command);
    layout->addWidget(new QLabel(tr("RUN.json"), this));
    layout->addWidget(m_json, 1);

    // Bigger runs go to a cluster: the same run as data-parallel `mistudio-cli train` ranks.
    auto* cluster = new QHBoxLayout;
    m_nodes = new QSpinBox(this);
    m_nodes->setRange(1, 1024);
    m_nodes->setPrefix(tr("nodes: "));
    m_gpusPerNode = new QSpinBox(this);
    m_gpusPerNode->setRange(1, 64);
    m_gpusPerNode->setValue(8);
    m_gpusPerNode->setPrefix(tr("ranks per node: "));
    auto* exportButton = new QPushButton(tr("Export as cluster job…"), this);
    exportButton->setToolTip(tr("Writes RUN.json, launch_torchrun.sh and job.sbatch (SLURM) for "
                                "data-parallel training; see docs/DISTRIBUTED.md"));
    cluster->addWidget(m_nodes);
    cluster->addWidget(m_gpusPerNode);
    cluster->addWidget(exportButton);
    cluster->addStretch(1);
    layout->addLayout(cluster);
    m_clusterStatus = new QLabel(this);
    m_clusterStatus->setWordWrap(true);
    layout->addWidget(m_clusterStatus);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Folder for the cluster job"));
        if (!dir.isEmpty())
            exportClusterJob(dir);
    });
}

bool ReviewPage::exportClusterJob(const QString& dir) {
    if (m_plan->hooks.size() != 1) {
        m_clusterStatus->setText(tr("A cluster job trains at one hook: choose a single hook, or "
                                    "export one job per hook."));
        return false;
    }
    QJsonObject run = m_plan->toRunJson();
    if (!run.contains(QStringLiteral("out")))
        run.insert(QStringLiteral("out"), QStringLiteral("runs/mistudio-%1")
                                              .arg(QDateTime::currentDateTimeUtc().toString(
                                                  QStringLiteral("yyyyMMdd-HHmmss"))));
    ClusterJobOptions options;
    options.nodes = m_nodes->value();
    options.gpusPerNode = m_gpusPerNode->value();
    try {
        const ClusterJobFiles files =
            writeClusterJob(QJsonDocument(run).toJson(QJsonDocument::Indented).toStdString(),
                            options, dir.toStdString());
        m_clusterStatus->setText(
            tr("Wrote %1, %2 and %3. The 'out' folder must be on storage every "
               "node shares.")
                .arg(QString::fromStdString(files.runJson),
                     QString::fromStdString(files.torchrunScript),
                     QString::fromStdString(files.slurmScript)));
        return true;
    } catch (const std::exception& e) {
        m_clusterStatus->setText(QString::fromStdString(e.what()));
        return false;
    }
}

void ReviewPage::initializePage() {
    m_summary->setText(tr("%1 (%2) at %3 · weights %4 on %5 · %6 tokens of %7 · %8 SAE, d_sae %9")
                           .arg(m_plan->model, m_plan->family,
                                m_plan->hooks.join(QStringLiteral(", ")), m_plan->quant,
                                m_plan->device)
                           .arg(m_plan->tokens)
                           .arg(m_plan->dataset, m_plan->architecture)
                           .arg(m_plan->effectiveDSae()));
    m_command->setText(m_plan->cliCommand(QStringLiteral("RUN.json"), m_projectPath));
    m_json->setPlainText(
        QString::fromUtf8(QJsonDocument(m_plan->toRunJson()).toJson(QJsonDocument::Indented)));
}

} // namespace mistudio::ui
