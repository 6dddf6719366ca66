#pragma once
// Plain value types stored in a miStudio project (mistudio/project.h): models, datasets, runs,
// metrics and the per-feature analysis results. No LibTorch, no Qt.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mistudio {

/// A language model the project uses. Quantization is recorded three ways: what the checkpoint
/// holds, what the user asked for, and what actually ran (they differ when a kernel is missing).
struct ModelRecord {
    int64_t id = 0; // assigned by the project
    std::string hubId;
    std::string revision; // commit sha
    std::string localPath;
    std::string family; // "gpt2", "llama", ...
    int64_t dModel = 0;
    int64_t nLayers = 0;
    int64_t vocabSize = 0;
    std::string quantSaved;
    std::string quantRequested;
    std::string quantEffective;
};

struct DatasetRecord {
    int64_t id = 0;
    std::string spec; // e.g. "hf:roneneldan/TinyStories:train" or a local path
    int64_t tokenCount = 0;
    int64_t documentCount = 0;
};

enum class RunStatus { Running, Done, Failed, Cancelled };
/// "running" | "done" | "failed" | "cancelled".
const char* runStatusName(RunStatus status);
/// Parses runStatusName's output; throws Exception(InvalidArgument) otherwise.
RunStatus parseRunStatus(const std::string& name);

/// A training run or an imported SAE. Paths are relative to the project's assets folder.
struct RunRecord {
    int64_t id = 0; // assigned by the project
    std::string name;
    std::optional<int64_t> modelId;
    std::optional<int64_t> datasetId;
    std::string configJson = "{}"; // the full training config
    RunStatus status = RunStatus::Running;
    std::string created; // ISO 8601 UTC, set by the project
    std::string started;
    std::string ended;
    std::string device;
    std::string error;        // message of a failed run
    std::string saePath;      // relative to NAME.assets/
    std::string hook;         // e.g. "blocks.6.hook_resid_post"
    std::string architecture; // "relu" | "topk" | "jumprelu" | ...
    int64_t dIn = 0;
    int64_t dSae = 0;
};

struct MetricPoint {
    int64_t step = 0;
    std::string name;
    double value = 0;
};

struct EvalValue {
    std::string metric;
    double value = 0;
};

/// Bits of FeatureStats::flags.
enum FeatureFlag : uint32_t {
    FeatureDead = 1u << 0,      // never fired on the analysed tokens
    FeatureDense = 1u << 1,     // fires on a large fraction of tokens
    FeatureUltraRare = 1u << 2, // fires, but extremely rarely
};

struct FeatureStats {
    int64_t index = 0;
    double density = 0; // fraction of tokens on which the feature is > 0
    double maxActivation = 0;
    double meanActivation = 0; // over the tokens where it fires
    std::string label;
    std::string notes;
    std::vector<std::string> tags;
    uint32_t flags = 0;
};

enum class ExampleKind { Top = 0, Quantile = 1, Random = 2 };

/// One context window: its tokens and this feature's activation on each of them.
struct FeatureExample {
    ExampleKind kind = ExampleKind::Top;
    int bin = 0;                   // quantile bin k (0 = lowest); 0 for top/random
    int rank = 0;                  // order within (kind, bin); 0 = best
    double binMin = 0, binMax = 0; // the quantile bin's activation range
    double binContains = 0;        // fraction of firing tokens that fall in the bin
    int64_t documentId = -1;
    int64_t documentOffset = 0; // position of the window's first token in the document
    std::vector<int32_t> tokenIds;
    std::vector<std::string> tokens; // strings for tokenIds (stored once per run and token)
    std::vector<float> activations;  // same length as tokenIds
    int maxPosition = -1;            // index of the peak; computed when < 0
};

struct TokenValue {
    int32_t tokenId = 0;
    std::string token;
    float value = 0;
};

/// A histogram of a feature's non-zero activations: edges.size() == counts.size() + 1.
struct Histogram {
    std::vector<float> edges;
    std::vector<int64_t> counts;
};

struct Neighbor {
    int64_t index = 0;
    float cosine = 0; // decoder cosine similarity
};

/// Everything the analysis knows about one feature; also what a feature page shows.
struct FeatureRecord {
    FeatureStats stats;
    std::vector<FeatureExample> examples;   // top, quantile and random, in any order
    std::vector<TokenValue> logitsPositive; // most promoted first
    std::vector<TokenValue> logitsNegative; // most suppressed first
    Histogram histogram;
    std::vector<Neighbor> neighbors; // nearest first
};

/// One feature's page, examples split by kind and in rank order.
struct FeaturePage {
    FeatureStats stats;
    std::vector<FeatureExample> topExamples;
    std::vector<FeatureExample> quantileExamples; // by bin (highest first), then rank
    std::vector<FeatureExample> randomExamples;
    std::vector<TokenValue> logitsPositive;
    std::vector<TokenValue> logitsNegative;
    Histogram histogram;
    std::vector<Neighbor> neighbors;
};

enum class FeatureSort { Index, Density, MaxActivation, MeanActivation, Label };

/// A page of the feature list. Every filter is optional and they combine with AND.
struct FeatureQuery {
    FeatureSort sort = FeatureSort::Index;
    bool descending = false;
    int64_t offset = 0;
    int64_t limit = 100;
    std::optional<double> minDensity; // inclusive
    std::optional<double> maxDensity; // inclusive
    uint32_t requireFlags = 0;        // all of these bits set
    uint32_t excludeFlags = 0;        // none of these bits set
    std::string text;                 // case-insensitive substring of label or notes
    std::string tag;                  // exact tag
    /// Fires on token: a stored example of the feature has this token with activation > 0.
    std::optional<int32_t> firesOnTokenId;
    /// The same by token text; matches the exact string, or ignoring case and surrounding space.
    std::string firesOnToken;
};

struct FeatureList {
    int64_t total = 0; // rows matching the filters, ignoring offset/limit
    std::vector<FeatureStats> rows;
};

} // namespace mistudio
