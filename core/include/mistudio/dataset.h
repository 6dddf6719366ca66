#pragma once
// Local text datasets as a stream of documents: .txt, .jsonl, .json, .csv, .tsv, .parquet and
// folders of them. Nothing is loaded whole: DocumentReader::next() reads lazily and
// previewDataset() reads the first N documents (the dataset wizard). LibTorch-free.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mistudio::data {

/// How a .txt file becomes documents.
enum class TxtSplit {
    File,       // the whole file is one document
    BlankLines, // blocks separated by one or more blank lines are documents
};

struct DatasetSpec {
    std::string path;               // a file or a folder (read recursively, sorted)
    std::string textField = "text"; // JSON field, CSV/TSV column or Parquet column
    TxtSplit txtSplit = TxtSplit::File;
    /// Longest line/record/JSON element accepted: longer ones are refused with a message
    /// instead of being allocated (a 4 GB line must not take the machine down).
    uint64_t maxRecordBytes = 64ull << 20;
    /// Longest .txt document (TxtSplit::File reads the whole file).
    uint64_t maxDocumentBytes = 256ull << 20;
};

struct Document {
    uint64_t id = 0;    // 0-based index in reading order (the id token windows refer to)
    std::string text;   // valid UTF-8
    std::string source; // file the document came from
    uint64_t line = 0;  // 1-based line (jsonl/txt/csv), element (json) or row (parquet)
};

struct ReadStats {
    uint64_t documents = 0;
    uint64_t files = 0;
    uint64_t invalidUtf8 = 0;     // invalid byte sequences replaced by U+FFFD
    uint64_t nulls = 0;           // null / missing-as-null values skipped (JSON null, Parquet null)
    uint64_t emptySkipped = 0;    // documents that were empty or only whitespace
    uint64_t nulCharsRemoved = 0; // U+0000 characters removed from decoded strings
};

/// Streams the documents of a dataset. Errors (missing field, bad file, unknown extension,
/// empty dataset) are thrown as mistudio::Exception with the file and line.
class DocumentReader {
public:
    explicit DocumentReader(DatasetSpec spec);
    ~DocumentReader();
    DocumentReader(const DocumentReader&) = delete;
    DocumentReader& operator=(const DocumentReader&) = delete;

    /// The next document, or nullopt at the end. Throws when the dataset held no document.
    std::optional<Document> next();
    const ReadStats& stats() const;
    /// The files the dataset is made of, in reading order.
    const std::vector<std::string>& files() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

/// The first `limit` documents (fewer if the dataset is shorter), plus the reading statistics.
struct Preview {
    std::vector<Document> documents;
    ReadStats stats;
    std::vector<std::string> files;
};
Preview previewDataset(const DatasetSpec& spec, size_t limit);

/// Extensions a dataset file may have (".txt", ".jsonl", ...).
const std::vector<std::string>& supportedExtensions();

} // namespace mistudio::data
