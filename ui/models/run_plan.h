#pragma once
// What the new-run wizard collects, with the checks each page runs and the RUN.json / command
// line it produces (the same file `mistudio-cli run --config RUN.json` and `train` read).

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace mistudio::ui {

struct RunPlan {
    // Model and precision
    QString model;                 // Hub id "org/name[@rev]" or a local folder
    QString family;                // filled by the model lookup
    int nLayers = 0;
    int dModel = 0;
    QString quant = QStringLiteral("none");
    QString device = QStringLiteral("cpu");
    // Hooks
    QStringList hooks;
    // Dataset
    QString dataset;
    QString textField = QStringLiteral("text");
    qint64 tokens = 2'000'000;
    int contextLength = 128;
    // SAE
    QString architecture = QStringLiteral("batchtopk");
    int expansionFactor = 8;       // d_sae = expansion × d_model unless dSae > 0
    int dSae = 0;
    int k = 64;
    double l1Coefficient = 5.0;
    double targetL0 = 0;
    double lr = 0;                 // 0: the recipe's default for the width
    int batchSize = 4096;
    int seed = 42;
    QString out;                   // where checkpoints and the SAE go

    /// Presets: "quick" (minutes on a laptop CPU), "standard", "research".
    void applyPreset(const QString& preset);
    static QStringList presetNames();

    // Each returns an empty string when the page is valid, else a sentence saying what to fix.
    QString checkModel() const;
    QString checkHooks() const;
    QString checkDataset() const;
    QString checkSae() const;

    int effectiveDSae() const { return dSae > 0 ? dSae : expansionFactor * dModel; }
    QJsonObject toRunJson() const;
    /// The equivalent headless command.
    QString cliCommand(const QString& runJsonPath, const QString& projectPath) const;
    /// The architectures the trainer knows, with a one-line description each.
    static QStringList architectures();
};

}  // namespace mistudio::ui
