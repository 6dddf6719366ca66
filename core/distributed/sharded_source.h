#pragma once
// A rank's disjoint, deterministic share of an activation stream. Every rank walks the same global
// stream (same seed, same order); next(b) takes the next b * WORLD_SIZE tokens — exactly the global
// batch a single process would read — and returns this rank's contiguous slice of them. So W ranks
// with local batch B/W see, together, the same batches as one process with batch B, and the
// stream's state (position, RNG) is the same on every rank and independent of the world size.

#include "sae/source.h"

namespace mistudio::dist {

class ShardedSource : public sae::ActivationSource {
public:
    ShardedSource(sae::ActivationSource& global, int rank, int worldSize);
    int64_t dim() const override { return m_global.dim(); }
    at::Tensor next(int64_t batch) override;
    /// The global stream's state: a checkpoint holds one state for the whole job.
    sae::SourceState state() const override { return m_global.state(); }
    void restore(const sae::SourceState& state) override { m_global.restore(state); }
    std::string describe() const override;
    int rank() const { return m_rank; }
    int worldSize() const { return m_worldSize; }

private:
    sae::ActivationSource& m_global;
    int m_rank;
    int m_worldSize;
};

} // namespace mistudio::dist
