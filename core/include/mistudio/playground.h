#pragma once
// The playground: type a text, run the model up to an SAE's hook (early exit) and encode it with
// the SAE, then read per-token feature activations. A session loads the model, its tokenizer and
// the SAE once; each encode() is one forward of one text. No LibTorch here (pimpl).
//
// Threading: open() and encode() do LibTorch work and belong on the engine thread (the GUI posts
// them as tagged tasks). A session is not safe to use from two threads at once.

#include "mistudio/project.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mistudio {

struct PlaygroundSource {
    std::string modelFolder; // Hugging Face model folder (config.json, safetensors, tokenizer)
    std::string saeFolder;   // SAELens folder (cfg.json + sae_weights.safetensors)
    std::string hook;        // empty: the SAE cfg's hook_name
    std::string device = "cpu";
};

struct PlaygroundOptions {
    int topFeatures = 10;         // strongest features kept per token
    int64_t selectedFeature = -1; // its activation on every token; -1: none
    int maxTokens = 512;          // texts are cut here (and at the model's context length)
};

struct PlaygroundToken {
    int32_t id = 0;
    std::string text;   // readable form (Tokenizer::displayToken)
    uint32_t begin = 0; // byte offsets into the text; {0, 0} for an added BOS
    uint32_t end = 0;
    bool special = false; // BOS/EOS and other special tokens
    float selected = 0;   // activation of the selected feature (0 when none is selected)
    float total = 0;      // sum of all feature activations on this token
    int activeCount = 0;  // features with activation > 0 (the token's L0)
    /// The strongest active features, largest first: (feature index, activation).
    std::vector<std::pair<int64_t, float>> top;
};

struct PlaygroundResult {
    std::string text; // the text that was encoded
    int64_t selectedFeature = -1;
    bool truncated = false; // the text had more tokens than were run
    std::vector<PlaygroundToken> tokens;
};

class PlaygroundSession {
public:
    /// Loads the tokenizer, the SAE and the model's layers up to the hook. Throws
    /// mistudio::Exception when a folder is missing or the SAE does not fit the model.
    static std::unique_ptr<PlaygroundSession> open(const PlaygroundSource& source);
    /// The source of a run of `project`: its model record's local folder and its SAE folder.
    static PlaygroundSource sourceForRun(const Project& project, int64_t runId,
                                         const std::string& device = "cpu");
    ~PlaygroundSession();

    /// Tokenizes `text` (a BOS first when the tokenizer adds one, as in the feature analysis),
    /// runs the model to the hook and encodes every token with the SAE.
    PlaygroundResult encode(const std::string& text, const PlaygroundOptions& options = {});

    const std::string& hook() const;
    int64_t dSae() const;
    int64_t dIn() const;

    struct Impl;

private:
    explicit PlaygroundSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace mistudio
