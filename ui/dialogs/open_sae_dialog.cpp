#include "dialogs/open_sae_dialog.h"

#include "mistudio/analysis.h"
#include "mistudio/hub.h"
#include "mistudio/import_sae.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <filesystem>

namespace mistudio::ui {

namespace {

/// What hub::parseModelRef treats as a folder: an existing one, or a path-looking reference.
bool looksLocal(const QString& ref) {
    return QFileInfo(ref).isDir() || ref.startsWith(QLatin1Char('/')) ||
           ref.startsWith(QLatin1String("./")) || ref.startsWith(QLatin1String("../")) ||
           ref.startsWith(QLatin1Char('~'));
}

QWidget* withButton(QLineEdit* edit, const QString& text, const std::function<void()>& onClick) {
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* button = new QPushButton(text, row);
    layout->addWidget(edit, 1);
    layout->addWidget(button);
    QObject::connect(button, &QPushButton::clicked, row, onClick);
    return row;
}

} // namespace

QString OpenSaeRequest::check() const {
    const QString s = sae.trimmed(), m = model.trimmed(), d = dataset.trimmed();
    if (s.isEmpty())
        return QObject::tr(
            "Enter the SAE: a SAELens folder, or hf:REPO/SUBFOLDER on the Hub "
            "(e.g. hf:jbloom/GPT2-Small-SAEs-Reformatted/blocks.8.hook_resid_post).");
    if (!s.startsWith(QLatin1String("hf:"))) {
        if (!QFileInfo(s).isDir())
            return QObject::tr(
                       "The SAE folder %1 does not exist. Choose a folder with cfg.json and "
                       "sae_weights.safetensors, or use hf:REPO/SUBFOLDER.")
                .arg(s);
        if (!QFileInfo::exists(QDir(s).filePath(QStringLiteral("cfg.json"))))
            return QObject::tr("%1 has no cfg.json: it is not a SAELens SAE folder.").arg(s);
    }
    if (m.isEmpty())
        return QObject::tr("Enter the model the SAE was trained on: a Hub id (e.g. gpt2) or a "
                           "local folder.");
    if (looksLocal(m) && !QFileInfo(m).isDir())
        return QObject::tr("The model folder %1 does not exist.").arg(m);
    if (d.isEmpty())
        return QObject::tr("Choose the text to analyse the features on: a local file or folder, or "
                           "hf:user/name[:config][:split].");
    if (!d.startsWith(QLatin1String("hf:")) && !QFileInfo::exists(d))
        return QObject::tr("The dataset %1 does not exist.").arg(d);
    if (tokens < 1000)
        return QObject::tr("Analyse at least 1,000 tokens.");
    return {};
}

JobFunction openSaeJob(const QString& projectPath, const OpenSaeRequest& r) {
    SaeImportRequest request;
    request.sae = r.sae.trimmed().toStdString();
    request.model = r.model.trimmed().toStdString();
    request.hook = r.hook.trimmed().toStdString();
    AnalysisOptions options;
    options.dataset = r.dataset.trimmed().toStdString();
    options.textField = r.textField.trimmed().toStdString();
    options.tokens = r.tokens;
    return [path = projectPath.toStdString(), request, options](JobContext& ctx) mutable {
        const hub::HubSettings settings = hub::HubSettings::fromEnvironment();
        ctx.progress("download", 0, 1, "files");
        const ResolvedSaeImport resolved = resolveSaeImport(request, settings, &ctx);
        if (hub::isHubDatasetSpec(options.dataset)) {
            // The split's files (downloaded into the HF cache when missing) share one folder.
            const auto files = hub::resolveDatasetFiles(options.dataset, settings, &ctx);
            options.dataset = std::filesystem::path(files.front()).parent_path().string();
        }
        ctx.throwIfCancelled();
        Project project = Project::open(path);
        DatasetRecord d;
        d.spec = std::filesystem::absolute(options.dataset).lexically_normal().string();
        options.dataset = d.spec;
        project.addDataset(d);
        const RunRecord run = recordSaeImport(project, resolved);
        ctx.log(LogLevel::Info,
                "imported " + resolved.saeDir + " as run " + std::to_string(run.id));
        runAnalysis(project, run.id, options, ctx);
    };
}

OpenSaeDialog::OpenSaeDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Open published SAE"));
    setObjectName(QStringLiteral("openSaeDialog"));
    auto* form = new QFormLayout;
    m_sae = new QLineEdit(this);
    m_sae->setPlaceholderText(QStringLiteral(
        "hf:jbloom/GPT2-Small-SAEs-Reformatted/blocks.8.hook_resid_post  or  /path/to/sae"));
    m_sae->setToolTip(tr("A SAELens-format SAE: cfg.json + sae_weights.safetensors. From the Hub "
                         "as hf:REPO/SUBFOLDER (only the SAE's files are downloaded)."));
    m_model = new QLineEdit(this);
    m_model->setPlaceholderText(QStringLiteral("gpt2  or  /path/to/model"));
    m_model->setToolTip(tr("The model the SAE was trained on (its d_model and hook must match)."));
    m_hook = new QLineEdit(this);
    m_hook->setPlaceholderText(tr("from the SAE's cfg.json"));
    m_dataset = new QLineEdit(this);
    m_dataset->setPlaceholderText(
        QStringLiteral("hf:NeelNanda/pile-10k  or  /path/to/corpus.jsonl"));
    m_dataset->setToolTip(tr("The text the features' examples and statistics come from."));
    m_textField = new QLineEdit(QStringLiteral("text"), this);
    m_tokensK = new QSpinBox(this);
    m_tokensK->setRange(1, 100'000);
    m_tokensK->setValue(200);
    m_tokensK->setSuffix(tr(" thousand tokens"));
    auto folder = [this](QLineEdit* edit, const QString& title) {
        return [this, edit, title] {
            const QString dir = QFileDialog::getExistingDirectory(this, title, edit->text());
            if (!dir.isEmpty())
                edit->setText(dir);
        };
    };
    form->addRow(tr("SAE"), withButton(m_sae, tr("Folder…"), folder(m_sae, tr("SAE folder"))));
    form->addRow(tr("Model"),
                 withButton(m_model, tr("Folder…"), folder(m_model, tr("Model folder"))));
    form->addRow(tr("Hook"), m_hook);
    form->addRow(tr("Analyse on"), withButton(m_dataset, tr("File…"), [this] {
                     const QString f = QFileDialog::getOpenFileName(this, tr("Dataset file"));
                     if (!f.isEmpty())
                         m_dataset->setText(f);
                 }));
    form->addRow(tr("Text field"), m_textField);
    form->addRow(tr("Tokens"), m_tokensK);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #b91c1c"));
    m_error->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Import and analyse"));
    connect(buttons, &QDialogButtonBox::accepted, this, &OpenSaeDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &OpenSaeDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addStretch();
    layout->addWidget(buttons);
    resize(720, 360);
}

OpenSaeRequest OpenSaeDialog::request() const {
    OpenSaeRequest r;
    r.sae = m_sae->text().trimmed();
    r.model = m_model->text().trimmed();
    r.hook = m_hook->text().trimmed();
    r.dataset = m_dataset->text().trimmed();
    r.textField = m_textField->text().trimmed();
    r.tokens = qint64(m_tokensK->value()) * 1000;
    return r;
}

void OpenSaeDialog::setRequest(const OpenSaeRequest& r) {
    m_sae->setText(r.sae);
    m_model->setText(r.model);
    m_hook->setText(r.hook);
    m_dataset->setText(r.dataset);
    m_textField->setText(r.textField);
    m_tokensK->setValue(int(r.tokens / 1000));
}

QString OpenSaeDialog::errorText() const {
    return m_error->text();
}

void OpenSaeDialog::accept() {
    const OpenSaeRequest r = request();
    m_error->setText(r.check());
    if (!m_error->text().isEmpty())
        return;
    Q_EMIT importRequested(r);
    QDialog::accept();
}

} // namespace mistudio::ui
