#pragma once
// Helpers of the reliability tests: run mistudio-cli, kill it at random points, write small
// safetensors files without LibTorch, compare folders and SQLite tables.

#include "test_support.h" // CliRun, runCli

#include <QByteArray>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace mistudio::test {

/// The seed of a kill loop: MISTUDIO_KILL_SEED when set, else random; printed so that a
/// failure can be reproduced with MISTUDIO_KILL_SEED=<seed>.
uint32_t killSeed(const char* stage);

/// Starts `args()` again and again, each run SIGKILLed after a random delay in [minMs, maxMs],
/// until a run finishes by itself. Returns that run (its exit code and output); `kills` counts
/// the runs that were killed; `afterKill` (when set) runs after each kill.
CliRun runUntilDone(const std::function<QStringList()>& args, std::mt19937& rng, int minMs,
                    int maxMs, int& kills, const QProcessEnvironment& env = {},
                    const std::function<void()>& afterKill = {});

/// Every regular file under `dir` (relative path → bytes).
QMap<QString, QByteArray> readTree(const QString& dir);
/// Relative paths under `dir` of temporary/partial files (*.tmp, *.incomplete, *.partial).
QStringList partialFiles(const QString& dir);

/// PRAGMA integrity_check of an SQLite file ("ok" when sound).
QString integrityCheck(const QString& path);
/// All rows of `table` (each rendered as text, blobs as hex), sorted: equal for equal contents
/// whatever the insertion order.
QStringList tableRows(const QString& dbPath, const QString& table);

struct F32Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
};
/// Writes a safetensors file of F32 tensors.
void writeSafetensors(const QString& path, const std::vector<F32Tensor>& tensors);
/// A random ReLU SAE (d_in 64, d_sae 256) in SAELens format for aidreams260k at `hook`.
void writeRandomSae(const QString& dir, const QString& hook);
/// `n` deterministic pseudo-random values in [-scale, scale).
std::vector<float> randomValues(size_t n, uint32_t seed, float scale = 1.f);

} // namespace mistudio::test
