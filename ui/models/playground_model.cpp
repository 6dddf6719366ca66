#include "models/playground_model.h"

#include "bridge/engine_bridge.h"
#include "mistudio/result.h"

#include <algorithm>

namespace mistudio::ui {

/// Lives on the engine thread once posted: the source is read there, the session made and used
/// there. The GUI thread keeps the pointer only to hand it to the next task.
struct PlaygroundModel::Slot {
    PlaygroundSource source;
    std::unique_ptr<PlaygroundSession> session;
    std::string loadError; // why open() failed; every later encode reports it
};

PlaygroundModel::PlaygroundModel(EngineBridge* bridge, QObject* parent)
    : QObject(parent), m_bridge(bridge) {
    connect(m_bridge, &EngineBridge::taskFailed, this, &PlaygroundModel::onTaskFailed);
}

void PlaygroundModel::setRun(const std::shared_ptr<Project>& project, int64_t runId) {
    if (!project || runId < 0) {
        clear();
        return;
    }
    try {
        setSource(PlaygroundSession::sourceForRun(*project, runId));
    } catch (const std::exception& e) {
        clear();
        setStatus(QString::fromStdString(e.what()), true);
    }
}

void PlaygroundModel::setSource(const PlaygroundSource& source) {
    if (m_slot && m_slot->source.modelFolder == source.modelFolder &&
        m_slot->source.saeFolder == source.saeFolder && m_slot->source.hook == source.hook &&
        m_slot->source.device == source.device)
        return; // the same SAE again (e.g. the run list refreshed): keep the loaded session
    clear();
    m_slot = std::make_shared<Slot>();
    m_slot->source = source;
    setStatus(tr("Type a text: the model runs to %1 and the SAE encodes it.")
                  .arg(QString::fromStdString(source.hook)));
    if (!m_text.isEmpty())
        requestEncode();
}

void PlaygroundModel::clear() {
    m_slot.reset(); // a task already posted keeps its own reference and finishes harmlessly
    m_loadPosted = false;
    m_hook.clear();
    m_dSae = 0;
    m_result = {};
    setStatus(tr("Open a run with a trained SAE to try texts on it."));
    Q_EMIT resultChanged();
}

void PlaygroundModel::setText(const QString& text) {
    if (text == m_text)
        return;
    m_text = text;
    requestEncode();
}

void PlaygroundModel::setSelectedFeature(qint64 feature) {
    if (feature == m_options.selectedFeature)
        return;
    m_options.selectedFeature = feature;
    requestEncode();
}

void PlaygroundModel::setHighlight(Highlight highlight) {
    if (highlight == m_highlight)
        return;
    m_highlight = highlight;
    Q_EMIT highlightChanged(); // the values are in the result already: nothing to compute
}

void PlaygroundModel::setTopFeatures(int count) {
    m_options.topFeatures = std::max(count, 1);
    requestEncode();
}

bool PlaygroundModel::resultIsCurrent() const {
    return m_result.text == m_text.toStdString() &&
           m_result.selectedFeature == m_options.selectedFeature;
}

std::vector<HeatToken> PlaygroundModel::heatTokens() const {
    std::vector<HeatToken> out;
    out.reserve(m_result.tokens.size());
    const bool byFeature =
        m_highlight == Highlight::SelectedFeature && m_result.selectedFeature >= 0;
    for (const PlaygroundToken& t : m_result.tokens)
        out.push_back({QString::fromStdString(t.text), t.id, byFeature ? t.selected : t.total});
    return out;
}

float PlaygroundModel::heatScale() const {
    const auto tokens = heatTokens();
    float scale = 0;
    for (size_t i = 0; i < tokens.size(); ++i)
        if (!m_result.tokens[i].special)
            scale = std::max(scale, tokens[i].activation);
    return scale;
}

void PlaygroundModel::requestEncode() {
    if (!m_slot || m_text.isEmpty())
        return;
    if (!m_loadPosted) {
        m_loadPosted = true;
        setStatus(tr("Loading the model and the SAE…"));
        m_bridge->postTask(QString::fromLatin1(kLoadTag), this, [this, slot = m_slot] {
            try {
                slot->session = PlaygroundSession::open(slot->source);
            } catch (const std::exception& e) {
                slot->loadError = e.what();
                throw;
            }
            const QString hook = QString::fromStdString(slot->session->hook());
            const qint64 dSae = slot->session->dSae();
            return std::function<void()>([this, slot, hook, dSae] {
                if (slot != m_slot)
                    return; // another run was chosen meanwhile
                m_hook = hook;
                m_dSae = dSae;
                Q_EMIT loaded();
            });
        });
    }
    ++m_requests;
    // Only values cross threads: the text and options as they are now, the slot by pointer.
    m_bridge->postTask(
        QString::fromLatin1(kEncodeTag), this,
        [this, slot = m_slot, text = m_text.toStdString(), options = m_options,
         counter = m_computations] {
            if (!slot->session)
                throw Exception(ErrorCode::InvalidArgument, slot->loadError);
            ++*counter;
            auto result = std::make_shared<PlaygroundResult>(slot->session->encode(text, options));
            return std::function<void()>([this, slot, result] {
                if (slot != m_slot)
                    return;
                m_result = std::move(*result);
                setStatus(tr("%1 tokens%2 · %3 · d_sae %4")
                              .arg(m_result.tokens.size())
                              .arg(m_result.truncated ? tr(" (cut at the context)") : QString())
                              .arg(m_hook)
                              .arg(m_dSae));
                Q_EMIT resultChanged();
            });
        });
}

void PlaygroundModel::setStatus(const QString& status, bool failed) {
    m_failed = failed;
    m_status = status;
    Q_EMIT statusChanged(status);
}

void PlaygroundModel::onTaskFailed(const QString& tag, const QString& error) {
    if (tag == QLatin1String(kLoadTag) || tag == QLatin1String(kEncodeTag))
        setStatus(error, true);
}

} // namespace mistudio::ui
