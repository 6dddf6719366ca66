// writeClusterJob: RUN.json + torchrun and SLURM launch scripts for a data-parallel run.
#include "mistudio/cluster_job.h"

#include "mistudio/atomic_file.h"
#include "mistudio/result.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mistudio {

namespace fs = std::filesystem;

namespace {

void check(bool ok, const std::string& what, const std::string& fix) {
    if (!ok)
        throw Exception(ErrorCode::InvalidArgument, what, "cluster job", fix);
}

/// Single-quoted for sh, so paths with spaces or $ survive.
std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string torchrunScript(const ClusterJobOptions& o, const std::string& runJson) {
    std::ostringstream s;
    s << "#!/bin/sh\n"
      << "# Data-parallel SAE training with torchrun (" << o.nodes << " node(s) x " << o.gpusPerNode
      << " rank(s)). Run this script once on every node:\n"
      << "#   NODE_RANK=<0.." << o.nodes - 1 << "> MASTER_ADDR=<node 0's address> ./"
      << "launch_torchrun.sh [--resume]\n"
      << "# torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT for each "
         "rank.\n"
      << "# On one machine without torchrun: " << o.cli << " launch --nproc " << o.gpusPerNode
      << " -- train --config RUN.json\n"
      << "set -eu\n"
      << "exec torchrun --nnodes=" << o.nodes << " --nproc-per-node=" << o.gpusPerNode
      << " --node-rank=\"${NODE_RANK:-0}\" --master-addr=\"${MASTER_ADDR:-127.0.0.1}\""
      << " --master-port=" << o.masterPort << " --no-python \\\n    " << quote(o.cli)
      << " train --config " << quote(runJson) << " \"$@\"\n";
    return s.str();
}

std::string slurmScript(const ClusterJobOptions& o, const std::string& runJson,
                        const std::string& dir) {
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "#SBATCH --job-name=" << o.jobName << "\n"
      << "#SBATCH --nodes=" << o.nodes << "\n"
      << "#SBATCH --ntasks-per-node=" << o.gpusPerNode << "\n"
      << "#SBATCH --gpus-per-node=" << o.gpusPerNode << "\n"
      << "#SBATCH --cpus-per-task=" << o.cpusPerRank << "\n"
      << "#SBATCH --time=" << o.timeLimit << "\n";
    if (!o.partition.empty())
        s << "#SBATCH --partition=" << o.partition << "\n";
    s << "#SBATCH --output=" << (fs::path(dir) / "slurm-%j.out").string() << "\n"
      << "# Submit: sbatch job.sbatch [--resume]. One miStudio rank per task; rank 0 writes the\n"
      << "# checkpoints, metrics and SAE folders (the run's \"out\" must be on shared storage).\n"
      << "set -euo pipefail\n"
      << "export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n"
      << "export MASTER_PORT=" << o.masterPort << "\n"
      << "export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK\n"
      << "# --kill-on-bad-exit: when one rank fails, SLURM stops the others.\n"
      << "srun --kill-on-bad-exit=1 bash -c 'RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS "
         "LOCAL_RANK=$SLURM_LOCALID exec \"$0\" \"$@\"' \\\n    "
      << quote(o.cli) << " train --config " << quote(runJson) << " \"$@\"\n";
    return s.str();
}

} // namespace

ClusterJobFiles writeClusterJob(const std::string& runJson, const ClusterJobOptions& o,
                                const std::string& dir) {
    check(o.nodes >= 1 && o.nodes <= 100000, "nodes must be at least 1",
          "give the number of machines, e.g. --nodes 2");
    check(o.gpusPerNode >= 1 && o.gpusPerNode <= 1024, "gpus per node must be at least 1",
          "give the ranks per machine, e.g. --gpus-per-node 8");
    check(o.masterPort > 0 && o.masterPort < 65536, "the master port must be in 1..65535", "");
    nlohmann::json run;
    try {
        run = nlohmann::json::parse(runJson);
    } catch (const nlohmann::json::exception& e) {
        check(false, std::string("the run configuration is not valid JSON: ") + e.what(),
              "fix RUN.json");
    }
    check(run.is_object() && run.contains("out") && run["out"].is_string(),
          "the run configuration has no \"out\" folder",
          "set \"out\" to a folder on storage that every node shares");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Exception(ErrorCode::Io, "cannot create the folder: " + ec.message(), dir,
                        "choose a writable --out");
    const std::string absDir = fs::absolute(dir).lexically_normal().string();
    ClusterJobFiles f{(fs::path(absDir) / "RUN.json").string(),
                      (fs::path(absDir) / "launch_torchrun.sh").string(),
                      (fs::path(absDir) / "job.sbatch").string()};
    writeFileAtomically(f.runJson, run.dump(2) + "\n");
    writeFileAtomically(f.torchrunScript, torchrunScript(o, f.runJson));
    writeFileAtomically(f.slurmScript, slurmScript(o, f.runJson, absDir));
    for (const std::string& script : {f.torchrunScript, f.slurmScript})
        fs::permissions(script,
                        fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                        fs::perm_options::add);
    return f;
}

} // namespace mistudio
