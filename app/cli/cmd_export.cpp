// mistudio-cli export --project P --run RUN --format saelens|neuronpedia|csv|json|html --out PATH
#include "cli.h"
#include "mistudio/project.h"
#include "mistudio/report.h"
#include "mistudio/result.h"

#include <filesystem>
#include <iostream>

namespace mistudio::cli {

namespace {
namespace fs = std::filesystem;

/// Copies the run's SAELens folder (cfg.json, sae_weights.safetensors, sparsity.safetensors) to
/// `out` through a temporary folder renamed at the end.
void exportSaeLens(const Project& project, const RunRecord& run, const std::string& out) {
    if (run.saePath.empty())
        throw Exception(ErrorCode::NotFound, "run " + std::to_string(run.id) + " has no saved SAE",
                        project.path(), "Export after training finished (status done)");
    const fs::path source = project.resolveAssetPath(run.saePath);
    if (!fs::is_directory(source))
        throw Exception(ErrorCode::NotFound,
                        "the SAE folder of run " + std::to_string(run.id) + " is missing",
                        source.string(), "The project's assets folder was moved or deleted");
    if (fs::exists(out))
        throw Exception(ErrorCode::InvalidArgument, "the output folder already exists", out,
                        "Choose a new folder name");
    const fs::path tmp = fs::path(out).string() + ".tmp";
    fs::remove_all(tmp);
    fs::copy(source, tmp, fs::copy_options::recursive);
    fs::rename(tmp, out);
}
} // namespace

int runExport(ArgParser& args) {
    const std::string projectPath = args.required("--project");
    const long long runId = args.intOr("--run", -1);
    const std::string format = args.required("--format");
    const std::string out = args.required("--out");
    ReportOptions options;
    options.featureSelection = args.valueOr("--features", options.featureSelection);
    options.topFeatures = static_cast<int>(args.intOr("--top", options.topFeatures));
    args.finish();
    if (runId < 0)
        throw UsageError("missing --run (see `mistudio-cli runs --project P --json` for the ids)");
    const Project project = Project::open(projectPath);
    const RunRecord run = project.run(runId);
    std::vector<std::string> files;
    if (format == "saelens") {
        exportSaeLens(project, run, out);
        files.push_back(out);
    } else {
        files = exportRun(project, runId, format, out, options);
    }
    for (const auto& f : files)
        std::cout << f << "\n";
    return 0;
}

} // namespace mistudio::cli
