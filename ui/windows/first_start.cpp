#include "windows/first_start.h"

#include "mistudio/hub.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>

// resources.qrc lives in the static mistudio_ui library: register it before reading from it
// (Q_INIT_RESOURCE must be used outside a namespace). The app's main() does it too.
static void initUiResources() {
    static const bool once = [] {
        Q_INIT_RESOURCE(resources);
        return true;
    }();
    (void)once;
}

namespace mistudio::ui {

QString FirstStartState::message() const {
    if (online)
        return QObject::tr("The Hugging Face Hub is reachable: the wizard starts from the Quick "
                           "look demo (a small model on a small dataset, minutes on a CPU).");
    QString text = QObject::tr("Offline: %1. Choose a local folder").arg(detail);
    if (cachedModels.isEmpty() && cachedDatasets.isEmpty())
        return text + QObject::tr(" (the Hugging Face cache %1 is empty).").arg(cacheDir);
    return text + QObject::tr(" or what the Hugging Face cache holds: %1 model(s), %2 dataset(s).")
                      .arg(cachedModels.size())
                      .arg(cachedDatasets.size());
}

FirstStartState probeFirstStart(const QString& demoModel, int timeoutSeconds) {
    FirstStartState state;
    const hub::HubSettings settings = hub::HubSettings::fromEnvironment();
    const hub::HubProbe probe = hub::probeHub(settings, demoModel.toStdString(), timeoutSeconds);
    state.online = probe.reachable;
    state.detail = QString::fromStdString(probe.detail);
    state.cacheDir = QString::fromStdString(settings.cacheDir);
    for (const hub::CachedRepo& repo : hub::listCachedRepos(settings.cacheDir)) {
        const QString id = QString::fromStdString(repo.id.repo);
        if (repo.id.type == hub::RepoType::Model)
            state.cachedModels << id;
        else
            state.cachedDatasets << QStringLiteral("hf:") + id;
    }
    return state;
}

RunPlan planFromRunJson(const QJsonObject& j, RunPlan p) {
    p.model = j.value(QStringLiteral("model")).toString(p.model);
    const QJsonValue hook = j.value(QStringLiteral("hook"));
    if (hook.isString())
        p.hooks = QStringList{hook.toString()};
    else if (hook.isArray())
        p.hooks = hook.toVariant().toStringList();
    p.dataset = j.value(QStringLiteral("dataset")).toString(p.dataset);
    p.textField = j.value(QStringLiteral("text_field")).toString(p.textField);
    p.tokens = j.value(QStringLiteral("tokens")).toInteger(p.tokens);
    p.contextLength = j.value(QStringLiteral("context_length")).toInt(p.contextLength);
    p.quant = j.value(QStringLiteral("quant")).toString(p.quant);
    p.device = j.value(QStringLiteral("device")).toString(p.device);
    p.seed = j.value(QStringLiteral("seed")).toInt(p.seed);
    const QJsonObject sae = j.value(QStringLiteral("sae")).toObject();
    p.architecture = sae.value(QStringLiteral("architecture")).toString(p.architecture);
    p.expansionFactor = sae.value(QStringLiteral("expansion_factor")).toInt(p.expansionFactor);
    p.dSae = sae.value(QStringLiteral("d_sae")).toInt(0);
    p.k = sae.value(QStringLiteral("k")).toInt(p.k);
    p.batchSize = sae.value(QStringLiteral("batch_size")).toInt(p.batchSize);
    p.l1Coefficient = sae.value(QStringLiteral("l1_coefficient")).toDouble(p.l1Coefficient);
    p.targetL0 = sae.value(QStringLiteral("target_l0")).toDouble(p.targetL0);
    p.lr = sae.value(QStringLiteral("lr")).toDouble(p.lr);
    return p;
}

RunPlan quickLookPlan() {
    initUiResources();
    RunPlan base;
    base.applyPreset(QStringLiteral("quick"));
    QFile f(QStringLiteral(":/mistudio/examples/quick-look.json"));
    if (!f.open(QIODevice::ReadOnly))
        return base;
    return planFromRunJson(QJsonDocument::fromJson(f.readAll()).object(), base);
}

QString defaultDemoProjectPath() {
    const QString docs = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QDir(docs.isEmpty() ? QDir::homePath() : docs)
        .filePath(QStringLiteral("miStudio/demo.mistudio"));
}

} // namespace mistudio::ui
