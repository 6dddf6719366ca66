#pragma once
// "Open published SAE": a SAELens-format SAE from the Hub (hf:REPO/SUBFOLDER) or a folder, with
// its model (Hub id or folder), imported as a run of the open project and analysed on a dataset,
// so its features can be browsed without training. Input is checked on the dialog; the import and
// the analysis run as one engine job (see openSaeJob).

#include "mistudio/engine.h"

#include <QDialog>
#include <QString>

class QLabel;
class QLineEdit;
class QSpinBox;

namespace mistudio::ui {

struct OpenSaeRequest {
    QString sae;     // folder or hf:REPO[/SUBFOLDER][@rev]
    QString model;   // folder or Hub id
    QString hook;    // empty: the SAE's cfg hook_name
    QString dataset; // local file/folder or hf:user/name[:config][:split] for the analysis
    QString textField = QStringLiteral("text");
    qint64 tokens = 200'000;

    /// Empty when the request can be started, else a sentence saying what to fix (checked on the
    /// dialog: missing fields, local folders and files that do not exist, a folder without
    /// cfg.json). Touches no network.
    QString check() const;
};

/// The engine job: resolves the SAE and model (downloading Hub ones into the HF cache), records
/// the SAE as a run of the project at `projectPath`, then analyses it. Progress goes to the
/// dashboard like a training run's.
JobFunction openSaeJob(const QString& projectPath, const OpenSaeRequest& request);

class OpenSaeDialog : public QDialog {
    Q_OBJECT
public:
    explicit OpenSaeDialog(QWidget* parent = nullptr);

    OpenSaeRequest request() const;
    void setRequest(const OpenSaeRequest& request);
    /// The message under the fields (empty when the input was accepted).
    QString errorText() const;

    /// Checks the input; on success emits importRequested and closes.
    void accept() override;

Q_SIGNALS:
    void importRequested(const mistudio::ui::OpenSaeRequest& request);

private:
    QLineEdit* m_sae = nullptr;
    QLineEdit* m_model = nullptr;
    QLineEdit* m_hook = nullptr;
    QLineEdit* m_dataset = nullptr;
    QLineEdit* m_textField = nullptr;
    QSpinBox* m_tokensK = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace mistudio::ui
