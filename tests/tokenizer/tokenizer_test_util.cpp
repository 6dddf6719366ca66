#include "tokenizer_test_util.h"

#include "test_support.h"

#include <QTemporaryDir>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio::test {

std::string tokenizerFolder(const std::string& name) {
    return fixture(QStringLiteral("fixtures/tokenizers/%1").arg(QString::fromStdString(name)));
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<TokenizerCase> readCases(const std::string& folder) {
    std::vector<TokenizerCase> out;
    std::istringstream in(readFile(folder + "/cases.jsonl"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        const auto j = nlohmann::json::parse(line);
        TokenizerCase c;
        c.text = j.at("text").get<std::string>();
        c.ids = j.at("ids").get<std::vector<int32_t>>();
        c.idsWithSpecial = j.at("ids_with_special").get<std::vector<int32_t>>();
        c.tokens = j.at("tokens").get<std::vector<std::string>>();
        c.decoded = j.at("decoded").get<std::string>();
        out.push_back(std::move(c));
    }
    return out;
}

const Tokenizer& fixtureTokenizer(const std::string& name) {
    static std::mutex mutex;
    static std::map<std::string, Tokenizer> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(name);
    if (it == cache.end())
        it = cache.emplace(name, Tokenizer::load(tokenizerFolder(name))).first;
    return it->second;
}

std::string writeTemp(const std::string& name, const std::string& content) {
    static QTemporaryDir dir;
    const std::string path = dir.path().toStdString() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

std::string show(const std::vector<int32_t>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i)
        s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "]";
}

} // namespace mistudio::test
