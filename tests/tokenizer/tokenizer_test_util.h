#pragma once
// Shared helpers of the tokenizer tests: golden cases, cached fixture tokenizers, temp files.

#include "mistudio/tokenizer.h"

#include <QString>
#include <string>
#include <vector>

namespace mistudio::test {

struct TokenizerCase {
    std::string text;
    std::vector<int32_t> ids;
    std::vector<int32_t> idsWithSpecial;
    std::vector<std::string> tokens;
    std::string decoded;
};

/// fixtures/tokenizers/<name>/cases.jsonl.
std::vector<TokenizerCase> readCases(const std::string& folder);
/// Tokenizer::load of fixtures/tokenizers/<name>, loaded once per process.
const Tokenizer& fixtureTokenizer(const std::string& name);
std::string tokenizerFolder(const std::string& name);
/// Writes `content` to a new file in a per-process temp folder; returns its path.
std::string writeTemp(const std::string& name, const std::string& content);
std::string readFile(const std::string& path);
/// "[1, 2, 3]" for messages.
std::string show(const std::vector<int32_t>& ids);

} // namespace mistudio::test
