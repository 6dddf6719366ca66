#pragma once
// Exporting a training run as a cluster job (the wizard's review page, `mistudio-cli cluster-job`):
// the run's RUN.json plus a launch script for torchrun-style launchers and a SLURM batch script
// whose srun starts one `mistudio-cli train` rank per GPU. No LibTorch here.

#include <string>

namespace mistudio {

struct ClusterJobOptions {
    int nodes = 1;
    int gpusPerNode = 1; // ranks per node
    int masterPort = 29500;
    int cpusPerRank = 8;
    std::string jobName = "mistudio-train";
    std::string partition; // SLURM partition; empty: the cluster's default
    std::string timeLimit = "24:00:00";
    std::string cli = "mistudio-cli"; // the binary as the cluster nodes find it
};

struct ClusterJobFiles {
    std::string runJson;        // DIR/RUN.json
    std::string torchrunScript; // DIR/launch_torchrun.sh
    std::string slurmScript;    // DIR/job.sbatch
};

/// Writes the three files into `dir` (created if needed; each written atomically, scripts made
/// executable). `runJson` is the run configuration's JSON text; it is checked to parse as an
/// object with an "out" folder, which must be on storage every node shares. Throws
/// InvalidArgument for bad counts or JSON, Io when a file cannot be written.
ClusterJobFiles writeClusterJob(const std::string& runJson, const ClusterJobOptions& options,
                                const std::string& dir);

} // namespace mistudio
