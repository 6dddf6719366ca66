// mistudio-cli export --project P --run RUN --format saelens|neuronpedia|csv|json|html --out PATH
#include "cli.h"
#include "mistudio/project.h"
#include "mistudio/report.h"
#include "mistudio/result.h"

#include <iostream>

namespace mistudio::cli {

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
    (void)project.run(runId); // a missing run is reported before any format check
    const std::vector<std::string> files = exportRun(project, runId, format, out, options);
    for (const auto& f : files)
        std::cout << f << "\n";
    return 0;
}

} // namespace mistudio::cli
