#include "dialogs/new_run_wizard.h"

#include "dialogs/wizard_pages.h"

namespace mistudio::ui {

NewRunWizard::NewRunWizard(const QString& projectPath, QWidget* parent) : QWizard(parent) {
    setWindowTitle(tr("New run"));
    setOption(QWizard::NoBackButtonOnStartPage);
    m_plan.applyPreset(QStringLiteral("quick"));
    m_modelPage = new ModelPage(&m_plan, this);
    m_precisionPage = new PrecisionPage(&m_plan, this);
    m_hookPage = new HookPage(&m_plan, this);
    setPage(Model, m_modelPage);
    setPage(Precision, m_precisionPage);
    setPage(Hook, m_hookPage);
    setPage(Dataset, new DatasetPage(&m_plan, this));
    setPage(Sae, new SaePage(&m_plan, this));
    setPage(Review, new ReviewPage(&m_plan, projectPath, this));
    setButtonText(QWizard::FinishButton, tr("Start"));
    connect(m_modelPage, &ModelPage::lookupFinished, this, [this] {
        m_precisionPage->m_folder = m_modelPage->folder();
        m_hookPage->m_residMid = m_modelPage->property("residMid").toBool();
    });
    connect(this, &QWizard::accepted, this, [this] { Q_EMIT runRequested(m_plan.toRunJson()); });
}

}  // namespace mistudio::ui
