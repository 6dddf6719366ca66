#pragma once
// The default a new user meets: off the GUI thread, ask whether the Hugging Face Hub answers
// (short timeout; HF_HUB_OFFLINE respected) and list what the Hugging Face cache already holds.
// Online, the new-run wizard opens pre-filled with examples/quick-look.json (a small model, a small
// dataset, the "Quick look" preset); offline, the studio says so and offers local folders and the
// cached models and datasets.

#include "models/run_plan.h"

#include <QString>
#include <QStringList>

namespace mistudio::ui {

struct FirstStartState {
    bool online = false;
    QString detail;             // why the Hub is not used (empty when online)
    QStringList cachedModels;   // Hub ids in the cache ("org/name")
    QStringList cachedDatasets; // as dataset specs ("hf:org/name")
    QString cacheDir;

    /// One sentence for the status bar and the wizard's banner.
    QString message() const;
};

/// Probes the Hub named by the environment (HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN) with the demo
/// model's listing and reads the cache (HF_HUB_CACHE...). Blocking: call it off the GUI thread.
FirstStartState probeFirstStart(const QString& demoModel, int timeoutSeconds = 4);

/// The plan of examples/quick-look.json (compiled into the resources).
RunPlan quickLookPlan();
/// A plan from a RUN.json object (the keys RunPlan::toRunJson writes), on top of `base`.
RunPlan planFromRunJson(const QJsonObject& json, RunPlan base);

/// Where the studio keeps the demo project when started without one.
QString defaultDemoProjectPath();

} // namespace mistudio::ui
