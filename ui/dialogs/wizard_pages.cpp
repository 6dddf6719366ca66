#include "dialogs/wizard_pages.h"

#include <QComboBox>
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
#include <QtConcurrent>
#include <unistd.h>

#include "mistudio/dataset.h"
#include "mistudio/hub.h"
#include "mistudio/memory_plan.h"
#include "mistudio/model_info.h"
#include "mistudio/result.h"
#include "mistudio/sae.h"

namespace mistudio::ui {

bool showCheck(QLabel* label, const QString& message) {
    label->setText(message);
    return message.isEmpty();
}

namespace {
QLabel* errorLabel(QWidget* parent) {
    auto* l = new QLabel(parent);
    l->setStyleSheet(QStringLiteral("color: #b91c1c"));
    l->setWordWrap(true);
    return l;
}
}  // namespace

ModelLookup lookUpModel(const QString& reference) {
    ModelLookup r;
    try {
        hub::HubSettings settings = hub::HubSettings::fromEnvironment();
        const hub::ModelRef ref = hub::parseModelRef(reference.toStdString());
        std::string folder = ref.localPath;
        if (!ref.isLocal) {
            auto cached = hub::cachedSnapshot(ref.hub, settings.cacheDir);
            if (!cached)  // downloads happen in the run's first stage; here only a size check
                throw Exception(ErrorCode::NotFound,
                                "'" + ref.hub.repo + "' is not in the Hugging Face cache yet",
                                settings.cacheDir, "Download it with `mistudio-cli download " + ref.hub.repo +
                                                       "` (or let the run download it), then look it up again");
            folder = *cached;
        }
        const ModelInfo info = inspectModel(folder);
        r.folder = QString::fromStdString(folder);
        r.family = QString::fromStdString(info.modelType);
        r.nLayers = static_cast<int>(info.nLayers);
        r.dModel = static_cast<int>(info.dModel);
        r.nParams = info.nParams;
        r.tokenizer = info.hasTokenizer;
        r.residMid = !info.parallelResidual;
    } catch (const std::exception& e) {
        r.error = QString::fromStdString(e.what());
    }
    return r;
}

ModelPage::ModelPage(RunPlan* plan, QWidget* parent) : QWizardPage(parent), m_plan(plan) {
    setTitle(tr("Model"));
    setSubTitle(tr("A Hugging Face model id or a local folder in Hugging Face format. Supported families: %1.")
                    .arg(QString::fromStdString([] {
                        std::string s;
                        for (const auto& t : supportedModelTypeNames())
                            s += (s.empty() ? "" : ", ") + t;
                        return s;
                    }())));
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_model = new QLineEdit(plan->model, this);
    m_model->setPlaceholderText(QStringLiteral("EleutherAI/pythia-70m  or  /path/to/model"));
    auto* browse = new QPushButton(tr("Folder…"), this);
    auto* look = new QPushButton(tr("Look up"), this);
    row->addWidget(m_model, 1);
    row->addWidget(browse);
    row->addWidget(look);
    layout->addLayout(row);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_error = errorLabel(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_error);
    layout->addStretch();
    m_watcher = new QFutureWatcher<ModelLookup>(this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"));
        if (!dir.isEmpty()) {
            m_model->setText(dir);
            lookUp();
        }
    });
    connect(look, &QPushButton::clicked, this, &ModelPage::lookUp);
    connect(m_model, &QLineEdit::editingFinished, this, &ModelPage::lookUp);
    connect(m_watcher, &QFutureWatcher<ModelLookup>::finished, this, [this] {
        const ModelLookup r = m_watcher->result();
        m_plan->model = m_model->text().trimmed();
        m_plan->family = r.family;
        m_plan->nLayers = r.nLayers;
        m_plan->dModel = r.dModel;
        m_folder = r.folder;
        m_error->setText(r.error);
        m_summary->setText(r.error.isEmpty()
                               ? tr("%1 · %2 layers · d_model %3 · %4 M parameters · tokenizer: %5")
                                     .arg(r.family).arg(r.nLayers).arg(r.dModel)
                                     .arg(r.nParams / 1e6, 0, 'f', 1)
                                     .arg(r.tokenizer ? tr("yes") : tr("missing"))
                               : QString());
        setProperty("residMid", r.residMid);
        Q_EMIT lookupFinished(r.error.isEmpty());
    });
}

