#pragma once
// Settings: Hugging Face token, cache folder, device, threads, theme.

#include <QDialog>

class QComboBox;
class QLineEdit;
class QSpinBox;
class QLabel;

namespace mistudio::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget* parent = nullptr);
    /// Validates and saves; returns false (and shows why on the dialog) when something is wrong.
    bool apply();
    QString lastError() const { return m_error; }

private:
    QLineEdit* m_token = nullptr;
    QLabel* m_tokenState = nullptr;
    QLineEdit* m_cache = nullptr;
    QComboBox* m_device = nullptr;
    QSpinBox* m_threads = nullptr;
    QComboBox* m_theme = nullptr;
    QLabel* m_errorLabel = nullptr;
    QString m_error;
};

} // namespace mistudio::ui
