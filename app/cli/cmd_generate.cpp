// mistudio-cli generate: greedy continuation of a prompt (a quick sanity check of a model).
#include "cli.h"
#include "mistudio/result.h"
#include "model/transformer.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

// The tokenizer lives on its own branch until merged; --prompt-ids works without it.
#if __has_include("mistudio/tokenizer.h")
#include "mistudio/tokenizer.h"
#define MISTUDIO_HAVE_TOKENIZER 1
#endif

namespace mistudio::cli {

namespace {
std::vector<int64_t> parseIds(const std::string& text) {
    std::vector<int64_t> ids;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            size_t pos = 0;
            ids.push_back(std::stoll(item, &pos));
            if (pos != item.size())
                throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
            throw UsageError("--prompt-ids expects comma-separated integers, got '" + item + "'");
        }
    }
    if (ids.empty())
        throw UsageError("--prompt-ids is empty");
    return ids;
}
} // namespace

int runGenerate(ArgParser& args) {
    const std::string modelDir = args.required("--model");
    const auto prompt = args.value("--prompt");
    const auto promptIds = args.value("--prompt-ids");
    const long long maxNew = args.intOr("--max-new-tokens", 40);
    model::LoadOptions options;
    options.device = args.valueOr("--device", "cpu");
    options.dtype = args.valueOr("--dtype", "float32");
    const bool json = args.flag("--json");
    args.finish();
    if (prompt.has_value() == promptIds.has_value())
        throw UsageError("give either --prompt TEXT or --prompt-ids 1,2,3");
    if (maxNew < 0 || maxNew > 1000000)
        throw UsageError("--max-new-tokens must be between 0 and 1000000");

    std::vector<int64_t> ids;
#ifdef MISTUDIO_HAVE_TOKENIZER
    std::optional<Tokenizer> tokenizer;
    if (prompt) {
        tokenizer = Tokenizer::load(modelDir);
        for (int32_t id : tokenizer->encode(*prompt).ids)
            ids.push_back(id);
    }
#else
    if (prompt)
        throw Exception(ErrorCode::Unsupported, "this build has no tokenizer", "--prompt",
                        "Pass token ids with --prompt-ids 1,2,3");
#endif
    if (promptIds)
        ids = parseIds(*promptIds);

    auto model = model::Transformer::open(modelDir, options);
    const std::vector<int64_t> added = model::generateGreedy(*model, ids, maxNew);
    std::string text;
#ifdef MISTUDIO_HAVE_TOKENIZER
    if (tokenizer) {
        std::vector<int32_t> all(ids.begin(), ids.end());
        all.insert(all.end(), added.begin(), added.end());
        text = tokenizer->decode(all, true);
    }
#endif
    if (json) {
        nlohmann::json j = {{"prompt_ids", ids}, {"new_ids", added}};
        if (prompt)
            j["text"] = text;
        std::cout << j.dump() << "\n";
    } else if (prompt) {
        std::cout << text << "\n";
    } else {
        for (size_t i = 0; i < added.size(); ++i)
            std::cout << (i ? "," : "") << added[i];
        std::cout << "\n";
    }
    return 0;
}

} // namespace mistudio::cli
