#pragma once
// `bench sae --nproc N`: data-parallel scaling of the SAE step over N local Gloo ranks.

#include <cstdint>

namespace mistudio::cli {

struct SaeBenchShape {
    int64_t dIn, dSae, k, batch, steps, warmup; // batch: tokens per rank and step
};

/// Without `worker`: measures one process, then N ranks (started through `launch`), prints the
/// table and the JSON line. With `worker`: this process is one rank (RANK/WORLD_SIZE set).
int benchSaeDataParallel(const SaeBenchShape& shape, int nproc, bool worker);

} // namespace mistudio::cli
