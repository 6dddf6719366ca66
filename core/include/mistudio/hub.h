#pragma once
// Where a model (or dataset) comes from: a local folder, or a Hugging Face Hub id resolved in the
// Hugging Face cache with the exact layout of the official `huggingface_hub` library, so files
// downloaded by Python tools are found and ours are usable by them:
//   <cache>/models--org--name/blobs/<sha256 or git blob id>
//   <cache>/models--org--name/snapshots/<commit>/<file>  -> ../../blobs/<...> (relative symlink)
//   <cache>/models--org--name/refs/<revision>            (holds the commit sha)
// Plain structs only (no LibTorch, no Qt): the GUI uses this header too.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mistudio {

class JobContext;

namespace hub {

enum class RepoType { Model, Dataset };

/// "model" / "dataset".
const char* repoTypeName(RepoType type);
/// Parses "model" / "dataset" (also "models" / "datasets"); throws InvalidArgument otherwise.
RepoType parseRepoType(const std::string& name);

/// A repository on the Hub at a revision (branch, tag, commit sha or "refs/pr/N").
struct RepoId {
    std::string repo; // "org/name" (or a legacy single "name", e.g. "gpt2")
    RepoType type = RepoType::Model;
    std::string revision = "main";
};

/// Parses "org/name[@revision]". `revision`, when not empty, overrides the one after '@'.
/// Throws InvalidArgument for names the Hub does not allow (and anything with "..", '\\', ...).
RepoId parseRepoId(const std::string& id, RepoType type = RepoType::Model,
                   const std::string& revision = {});

/// A model reference as the user typed it: a local folder or a Hub id.
struct ModelRef {
    bool isLocal = false;
    std::string localPath; // when isLocal
    RepoId hub;            // otherwise
};

/// A path that exists as a folder, or starts with '/', './', '../' or '~', is local; anything else
/// is a Hub id "org/name[@revision]" (transformers' rule: an existing folder wins).
ModelRef parseModelRef(const std::string& ref);

/// How to reach the Hub and where the cache is. fromEnvironment() reads the variables
/// huggingface_hub reads; callers (the studio's settings) may then override fields.
struct HubSettings {
    std::string endpoint = "https://huggingface.co"; // HF_ENDPOINT
    std::string cacheDir;                            // HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/...
    /// Bearer token. fromEnvironment(): HF_TOKEN, else the file huggingface-cli login writes
    /// ($HF_TOKEN_PATH or $HF_HOME/token). Never logged.
    std::string token;
    bool offline = false; // HF_HUB_OFFLINE=1: resolve from the cache only
    long connectTimeoutSeconds = 10;
    /// A transfer slower than 1 byte/s for this long counts as a dropped connection.
    long stallTimeoutSeconds = 60;
    int maxAttempts = 5;      // per request: retries after cuts, resets and 5xx
    long retryDelayMs = 1000; // grows linearly with the attempt number
    int64_t reserveBytes = 0; // free disk to keep beyond the download itself

