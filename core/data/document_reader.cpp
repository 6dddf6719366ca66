#include "data/line_reader.h"
#include "data/sources.h"
#include "data/text_util.h"
#include "mistudio/dataset.h"
#include "mistudio/result.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace mistudio::data {

const std::vector<std::string>& supportedExtensions() {
    static const std::vector<std::string> exts = {".txt", ".jsonl",  ".json",   ".csv",
                                                  ".tsv", ".ndjson", ".parquet"};
    return exts;
}

namespace {

std::string lowerExtension(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e;
}

bool supported(const fs::path& p) {
    const auto& exts = supportedExtensions();
    return std::find(exts.begin(), exts.end(), lowerExtension(p)) != exts.end();
}

// The dataset's files: the path itself, or every supported file under a folder, sorted so the
// document order (and ids) never depend on the file system's listing order.
std::vector<std::string> listFiles(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        throw Exception(ErrorCode::NotFound, "dataset not found", path,
                        "give a file (.txt, .jsonl, .json, .csv, .tsv, .parquet) or a folder");
    if (!fs::is_directory(status)) {
        if (!supported(path))
            throw Exception(ErrorCode::Unsupported,
                            "unknown dataset file extension '" +
                                fs::path(path).extension().string() + "'",
                            path, "use .txt, .jsonl, .json, .csv, .tsv or .parquet");
        return {path};
    }
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') { // hidden files and folders (.git, .cache)
            if (it->is_directory())
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file() && supported(it->path()))
            files.push_back(it->path().string());
    }
    if (ec)
        throw Exception(ErrorCode::Io, "cannot list the dataset folder: " + ec.message(), path,
                        "check its permissions");
    std::sort(files.begin(), files.end());
    if (files.empty())
        throw Exception(ErrorCode::NotFound, "the dataset folder holds no dataset file", path,
                        "put .txt, .jsonl, .json, .csv, .tsv or .parquet files in it");
    return files;
}

std::unique_ptr<RecordSource> openSource(const std::string& file, const DatasetSpec& spec) {
    const std::string ext = lowerExtension(file);
    if (ext == ".txt")
        return openTxt(file, spec);
    if (ext == ".jsonl" || ext == ".ndjson")
        return openJsonLines(file, spec);
    if (ext == ".json")
        return openJsonArray(file, spec);
    if (ext == ".csv")
        return openDelimited(file, spec, ',');
    if (ext == ".tsv")
        return openDelimited(file, spec, '\t');
    return openParquet(file, spec);
}

} // namespace

struct DocumentReader::Impl {
    DatasetSpec spec;
    std::vector<std::string> files;
    size_t nextFile = 0;
    std::unique_ptr<RecordSource> source;
    uint64_t sourceNulls = 0;
    std::string currentFile;
    ReadStats stats;
    bool finished = false;

    bool advanceFile() {
        source.reset();
        if (nextFile >= files.size())
            return false;
        currentFile = files[nextFile++];
        source = openSource(currentFile, spec);
        sourceNulls = 0;
        ++stats.files;
        return true;
    }
};

DocumentReader::DocumentReader(DatasetSpec spec) : m_impl(std::make_unique<Impl>()) {
    if (spec.textField.empty())
        throw Exception(ErrorCode::InvalidArgument, "the text field name is empty", "",
                        "use --text-field to name the field or column that holds the text");
    m_impl->files = listFiles(spec.path);
    m_impl->spec = std::move(spec);
}

DocumentReader::~DocumentReader() = default;

std::optional<Document> DocumentReader::next() {
    Impl& d = *m_impl;
    RawRecord r;
    while (!d.finished) {
        if (!d.source && !d.advanceFile())
            break;
        const bool got = d.source->next(r);
        const uint64_t nulls = d.source->nullsSkipped();
        d.stats.nulls += nulls - d.sourceNulls;
        d.sourceNulls = nulls;
        if (!got) {
            d.source.reset();
            continue;
        }
        if (r.isNull) {
            ++d.stats.nulls;
            continue;
        }
        d.stats.invalidUtf8 += r.invalidUtf8 + repairUtf8(r.text);
        d.stats.nulCharsRemoved += r.decodedNuls;
        if (isBlank(r.text)) {
            ++d.stats.emptySkipped;
            continue;
        }
        Document doc{d.stats.documents++, std::move(r.text), d.currentFile, r.line};
        return doc;
    }
    d.finished = true;
    if (d.stats.documents == 0)
        throw Exception(ErrorCode::InvalidArgument,
                        "the dataset holds no documents (" + std::to_string(d.stats.emptySkipped) +
                            " empty, " + std::to_string(d.stats.nulls) + " null)",
                        d.spec.path, "check --text-field and that the files contain text");
    return std::nullopt;
}

const ReadStats& DocumentReader::stats() const {
    return m_impl->stats;
}
const std::vector<std::string>& DocumentReader::files() const {
    return m_impl->files;
}

Preview previewDataset(const DatasetSpec& spec, size_t limit) {
    DocumentReader reader(spec);
    Preview p;
    while (p.documents.size() < limit) {
        auto doc = reader.next();
        if (!doc)
            break;
        p.documents.push_back(std::move(*doc));
    }
    p.stats = reader.stats();
    p.files = reader.files();
    return p;
}

} // namespace mistudio::data
