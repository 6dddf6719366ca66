#pragma once
// The studio's settings (QSettings) and the Hugging Face token. The token is never stored in
// QSettings and never logged: it lives in a 0600 file at huggingface_hub's own location
// ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token), so the CLI and Python
// tools (`huggingface-cli login` writes the same file) share it.

#include <QString>

namespace mistudio::ui {

struct StudioSettings {
    QString cacheFolder; // empty: the Hugging Face default
    QString device = QStringLiteral("cpu");
    int threads = 0;                          // 0: one per core
    QString theme = QStringLiteral("system"); // system | light | dark

    static StudioSettings load();
    void save() const;
};

class TokenStore {
public:
    /// Where the token file lives (huggingface_hub's convention).
    static QString tokenFilePath();
    /// Saves the token with owner-only permissions (0600), written via temp + rename.
    /// Returns false with `error` set when the file cannot be written.
    static bool save(const QString& token, QString* error = nullptr);
    static QString load();
    static bool clear();
    /// "hf_abc…xyz" style display that never reveals the whole token.
    static QString masked(const QString& token);
};

/// Applies the light or dark palette ("system" restores the platform's).
void applyTheme(const QString& theme);

} // namespace mistudio::ui
