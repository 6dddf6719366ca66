#include "dialogs/new_run_wizard.h"

#include "dialogs/wizard_pages.h"
#include "windows/first_start.h"

namespace mistudio::ui {

NewRunWizard::NewRunWizard(const QString& projectPath, QWidget* parent, const RunPlan* initial)
    : QWizard(parent) {
    setWindowTitle(tr("New run"));
    setOption(QWizard::NoBackButtonOnStartPage);
    if (initial)
        m_plan = *initial;
    else
        m_plan.applyPreset(QStringLiteral("quick"));
    m_modelPage = new ModelPage(&m_plan, this);
    m_precisionPage = new PrecisionPage(&m_plan, this);
    m_hookPage = new HookPage(&m_plan, this);
    setPage(Model, m_modelPage);
    setPage(Precision, m_precisionPage);
    setPage(Hook, m_hookPage);
    m_datasetPage = new DatasetPage(&m_plan, this);
    setPage(Dataset, m_datasetPage);
    setPage(Sae, new SaePage(&m_plan, this));
    setPage(Review, new ReviewPage(&m_plan, projectPath, this));
    setButtonText(QWizard::FinishButton, tr("Start"));
    connect(m_modelPage, &ModelPage::lookupFinished, this, [this] {
        m_precisionPage->m_folder = m_modelPage->folder();
        m_hookPage->m_residMid = m_modelPage->property("residMid").toBool();
    });
    connect(this, &QWizard::accepted, this, [this] { Q_EMIT runRequested(m_plan.toRunJson()); });
}

void NewRunWizard::showHubState(const FirstStartState& state) {
    m_modelPage->offerSources(state.message(), state.online ? QStringList() : state.cachedModels);
    if (!state.online)
        m_datasetPage->offerCachedDatasets(state.cachedDatasets);
}

}  // namespace mistudio::ui
