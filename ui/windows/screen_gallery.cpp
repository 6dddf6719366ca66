#include "windows/screen_gallery.h"

#include "dialogs/new_run_wizard.h"
#include "dialogs/open_sae_dialog.h"
#include "dialogs/wizard_pages.h"
#include "windows/first_start.h"
#include "windows/main_window.h"
#include "windows/report_panel.h"

#include <QEventLoop>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>

namespace mistudio::ui {

namespace {

/// Runs the event loop until `signal` fires on `sender` (or 20 s pass).
template <typename Sender, typename Signal> void waitFor(Sender* sender, Signal signal) {
    QEventLoop loop;
    QObject::connect(sender, signal, &loop, &QEventLoop::quit);
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    loop.exec();
}

/// The latest run's model, hook and dataset when the project has them, else the demo plan.
RunPlan galleryPlan(const std::shared_ptr<Project>& project) {
    RunPlan plan = quickLookPlan();
    if (!project)
        return plan;
    const auto runs = project->runs();
    const auto models = project->models();
    for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
        const auto model = std::find_if(models.begin(), models.end(), [&](const ModelRecord& m) {
            return run->modelId && m.id == *run->modelId && !m.localPath.empty();
        });
        if (model == models.end())
            continue;
        plan.model = QString::fromStdString(model->localPath);
        plan.hooks = QStringList{QString::fromStdString(run->hook)};
        const auto datasets = project->datasets();
        if (!datasets.empty())
            plan.dataset = QString::fromStdString(datasets.back().spec);
        break;
    }
    return plan;
}

} // namespace

void appendGalleryScreens(std::vector<std::pair<QString, QWidget*>>& screens, MainWindow* window,
                          const std::shared_ptr<Project>& project) {
    const RunPlan plan = galleryPlan(project);
    const QString projectPath =
        project ? QString::fromStdString(project->path()) : QStringLiteral("demo.mistudio");
    const std::pair<NewRunWizard::PageId, const char*> pages[] = {
        {NewRunWizard::Model, "wizard_model"}, {NewRunWizard::Precision, "wizard_precision"},
        {NewRunWizard::Hook, "wizard_hook"},   {NewRunWizard::Dataset, "wizard_dataset"},
        {NewRunWizard::Sae, "wizard_sae"},     {NewRunWizard::Review, "wizard_review"}};
    for (const auto& [id, name] : pages) {
        auto* wizard = new NewRunWizard(projectPath, window, &plan);
        wizard->setAttribute(Qt::WA_DeleteOnClose);
        // The lookup fills the model's size and folder that later pages show (a local folder
        // takes milliseconds; a Hub id not in the cache says so on the model page).
        wizard->modelPage()->lookUp();
        waitFor(wizard->modelPage(), &ModelPage::lookupFinished);
        wizard->setStartId(id);
        wizard->show(); // restart(): initialises the start page from the plan
        screens.emplace_back(QString::fromLatin1(name), wizard);
    }
    auto* dialog = new OpenSaeDialog(window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    OpenSaeRequest example;
    example.sae = QStringLiteral("hf:jbloom/GPT2-Small-SAEs-Reformatted/blocks.8.hook_resid_post");
    example.model = QStringLiteral("gpt2");
    example.dataset = QStringLiteral("hf:NeelNanda/pile-10k");
    dialog->setRequest(example);
    dialog->show();
    screens.emplace_back(QStringLiteral("open_sae"), dialog);

    ReportPanel* report = window->reportPanel();
    if (report->previewPending())
        waitFor(report, &ReportPanel::previewReady);
    if (auto* tabs = window->findChild<QTabWidget*>(QStringLiteral("centralTabs")))
        tabs->setCurrentWidget(report);
    screens.emplace_back(QStringLiteral("report"), window);
}

} // namespace mistudio::ui
