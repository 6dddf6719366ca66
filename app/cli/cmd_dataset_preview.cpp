// mistudio-cli dataset-preview SPEC [--text-field F] [--limit N] [--txt-split file|blank-lines]
// Prints the first documents of a local dataset as JSON lines (what the dataset wizard shows);
// a summary of what was read goes to stderr.
#include "cli.h"
#include "mistudio/dataset.h"
#include "mistudio/result.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

int runDatasetPreview(ArgParser& args) {
    data::DatasetSpec spec;
    spec.textField = args.valueOr("--text-field", "text");
    const long long limit = args.intOr("--limit", 10);
    if (limit < 0)
        throw UsageError("--limit must be 0 or more");
    const std::string split = args.valueOr("--txt-split", "file");
    if (split == "blank-lines")
        spec.txtSplit = data::TxtSplit::BlankLines;
    else if (split != "file")
        throw UsageError("--txt-split expects 'file' or 'blank-lines', got '" + split + "'");
    const auto pos = args.positionals();
    args.finish();
    if (pos.size() != 1)
        throw UsageError("expected one dataset SPEC (a file or a folder)");
    spec.path = pos[0];
    if (spec.path.rfind("hf:", 0) == 0)
        throw Exception(ErrorCode::Unsupported, "Hub datasets are not previewed yet", spec.path,
                        "download the dataset's files and give their local path");

    const data::Preview p = data::previewDataset(spec, static_cast<size_t>(limit));
    for (const auto& d : p.documents) {
        const nlohmann::json j = {
            {"id", d.id}, {"text", d.text}, {"source", d.source}, {"line", d.line}};
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    std::cerr << p.documents.size() << " documents from " << p.stats.files << " of "
              << p.files.size() << " files";
    if (p.stats.invalidUtf8)
        std::cerr << "; " << p.stats.invalidUtf8 << " invalid UTF-8 sequences replaced by U+FFFD";
    if (p.stats.nulls)
        std::cerr << "; " << p.stats.nulls << " null values skipped";
    if (p.stats.emptySkipped)
        std::cerr << "; " << p.stats.emptySkipped << " empty documents skipped";
    if (p.stats.nulCharsRemoved)
        std::cerr << "; " << p.stats.nulCharsRemoved << " NUL characters removed";
    std::cerr << "\n";
    return 0;
}

} // namespace mistudio::cli
