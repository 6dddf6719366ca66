// libFuzzer target for the project file opener (issue 12): the input is a whole .mistudio file
// (SQLite). Project::open must refuse it with mistudio::Exception or open it; every query on an
// opened project must answer or throw mistudio::Exception (a damaged blob, a bad row), never crash.
//
// Seed: a small real project built by this harness. LLVMFuzzerInitialize writes it into the
// first corpus folder given on the command line (so runs need no fixture and nothing is copied
// into the repository); it is rebuilt with 512-byte pages to keep mutations dense.
#include "mistudio/project.h"
#include "mistudio/result.h"
#include "store/database.h"
#include "store_test_data.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mistudio;

namespace {

const fs::path& scratchDir() {
    static const fs::path dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        auto d = fs::path(tmp && *tmp ? tmp : "/tmp") /
                 ("mistudio-fuzz-project-" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

void removeProject(const fs::path& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(file.string() + suffix, ec);
    fs::remove_all(file.parent_path() / (file.stem().string() + ".assets"), ec);
}

// A project with a model, a dataset, two runs, metrics, evals, token strings and features.
void buildSeed(const fs::path& out) {
    const fs::path file = scratchDir() / "seed.mistudio";
    removeProject(file);
    {
        Project p = Project::create(file.string());
        ModelRecord m;
        m.hubId = "org/model", m.family = "gpt2", m.dModel = 16, m.nLayers = 2, m.vocabSize = 40;
        DatasetRecord d;
        d.spec = "corpus.jsonl", d.tokenCount = 1000, d.documentCount = 10;
        RunRecord r;
        r.name = "seed", r.modelId = p.addModel(m), r.datasetId = p.addDataset(d);
        r.hook = "blocks.1.hook_resid_post", r.architecture = "topk";
        const int64_t run = p.createRun(r);
        p.appendMetrics(run, {{0, "mse", 1.5}, {1, "mse", 1.0}, {1, "l0", 8}});
        p.writeEvals(run, {{"explained_variance", 0.9}});
        p.writeTokenStrings(run, {{0, " the"}, {1, " cat"}});
        p.writeFeatures(run, test::makeFeatures(0, 6, 7, 2, 4, 10));
        p.setFeatureAnnotations(run, 1, "cats", "note", {"animal"});
        p.setRunStatus(run, RunStatus::Done);
        r.name = "second";
        p.setRunStatus(p.createRun(r), RunStatus::Failed, "boom");
    }
    { // Small pages: one mutation touches a larger share of the structure.
        store::Database db(file.string(), store::Database::Mode::ReadWrite);
        db.exec("PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;");
    }
    fs::copy_file(file, out, fs::copy_options::overwrite_existing);
    removeProject(file);
}

template <class F> void tolerate(F&& f) {
    try {
        f();
    } catch (const Exception&) {
    }
}

void exercise(const Project& p) {
    tolerate([&] { (void)p.models(); });
    tolerate([&] { (void)p.datasets(); });
    std::vector<RunRecord> runs;
    tolerate([&] { runs = p.runs(); });
    for (size_t i = 0; i < runs.size() && i < 4; ++i) {
        const int64_t id = runs[i].id;
        tolerate([&] { (void)p.run(id); });
        tolerate([&] { (void)p.metrics(id); });
        tolerate([&] { (void)p.evals(id); });
        tolerate([&] { (void)p.featureCount(id); });
        for (FeatureSort sort : {FeatureSort::Index, FeatureSort::Density, FeatureSort::Label}) {
            FeatureQuery q;
            q.sort = sort, q.limit = 5, q.text = "cat", q.firesOnToken = " the";
            tolerate([&] {
                for (const FeatureStats& s : p.queryFeatures(id, q).rows)
                    tolerate([&] { (void)p.featurePage(id, s.index); });
            });
        }
        tolerate([&] { (void)p.featurePage(id, 0); });
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    for (int i = 1; i < *argc; ++i) {
        const std::string arg = (*argv)[i];
        if (!arg.empty() && arg[0] != '-' && fs::is_directory(arg)) {
            buildSeed(fs::path(arg) / "seed-project.mistudio");
            break;
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const fs::path file = scratchDir() / "input.mistudio";
    removeProject(file);
    {
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    try {
        Project p = Project::open(file.string());
        exercise(p);
    } catch (const Exception&) {
    }
    removeProject(file);
    return 0;
}
