#include "models/run_plan.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

namespace mistudio::ui {

QStringList RunPlan::presetNames() {
    return {QStringLiteral("quick"), QStringLiteral("standard"), QStringLiteral("research")};
}

QStringList RunPlan::architectures() {
    return {QStringLiteral("batchtopk"), QStringLiteral("topk"), QStringLiteral("jumprelu"),
            QStringLiteral("relu")};
}

void RunPlan::applyPreset(const QString& preset) {
    if (preset == QLatin1String("quick")) {  // a first look in minutes on a laptop CPU
        tokens = 200'000;
        expansionFactor = 4;
        k = 32;
        batchSize = 1024;
        contextLength = 128;
    } else if (preset == QLatin1String("standard")) {
        tokens = 20'000'000;
        expansionFactor = 16;
        k = 64;
        batchSize = 4096;
    } else if (preset == QLatin1String("research")) {
        tokens = 500'000'000;
        expansionFactor = 32;
        k = 64;
        batchSize = 4096;
        contextLength = 1024;
    }
    dSae = 0;
    lr = 0;
}

QString RunPlan::checkModel() const {
    if (model.trimmed().isEmpty())
        return QObject::tr("Enter a Hugging Face model id (e.g. EleutherAI/pythia-70m) or choose a local folder.");
    if (family.isEmpty() || nLayers <= 0)
        return QObject::tr("Look the model up first: its family and size are needed to choose a hook.");
    static const QStringList modes = {QStringLiteral("none"), QStringLiteral("bf16"), QStringLiteral("fp16"),
                                      QStringLiteral("int8"), QStringLiteral("nf4"), QStringLiteral("int4")};
    if (!modes.contains(quant))
        return QObject::tr("Unknown precision '%1'.").arg(quant);
    if (device != QLatin1String("cpu") && !device.startsWith(QLatin1String("cuda")))
        return QObject::tr("Unknown device '%1': use cpu or cuda.").arg(device);
    return {};
}

QString RunPlan::checkHooks() const {
    if (hooks.isEmpty())
        return QObject::tr("Choose at least one hook point.");
    static const QRegularExpression re(QStringLiteral(
        R"(^(hook_embed|ln_final\.hook_normalized|blocks\.(\d+)\.hook_(resid_pre|attn_out|resid_mid|mlp_out|resid_post))$)"));
    for (const QString& h : hooks) {
        const auto m = re.match(h);
        if (!m.hasMatch())
            return QObject::tr("'%1' is not a hook name (e.g. blocks.6.hook_resid_post).").arg(h);
        if (m.captured(2).size() && m.captured(2).toInt() >= nLayers)
            return QObject::tr("%1: the model has only %2 layers (0–%3).").arg(h).arg(nLayers).arg(nLayers - 1);
    }
    return {};
}

QString RunPlan::checkDataset() const {
    if (dataset.trimmed().isEmpty())
        return QObject::tr("Choose a dataset: a local file or folder, or hf:user/name[:config][:split].");
    if (!dataset.startsWith(QLatin1String("hf:")) && !QFileInfo::exists(dataset))
        return QObject::tr("%1 does not exist. Pick a file or folder, or use hf:user/name.").arg(dataset);
    if (textField.trimmed().isEmpty())
        return QObject::tr("Name the text field (JSON key, CSV column or Parquet column), usually 'text'.");
    if (tokens < 1000)
        return QObject::tr("The token budget is too small to train an SAE: use at least 1,000 tokens.");
    if (contextLength < 8 || contextLength > 32768)
        return QObject::tr("The context length must be between 8 and 32768 tokens.");
    return {};
}

QString RunPlan::checkSae() const {
    if (!architectures().contains(architecture))
        return QObject::tr("Unknown architecture '%1'.").arg(architecture);
    if (effectiveDSae() <= 0)
        return QObject::tr("Set the SAE width (expansion factor or d_sae).");
    const bool kSparse = architecture == QLatin1String("topk") || architecture == QLatin1String("batchtopk");
    if (kSparse && (k <= 0 || k >= effectiveDSae()))
        return QObject::tr("k must be between 1 and d_sae − 1 (%1).").arg(effectiveDSae() - 1);
    if (architecture == QLatin1String("relu") && l1Coefficient <= 0)
        return QObject::tr("ReLU SAEs need a positive L1 coefficient (the published default is 5).");
    if (batchSize <= 0 || batchSize > tokens)
        return QObject::tr("The batch (tokens per step) must be positive and at most the token budget.");
    return {};
}

QJsonObject RunPlan::toRunJson() const {
    QJsonObject sae{{QStringLiteral("architecture"), architecture}, {QStringLiteral("batch_size"), batchSize}};
    if (dSae > 0)
        sae.insert(QStringLiteral("d_sae"), dSae);
    else
        sae.insert(QStringLiteral("expansion_factor"), expansionFactor);
    if (architecture == QLatin1String("topk") || architecture == QLatin1String("batchtopk"))
        sae.insert(QStringLiteral("k"), k);
    if (architecture == QLatin1String("relu"))
        sae.insert(QStringLiteral("l1_coefficient"), l1Coefficient);
    if (architecture == QLatin1String("jumprelu") && targetL0 > 0)
        sae.insert(QStringLiteral("target_l0"), targetL0);
    if (lr > 0)
        sae.insert(QStringLiteral("lr"), lr);
    QJsonObject run{{QStringLiteral("model"), model},
                    {QStringLiteral("hook"), hooks.size() == 1 ? QJsonValue(hooks.first())
                                                               : QJsonValue(QJsonArray::fromStringList(hooks))},
                    {QStringLiteral("dataset"), dataset},
                    {QStringLiteral("text_field"), textField},
                    {QStringLiteral("tokens"), tokens},
                    {QStringLiteral("context_length"), contextLength},
                    {QStringLiteral("quant"), quant},
                    {QStringLiteral("device"), device},
                    {QStringLiteral("seed"), seed},
                    {QStringLiteral("sae"), sae}};
    if (!out.isEmpty())
        run.insert(QStringLiteral("out"), out);
    return run;
}

QString RunPlan::cliCommand(const QString& runJsonPath, const QString& projectPath) const {
    return QStringLiteral("mistudio-cli run --config %1 --project %2").arg(runJsonPath, projectPath);
}

}  // namespace mistudio::ui
