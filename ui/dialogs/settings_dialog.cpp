#include "dialogs/settings_dialog.h"

#include "mistudio/environment.h"
#include "settings/studio_settings.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QThread>

namespace mistudio::ui {

SettingsDialog::SettingsDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Settings"));
    const StudioSettings s = StudioSettings::load();
    auto* form = new QFormLayout(this);

    m_token = new QLineEdit(this);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("hf_… (leave empty to keep the current token)"));
    m_token->setToolTip(
        tr("Needed for gated models (Llama, Gemma): accept the license on the model "
           "page first. Stored with owner-only permissions in %1, never logged.")
            .arg(TokenStore::tokenFilePath()));
    const QString current = TokenStore::load();
    m_tokenState = new QLabel(current.isEmpty() ? tr("No token stored")
                                                : tr("Stored: %1").arg(TokenStore::masked(current)),
                              this);
    form->addRow(tr("Hugging Face token"), m_token);
    form->addRow(QString(), m_tokenState);

    m_cache = new QLineEdit(s.cacheFolder, this);
    m_cache->setPlaceholderText(tr("Hugging Face default (~/.cache/huggingface/hub)"));
    form->addRow(tr("Model cache folder"), m_cache);

    m_device = new QComboBox(this);
    m_device->addItem(QStringLiteral("cpu"));
    const EnvironmentInfo env = describeEnvironment();
    for (const auto& d : env.cudaDevices)
        m_device->addItem(QStringLiteral("cuda:%1").arg(d.index), QString::fromStdString(d.name));
    m_device->setCurrentText(s.device);
    form->addRow(tr("Device"), m_device);

    m_threads = new QSpinBox(this);
    m_threads->setRange(0, 4 * QThread::idealThreadCount());
    m_threads->setSpecialValueText(tr("one per core"));
    m_threads->setValue(s.threads);
    form->addRow(tr("CPU threads"), m_threads);

    m_theme = new QComboBox(this);
    m_theme->addItems({QStringLiteral("system"), QStringLiteral("light"), QStringLiteral("dark")});
    m_theme->setCurrentText(s.theme);
    form->addRow(tr("Theme"), m_theme);

    m_errorLabel = new QLabel(this);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #b91c1c"));
    m_errorLabel->setWordWrap(true);
    form->addRow(m_errorLabel);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (apply())
            accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

bool SettingsDialog::apply() {
    m_error.clear();
    const QString cache = m_cache->text().trimmed();
    if (!cache.isEmpty() && QFileInfo::exists(cache) && !QFileInfo(cache).isDir())
        m_error = tr("The cache folder %1 is a file. Choose a folder, or leave it empty for the "
                     "Hugging Face default.")
                      .arg(cache);
    const QString token = m_token->text().trimmed();
    if (m_error.isEmpty() && !token.isEmpty() && !token.startsWith(QLatin1String("hf_")))
        m_error = tr("A Hugging Face token starts with 'hf_'. Copy it from "
                     "https://huggingface.co/settings/tokens.");
    if (m_error.isEmpty() && !token.isEmpty()) {
        QString why;
        if (!TokenStore::save(token, &why))
            m_error = why;
    }
    m_errorLabel->setText(m_error);
    if (!m_error.isEmpty())
        return false;
    StudioSettings s;
    s.cacheFolder = cache;
    s.device = m_device->currentText();
    s.threads = m_threads->value();
    s.theme = m_theme->currentText();
    s.save();
    applyTheme(s.theme);
    setComputeThreads(s.threads);
    return true;
}

} // namespace mistudio::ui