void ModelPage::offerSources(const QString& banner, const QStringList& cached) {
    auto* layout = static_cast<QVBoxLayout*>(this->layout());
    if (!m_banner) {
        m_banner = new QLabel(this);
        m_banner->setObjectName(QStringLiteral("hubBanner"));
        m_banner->setWordWrap(true);
        m_banner->setStyleSheet(QStringLiteral("background: palette(alternate-base); padding: 6px"));
        layout->insertWidget(0, m_banner);
    }
    m_banner->setText(banner);
    if (cached.isEmpty())
        return;
    auto* pick = new QComboBox(this);
    pick->setObjectName(QStringLiteral("cachedModels"));
    pick->addItem(tr("From the Hugging Face cache…"));
    pick->addItems(cached);
    layout->insertWidget(1, pick);
    connect(pick, &QComboBox::activated, this, [this, pick](int index) {
        if (index <= 0)
            return;
        m_model->setText(pick->itemText(index));
        lookUp();
    });
}

void ModelPage::lookUp() {
    if (m_watcher->isRunning())
        return;
    m_summary->setText(tr("Looking up…"));
    m_watcher->setFuture(QtConcurrent::run(lookUpModel, m_model->text().trimmed()));
}

bool ModelPage::validatePage() {
    if (m_watcher->isRunning())
        return showCheck(m_error, tr("The lookup is still running."));
    if (m_plan->model != m_model->text().trimmed())
        m_plan->family.clear();  // typed a new id without looking it up
    return showCheck(m_error, m_plan->checkModel());
}

PrecisionPage::PrecisionPage(RunPlan* plan, QWidget* parent) : QWizardPage(parent), m_plan(plan) {
    setTitle(tr("Precision and device"));
    setSubTitle(tr("Quantized weights cut memory; activations are always computed in fp32 on CPU."));
    auto* form = new QFormLayout(this);
    m_quant = new QComboBox(this);
    m_quant->addItems({QStringLiteral("none"), QStringLiteral("bf16"), QStringLiteral("fp16"), QStringLiteral("int8"),
                       QStringLiteral("nf4"), QStringLiteral("int4")});
    m_quant->setToolTip(tr("none: weights as on disk (fp32 compute on CPU). int8: per output channel. "
                           "nf4: QLoRA NormalFloat-4, blocks of 64. int4: symmetric, blocks of 32."));
    m_device = new QComboBox(this);
    m_device->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    m_prediction = new QLabel(this);
    m_prediction->setWordWrap(true);
    m_error = errorLabel(this);
    form->addRow(tr("Weights"), m_quant);
    form->addRow(tr("Device"), m_device);
    form->addRow(tr("Predicted memory"), m_prediction);
    form->addRow(m_error);
    for (auto* c : {m_quant, m_device})
        connect(c, &QComboBox::currentTextChanged, this, &PrecisionPage::updatePrediction);
}

void PrecisionPage::initializePage() {
    m_quant->setCurrentText(m_plan->quant);
    m_device->setCurrentText(m_plan->device);
    updatePrediction();
}

void PrecisionPage::updatePrediction() {
    m_plan->quant = m_quant->currentText();
    m_plan->device = m_device->currentText();
    if (m_folder.isEmpty())
        return;
    try {
        MemoryPlanRequest req;
        req.modelFolder = m_folder.toStdString();
        req.quant = m_plan->quant.toStdString();
        req.device = m_plan->device.toStdString();
        req.upToHook = m_plan->hooks.isEmpty() ? std::string() : m_plan->hooks.last().toStdString();
        req.seq = m_plan->contextLength;
        const MemoryPrediction p = predictMemory(req);
        const qint64 available = qint64(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
        m_prediction->setText(tr("%1 in all: weights %2 (%3 of %4 layers), activations %5, workspace %6")
                                  .arg(QString::fromStdString(formatBytes(p.totalBytes)),
                                       QString::fromStdString(formatBytes(p.weightBytes)))
                                  .arg(p.layersLoaded).arg(p.layersTotal)
                                  .arg(QString::fromStdString(formatBytes(p.activationBytes)),
                                       QString::fromStdString(formatBytes(p.workspaceBytes))));
        m_error->setText(m_plan->device == QLatin1String("cpu") && p.totalBytes > available
                             ? tr("This will not fit in this machine's %1 of memory: choose nf4 or int8.")
                                   .arg(QString::fromStdString(formatBytes(available)))
                             : QString());
    } catch (const std::exception& e) {
        m_prediction->setText(QString::fromStdString(e.what()));
    }
}

bool PrecisionPage::validatePage() {
    updatePrediction();
    return showCheck(m_error, m_error->text().isEmpty() ? m_plan->checkModel() : m_error->text());
}

}  // namespace mistudio::ui
