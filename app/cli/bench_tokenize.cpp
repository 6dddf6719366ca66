// `mistudio-cli bench tokenize`: encode throughput of a tokenizer over a text file, on one thread
// and on all threads. FILE is plain text (one document per line) or JSON lines with "text".
#include "cli.h"
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

namespace mistudio::cli {

namespace {

std::vector<std::string> readDocuments(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Exception(ErrorCode::NotFound, "cannot open --input " + path, "",
                        "pass a text file (one document per line) or a .jsonl with \"text\"");
    const bool jsonl = path.size() > 6 && path.substr(path.size() - 6) == ".jsonl";
    std::vector<std::string> docs;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        if (!jsonl) {
            docs.push_back(line + "\n");
            continue;
        }
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("text") && j["text"].is_string())
            docs.push_back(j["text"].get<std::string>());
    }
    if (docs.empty())
        throw Exception(ErrorCode::InvalidFormat, "no text in --input " + path, "",
                        "give a file with some text in it");
    return docs;
}

// Repeats `pass` until at least `minSeconds` have passed (and at least twice); returns seconds
// per pass.
template <typename Fn> double timePerPass(Fn pass, double minSeconds) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    int passes = 0;
    double elapsed = 0;
    do {
        pass();
        ++passes;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < minSeconds || passes < 2);
    return elapsed / passes;
}

} // namespace

int runBenchTokenize(ArgParser& args) {
    const std::string path = args.required("--tokenizer");
    const std::string input = args.required("--input");
    const long long threadsFlag = args.intOr("--threads", 0);
    args.finish();
    const int threads = threadsFlag > 0 ? static_cast<int>(threadsFlag)
                                        : static_cast<int>(std::thread::hardware_concurrency());
    const Tokenizer tk = Tokenizer::load(path);
    const std::vector<std::string> docs = readDocuments(input);
    size_t bytes = 0;
    for (const auto& d : docs)
        bytes += d.size();

    size_t tokens = 0;
    for (const auto& d : docs) // warm-up pass, also counts tokens
        tokens += tk.encode(d, false).ids.size();
    const double single = timePerPass(
        [&] {
            for (const auto& d : docs)
                tk.encode(d, false);
        },
        2.0);
    const double all = timePerPass([&] { tk.encodeBatch(docs, false, threads); }, 2.0);
    const double mbSingle = static_cast<double>(bytes) / 1e6 / single;
    const double mbAll = static_cast<double>(bytes) / 1e6 / all;

    std::printf("tokenizer      %s\n", tk.info().path.c_str());
    std::printf("input          %s (%zu documents, %.2f MB, %zu tokens)\n", input.c_str(),
                docs.size(), static_cast<double>(bytes) / 1e6, tokens);
    std::printf("%-14s %8s %12s %14s\n", "mode", "threads", "MB/s", "tokens/s");
    std::printf("%-14s %8d %12.2f %14.0f\n", "single", 1, mbSingle,
                static_cast<double>(tokens) / single);
    std::printf("%-14s %8d %12.2f %14.0f\n", "all threads", threads, mbAll,
                static_cast<double>(tokens) / all);
    const nlohmann::json j = {{"tokenizer", tk.info().path}, {"input_bytes", bytes},
                              {"documents", docs.size()},    {"tokens", tokens},
                              {"threads", threads},          {"mb_per_s_single", mbSingle},
                              {"mb_per_s_all", mbAll}};
    std::cout << j.dump() << std::endl;
    return 0;
}

} // namespace mistudio::cli