    static HubSettings fromEnvironment();
};

/// The cache folder huggingface_hub uses: $HF_HUB_CACHE, else $HF_HOME/hub, else
/// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::string defaultCacheDir();
/// "models--org--name" / "datasets--org--name".
std::string repoFolderName(const RepoId& id);

/// One file of a repository as the Hub lists it.
struct RepoFile {
    std::string path;      // "config.json", "data/train-00000.parquet" (untrusted until checked)
    int64_t size = -1;     // bytes; -1 when the listing does not say
    std::string blobId;    // git blob id (sha1 hex) when given
    std::string lfsSha256; // sha256 hex of the content for LFS files, empty otherwise
    /// The name of the file's blob in the cache: the LFS sha256, else the git blob id.
    std::string blobName() const { return lfsSha256.empty() ? blobId : lfsSha256; }
};

struct RepoInfo {
    RepoId id;
    std::string commit; // 40-hex sha the revision points to
    bool gated = false;
    std::vector<RepoFile> files;
};

/// GET {endpoint}/api/{models|datasets}/{repo}/revision/{rev}?blobs=true.
RepoInfo fetchRepoInfo(const RepoId& id, const HubSettings& settings);

/// Which listed files to download. Paths are repo-relative with '/'.
using FileFilter = std::function<bool(const std::string& path)>;
/// What a model needs: config.json, generation_config.json, tokenizer files, *.safetensors and
/// model.safetensors.index.json, at the top level. Never pickle/.h5/.msgpack/.onnx/.gguf.
bool isModelFile(const std::string& path);
/// Dataset files at any depth: .parquet .json .jsonl .csv .tsv .txt.
bool isDatasetFile(const std::string& path);

struct DownloadResult {
    std::string snapshotDir; // <cache>/<repo folder>/snapshots/<commit>
    std::string commit;
    std::vector<std::string> files; // repo-relative paths present in the snapshot
    int filesDownloaded = 0;        // 0 on a cache hit
    int64_t bytesDownloaded = 0;    // bytes received over the network
};

/// Downloads the files `filter` accepts (default: isModelFile for models, isDatasetFile for
/// datasets) into the cache and returns the snapshot. Files already in the snapshot are not
/// requested again. With settings.offline the snapshot comes from the cache only. A model repo
/// with pickle weights and no safetensors is refused before anything is downloaded.
/// Progress ("download", bytes) and cancellation go through `ctx` when given.
DownloadResult downloadRepo(const RepoId& id, const HubSettings& settings,
                            const FileFilter& filter = {}, JobContext* ctx = nullptr);

/// The snapshot folder of a revision already in the cache (refs/<revision> or a commit sha),
/// or nullopt. Touches no network.
std::optional<std::string> cachedSnapshot(const RepoId& id, const std::string& cacheDir);

/// A model reference to a folder on disk: a local folder as is (NotFound when missing); a Hub id
/// from the cache, downloading what is missing unless settings.offline.
std::string resolveModelPath(const std::string& ref, const HubSettings& settings,
                             JobContext* ctx = nullptr);

/// A Hub dataset as the user names it: "hf:org/name[:config][:split][@revision]" (the "hf:"
/// prefix is optional here; "@revision" may also come right after the name).
struct DatasetSpec {
    RepoId id; // type Dataset; revision "main" unless given
    bool revisionGiven = false;
    std::string config; // empty: "default" (or the only config there is)
    std::string split;  // empty: "train" (or the only split there is)
    /// "hf:org/name:X" with one field: X is the config when the dataset has a config X, else
    /// the split of the default config (as in "hf:stas/openwebtext-10k:train").
    bool configOrSplit = false;
};

/// True when `spec` starts with "hf:".
bool isHubDatasetSpec(const std::string& spec);
/// Parses a dataset spec; throws InvalidArgument (with the expected form) on anything else.
DatasetSpec parseDatasetSpec(const std::string& spec);

/// The local files (absolute paths, in shard order) of a dataset split. Prefers the Hub's Parquet
/// conversion (revision refs/convert/parquet: <config>/<split>/NNNN.parquet, or the older
/// <config>/<name>-<split>[-0000x-of-0000n].parquet) when no other revision was asked, else the
/// repo's own data files (.parquet .jsonl .json .csv .tsv .txt) whose path names the split
/// (data/train-*.parquet, train.jsonl, test/..., "validation"/"valid"/"dev"/"val" ...; all of
/// them are "train" when none does). Downloads only those files (progress and cancellation
/// through `ctx`); offline (settings.offline, or the Hub unreachable) from the cache. A missing
/// config or split is NotFound naming the ones that exist.
std::vector<std::string> resolveDatasetFiles(const std::string& spec, const HubSettings& settings,
                                             JobContext* ctx = nullptr);

/// A sparse autoencoder's folder on disk. `ref` is a local folder, or "hf:org/name[/SUB/FOLDER]
/// [@revision]" (SAELens-style releases:
/// jbloom/GPT2-Small-SAEs-Reformatted/blocks.8.hook_resid_post, Gemma Scope
/// layer_20/width_16k/average_l0_71, sparsify's layers.6): only the files under that folder an SAE
/// needs are downloaded (*.json configs, *.safetensors incl. sparsity, *.npz,
/// *.npy), never pickles. Returns <snapshot>/<SUB/FOLDER>. A folder without SAE files is NotFound
/// naming SAE folders the repo has.
std::string resolveSaeFolder(const std::string& ref, const HubSettings& settings,
                             JobContext* ctx = nullptr);

/// A repository found in the Hugging Face cache (models--*, datasets--* with a snapshot).
struct CachedRepo {
    RepoId id;               // revision: the ref that names the snapshot ("main"), or its commit
    std::string snapshotDir; // the snapshot of that ref (else the newest one)
    int64_t sizeBytes = 0;   // of its blobs
};

/// The models and datasets in the cache at `cacheDir` (huggingface_hub's layout, so repos
/// downloaded by Python tools are listed too), models first, each sorted by name. Folders that
/// are not repos, and repos without a snapshot, are skipped. Touches no network.
std::vector<CachedRepo> listCachedRepos(const std::string& cacheDir);

/// Whether the Hub answers, for the studio's first start.
struct HubProbe {
    bool reachable = false;
    bool offlineMode = false; // HF_HUB_OFFLINE (settings.offline): not even asked
    std::string detail;       // why it is not reachable, in words
};

/// Asks the Hub for `repo`'s listing with a total timeout of `timeoutSeconds`. Any HTTP answer
/// counts as reachable (a 401 or 404 comes from a Hub too); no answer, or settings.offline, is
/// unreachable. Never throws.
HubProbe probeHub(const HubSettings& settings, const std::string& repo, long timeoutSeconds = 4);

} // namespace hub
} // namespace mistudio
