// mistudio-cli cluster-job --config RUN.json --nodes N --gpus-per-node G --out DIR
//   [--master-port P] [--partition NAME] [--time HH:MM:SS] [--cli PATH] [--job-name NAME]
// Writes DIR/RUN.json, DIR/launch_torchrun.sh and DIR/job.sbatch (see docs/DISTRIBUTED.md) and
// prints their paths as one JSON object.
#include "cli.h"
#include "mistudio/cluster_job.h"
#include "mistudio/result.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio::cli {

int runClusterJob(ArgParser& args) {
    const std::string config = args.required("--config");
    ClusterJobOptions o;
    o.nodes = static_cast<int>(args.intOr("--nodes", 1));
    o.gpusPerNode = static_cast<int>(args.intOr("--gpus-per-node", 1));
    o.masterPort = static_cast<int>(args.intOr("--master-port", o.masterPort));
    o.partition = args.valueOr("--partition", "");
    o.timeLimit = args.valueOr("--time", o.timeLimit);
    o.cli = args.valueOr("--cli", o.cli);
    o.jobName = args.valueOr("--job-name", o.jobName);
    const std::string out = args.required("--out");
    args.finish();
    std::ifstream in(config);
    if (!in)
        throw Exception(ErrorCode::NotFound, "cannot open the run configuration", config,
                        "check the --config path");
    std::stringstream text;
    text << in.rdbuf();
    const ClusterJobFiles f = writeClusterJob(text.str(), o, out);
    std::cout << nlohmann::json{{"run_json", f.runJson},
                                {"torchrun_script", f.torchrunScript},
                                {"slurm_script", f.slurmScript},
                                {"world_size", o.nodes * o.gpusPerNode}}
                     .dump()
              << std::endl;
    return 0;
}

} // namespace mistudio::cli
