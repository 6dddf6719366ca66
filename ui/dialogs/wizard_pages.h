#pragma once
// The pages of the new-run wizard. Each page edits the shared RunPlan and refuses "Next" with a
// message when its part is invalid (RunPlan::check*), so nothing fails only after Start.

#include "models/run_plan.h"

#include <QFutureWatcher>
#include <QWizardPage>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QSlider;
class QSpinBox;
class QDoubleSpinBox;

namespace mistudio::ui {

/// What the model lookup found (or why it failed), computed off the GUI thread.
struct ModelLookup {
    QString error;
    QString folder;
    QString family;
    int nLayers = 0;
    int dModel = 0;
    qint64 nParams = 0;
    bool tokenizer = false;
    bool residMid = true;
};
ModelLookup lookUpModel(const QString& reference);

/// Shows `message` in `label` (red) and returns whether it is empty (the page is valid).
bool showCheck(QLabel* label, const QString& message);

class ModelPage : public QWizardPage {
    Q_OBJECT
public:
    ModelPage(RunPlan* plan, QWidget* parent = nullptr);
    bool validatePage() override;
    /// Looks the model up (local folder: config + headers; Hub id: the cache or the Hub) off the
    /// GUI thread; `lookupFinished` fires when the result is shown.
    void lookUp();
    QString folder() const { return m_folder; }
    /// Puts `banner` above the field (the Hub's state) and, when `cached` is not empty, a list of
    /// the models already in the Hugging Face cache that fills the field when picked.
    void offerSources(const QString& banner, const QStringList& cached);
    QLabel* banner() const { return m_banner; }
Q_SIGNALS:
    void lookupFinished(bool ok);

private:
    RunPlan* m_plan;
    QLineEdit* m_model = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_error = nullptr;
    QFutureWatcher<ModelLookup>* m_watcher = nullptr;
    QString m_folder;
    QLabel* m_banner = nullptr;
};

class PrecisionPage : public QWizardPage {
    Q_OBJECT
public:
    PrecisionPage(RunPlan* plan, QWidget* parent = nullptr);
    void initializePage() override;
    bool validatePage() override;
    void updatePrediction();

private:
    friend class NewRunWizard;
    RunPlan* m_plan;
    QString m_folder; // the looked-up local folder
    QComboBox* m_quant = nullptr;
    QComboBox* m_device = nullptr;
    QLabel* m_prediction = nullptr;
    QLabel* m_error = nullptr;
};

class HookPage : public QWizardPage {
    Q_OBJECT
public:
    HookPage(RunPlan* plan, QWidget* parent = nullptr);
    void initializePage() override;
    bool validatePage() override;
    QString currentHook() const;
    bool m_residMid = true;

private:
    RunPlan* m_plan;
    QSlider* m_layer = nullptr;
    QComboBox* m_kind = nullptr;
    QLabel* m_name = nullptr;
    QListWidget* m_chosen = nullptr;
    QLabel* m_error = nullptr;
};

class DatasetPage : public QWizardPage {
    Q_OBJECT
public:
    DatasetPage(RunPlan* plan, QWidget* parent = nullptr);
    bool validatePage() override;
    void preview();
    /// A list of the datasets already in the Hugging Face cache that fills the field when picked.
    void offerCachedDatasets(const QStringList& specs);

private:
    RunPlan* m_plan;
    QLineEdit* m_dataset = nullptr;
    QLineEdit* m_field = nullptr;
    QSpinBox* m_tokensK = nullptr;
    QSpinBox* m_context = nullptr;
    QPlainTextEdit* m_preview = nullptr;
    QLabel* m_error = nullptr;
};

class SaePage : public QWizardPage {
    Q_OBJECT
public:
    SaePage(RunPlan* plan, QWidget* parent = nullptr);
    void initializePage() override;
    bool validatePage() override;

private:
    void load();
    RunPlan* m_plan;
    QComboBox* m_preset = nullptr;
    QComboBox* m_arch = nullptr;
    QSpinBox* m_expansion = nullptr;
    QSpinBox* m_k = nullptr;
    QDoubleSpinBox* m_l1 = nullptr;
    QDoubleSpinBox* m_targetL0 = nullptr;
    QDoubleSpinBox* m_lr = nullptr;
    QSpinBox* m_batch = nullptr;
    QLabel* m_error = nullptr;
};

class ReviewPage : public QWizardPage {
    Q_OBJECT
public:
    ReviewPage(RunPlan* plan, QString projectPath, QWidget* parent = nullptr);
    void initializePage() override;
    /// Writes the run as a cluster job into `dir` (RUN.json for `mistudio-cli train`, a
    /// torchrun-style launch script and a SLURM batch script; docs/DISTRIBUTED.md) for the nodes
    /// and GPUs chosen on the page. False with the reason shown on the page.
    bool exportClusterJob(const QString& dir);

private:
    RunPlan* m_plan;
    QString m_projectPath;
    QLabel* m_summary = nullptr;
    QPlainTextEdit* m_json = nullptr;
    QLineEdit* m_command = nullptr;
    QSpinBox* m_nodes = nullptr;
    QSpinBox* m_gpusPerNode = nullptr;
    QLabel* m_clusterStatus = nullptr;
};

} // namespace mistudio::ui
