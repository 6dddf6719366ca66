#pragma once
// Which files of a dataset repo belong to which config and split: the Hub's Parquet conversion
// layout, and the split names huggingface `datasets` reads from a repo's own file names.

#include <map>
#include <string>
#include <vector>

namespace mistudio::hub {

/// config -> split -> repo-relative files, sorted (shard order).
using DatasetLayout = std::map<std::string, std::map<std::string, std::vector<std::string>>>;

/// refs/convert/parquet: <config>/<split>/NNNN.parquet (also <config>/partial-<split>/...) and the
/// older <config>/<name>-<split>[-0000x-of-0000n].parquet. Other files are ignored.
DatasetLayout parquetConversionLayout(const std::vector<std::string>& paths);

/// A repo's own data files: config "default" holds them all, and each top-level folder that
/// holds data files (other than data/ and split folders) is also a config of the files under it.
/// A file's split is the first split keyword among its file-name words, then its folders
/// (innermost first): train|training, validation|valid|dev|val, test|testing|eval|evaluation,
/// split on - . _ and space. When no file names a split, all are "train". Metadata files
/// (dataset_info.json, ...) and paths with a segment starting with '.' or '_' are skipped.
DatasetLayout repoDataLayout(const std::vector<std::string>& paths);

} // namespace mistudio::hub
