// `mistudio-cli tokenize`: JSON lines {"text": ...} in, {"ids": [...], "tokens": [...]} out.
#include "cli.h"
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mistudio::cli {

namespace {

// The tokenizer behind --model (a local model folder) or --tokenizer (file or folder).
Tokenizer loadFromFlags(ArgParser& args) {
    const auto model = args.value("--model");
    const auto path = args.value("--tokenizer");
    if (model.has_value() == path.has_value())
        throw UsageError("give exactly one of --model MODEL or --tokenizer PATH");
    if (model && !std::filesystem::is_directory(*model))
        throw Exception(ErrorCode::NotFound, "--model " + *model + " is not a local model folder",
                        "", "download the model first, or pass --tokenizer PATH");
    return Tokenizer::load(model ? *model : *path);
}

void writeBatch(const Tokenizer& tk, const std::vector<std::string>& texts, bool special) {
    const auto encodings = tk.encodeBatch(texts, special);
    for (const Encoding& e : encodings) {
        const nlohmann::json line = {{"ids", e.ids}, {"tokens", e.tokens}};
        std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
}

} // namespace

int runTokenize(ArgParser& args) {
    const Tokenizer tk = loadFromFlags(args);
    const bool special = !args.flag("--no-special");
    const std::string input = args.required("--input");
    args.finish();
    std::ifstream file;
    if (input != "-") {
        file.open(input, std::ios::binary);
        if (!file)
            throw Exception(ErrorCode::NotFound, "cannot open --input " + input, "",
                            "pass a JSON-lines file with one {\"text\": ...} object per line");
    }
    std::istream& in = input == "-" ? std::cin : file;
    std::vector<std::string> batch;
    std::string line;
    size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw Exception(ErrorCode::InvalidFormat, std::string("not valid JSON: ") + e.what(),
                            input + " line " + std::to_string(lineNo),
                            "each line must be an object like {\"text\": \"...\"}");
        }
        if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
            throw Exception(ErrorCode::InvalidFormat, "line has no string \"text\"",
                            input + " line " + std::to_string(lineNo),
                            "each line must be an object like {\"text\": \"...\"}");
        batch.push_back(j["text"].get<std::string>());
        if (batch.size() == 4096) {
            writeBatch(tk, batch, special);
            batch.clear();
        }
    }
    writeBatch(tk, batch, special);
    std::cout.flush();
    return 0;
}

} // namespace mistudio::cli
