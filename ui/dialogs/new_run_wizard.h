#pragma once
// New run: model → precision → hook → dataset → SAE → review. Emits the plan on Start; the main
// window runs it as an engine job.

#include <QWizard>

#include "models/run_plan.h"

namespace mistudio::ui {

class ModelPage;
class PrecisionPage;
class HookPage;
class DatasetPage;
struct FirstStartState;

class NewRunWizard : public QWizard {
    Q_OBJECT
public:
    enum PageId { Model, Precision, Hook, Dataset, Sae, Review };
    /// Starts from `initial` when given, else from the "quick" preset.
    explicit NewRunWizard(const QString& projectPath, QWidget* parent = nullptr,
                          const RunPlan* initial = nullptr);

    RunPlan& plan() { return m_plan; }
    ModelPage* modelPage() const { return m_modelPage; }
    DatasetPage* datasetPage() const { return m_datasetPage; }
    /// Says whether the Hub is reachable and offers what the Hugging Face cache holds.
    void showHubState(const FirstStartState& state);

Q_SIGNALS:
    void runRequested(const QJsonObject& runJson);

private:
    RunPlan m_plan;
    ModelPage* m_modelPage = nullptr;
    PrecisionPage* m_precisionPage = nullptr;
    HookPage* m_hookPage = nullptr;
    DatasetPage* m_datasetPage = nullptr;
};

}  // namespace mistudio::ui
