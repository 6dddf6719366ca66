#pragma once
// The playground's state, apart from its widgets: the run whose SAE reads the text, the text, the
// highlighted feature and the latest result. Every computation is a tagged engine task, so the
// GUI thread never runs the model and a burst of edits collapses into one or two forwards.

#include "mistudio/playground.h"
#include "widgets/token_heatmap.h"

#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

namespace mistudio::ui {

class EngineBridge;

class PlaygroundModel : public QObject {
    Q_OBJECT
public:
    enum class Highlight { TotalActivity, SelectedFeature };
    /// Tags of the engine tasks (a newer task replaces a queued one with the same tag).
    static constexpr const char* kLoadTag = "playground-load";
    static constexpr const char* kEncodeTag = "playground";

    explicit PlaygroundModel(EngineBridge* bridge, QObject* parent = nullptr);

    /// Uses the SAE of `runId`; the session is loaded on the engine thread with the first text.
    /// A run without an SAE folder (still training, failed) leaves the playground empty, saying
    /// why.
    void setRun(const std::shared_ptr<Project>& project, int64_t runId);
    /// Uses an SAE and model folder directly (an imported SAE, tests).
    void setSource(const PlaygroundSource& source);
    void clear();

    void setText(const QString& text);
    void setSelectedFeature(qint64 feature);
    void setHighlight(Highlight highlight);
    void setTopFeatures(int count);

    QString text() const { return m_text; }
    qint64 selectedFeature() const { return m_options.selectedFeature; }
    Highlight highlight() const { return m_highlight; }
    bool hasSource() const { return m_slot != nullptr; }
    bool isLoaded() const { return m_dSae > 0; }
    QString hook() const { return m_hook; }
    qint64 dSae() const { return m_dSae; }
    QString status() const { return m_status; }
    /// The status is an error (the run has no SAE, loading or encoding failed).
    bool failed() const { return m_failed; }

    /// The latest result (possibly for an older text while a newer one is computed).
    const PlaygroundResult& result() const { return m_result; }
    /// True when result() is for the current text and selected feature.
    bool resultIsCurrent() const;
    /// The result's tokens with the highlighted value as their activation.
    std::vector<HeatToken> heatTokens() const;
    /// Full-intensity value for the heatmap: the largest highlighted value over non-special
    /// tokens (a BOS often carries huge activations that would wash out the text).
    float heatScale() const;

    /// Engine computations (encodes) run so far; requests replaced in the queue never run.
    int computations() const { return m_computations->load(); }
    int requests() const { return m_requests; }

Q_SIGNALS:
    void loaded();
    void resultChanged();
    void highlightChanged();
    void statusChanged(const QString& status);

private:
    struct Slot; // the engine thread's session; the GUI thread only holds the pointer
    void requestEncode();
    void setStatus(const QString& status, bool failed = false);
    void onTaskFailed(const QString& tag, const QString& error);

    EngineBridge* m_bridge;
    std::shared_ptr<Slot> m_slot;
    std::shared_ptr<std::atomic<int>> m_computations = std::make_shared<std::atomic<int>>(0);
    bool m_loadPosted = false;
    int m_requests = 0;
    QString m_text;
    PlaygroundOptions m_options;
    Highlight m_highlight = Highlight::TotalActivity;
    PlaygroundResult m_result;
    QString m_hook;
    qint64 m_dSae = 0;
    QString m_status;
    bool m_failed = false;
};

} // namespace mistudio::ui
