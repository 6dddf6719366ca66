#include "hub/dataset_layout.h"

#include "mistudio/hub.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>

namespace mistudio::hub {

namespace {

std::vector<std::string> splitOn(const std::string& text, const char* separators) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (std::strchr(separators, c)) {
            if (!current.empty())
                out.push_back(current);
            current.clear();
        } else {
            current += char(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    if (!current.empty())
        out.push_back(current);
    return out;
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void sortFiles(DatasetLayout& layout) {
    for (auto& [config, splits] : layout)
        for (auto& [split, files] : splits)
            std::sort(files.begin(), files.end());
}

// The split a keyword stands for, or empty.
std::string splitOfWord(const std::string& word) {
    static const std::map<std::string, std::string> keywords = {
        {"train", "train"},      {"training", "train"}, {"validation", "validation"},
        {"valid", "validation"}, {"dev", "validation"}, {"val", "validation"},
        {"test", "test"},        {"testing", "test"},   {"eval", "test"},
        {"evaluation", "test"}};
    const auto it = keywords.find(word);
    return it == keywords.end() ? std::string() : it->second;
}

std::string splitOfPath(const std::vector<std::string>& segments) {
    // File name words first (minus the extension), then folders innermost first.
    std::string name = segments.back();
    name = name.substr(0, name.rfind('.'));
    for (const auto& w : splitOn(name, "-._ "))
        if (auto s = splitOfWord(w); !s.empty())
            return s;
    for (size_t i = segments.size() - 1; i-- > 0;)
        for (const auto& w : splitOn(segments[i], "-._ "))
            if (auto s = splitOfWord(w); !s.empty())
                return s;
    return {};
}

bool isMetadata(const std::vector<std::string>& segments) {
    for (const auto& s : segments)
        if (s.empty() || s[0] == '.' || s[0] == '_')
            return true;
    static const char* names[] = {"dataset_info.json", "dataset_infos.json", "dataset_dict.json",
                                  "state.json", "requirements.txt"};
    return std::any_of(std::begin(names), std::end(names),
                       [&](const char* n) { return segments.back() == n; });
}

} // namespace

DatasetLayout parquetConversionLayout(const std::vector<std::string>& paths) {
    static const std::regex shardSuffix("-[0-9]{5}-of-[0-9]{5}$");
    DatasetLayout layout;
    for (const auto& path : paths) {
        if (!endsWith(path, ".parquet"))
            continue;
        const auto segments = splitOn(path, "/");
        std::string split;
        if (segments.size() >= 3) {
            split = path.substr(segments[0].size() + 1);
            split = split.substr(0, split.find('/'));
            if (split.rfind("partial-", 0) == 0)
                split = split.substr(8);
        } else if (segments.size() == 2) {
            std::string stem = path.substr(segments[0].size() + 1);
            stem = std::regex_replace(stem.substr(0, stem.size() - 8), shardSuffix, "");
            split = stem.substr(stem.rfind('-') == std::string::npos ? 0 : stem.rfind('-') + 1);
        }
        if (!split.empty())
            layout[path.substr(0, path.find('/'))][split].push_back(path);
    }
    sortFiles(layout);
    return layout;
}

DatasetLayout repoDataLayout(const std::vector<std::string>& paths) {
    std::vector<std::pair<std::string, std::string>> files; // path, split
    bool anySplit = false;
    for (const auto& path : paths) {
        if (!isDatasetFile(path))
            continue;
        const auto segments = splitOn(path, "/");
        if (segments.empty() || isMetadata(segments))
            continue;
        files.emplace_back(path, splitOfPath(segments));
        anySplit |= !files.back().second.empty();
    }
    DatasetLayout layout;
    for (auto& [path, split] : files) {
        if (!anySplit)
            split = "train";
        if (split.empty())
            continue; // a file beside named splits that names none (e.g. data/extra.json)
        layout["default"][split].push_back(path);
        const auto slash = path.find('/');
        if (slash == std::string::npos)
            continue;
        const std::string top = path.substr(0, slash);
        const auto topWords = splitOn(top, "");
        if (top != "data" && !topWords.empty() && splitOfWord(topWords[0]).empty())
            layout[top][split].push_back(path);
    }
    sortFiles(layout);
    return layout;
}

} // namespace mistudio::hub
