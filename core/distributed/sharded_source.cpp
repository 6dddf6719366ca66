#include "distributed/sharded_source.h"

#include "mistudio/result.h"

namespace mistudio::dist {

ShardedSource::ShardedSource(sae::ActivationSource& global, int rank, int worldSize)
    : m_global(global), m_rank(rank), m_worldSize(worldSize) {
    if (worldSize < 1 || rank < 0 || rank >= worldSize)
        throw Exception(ErrorCode::InvalidArgument,
                        "rank " + std::to_string(rank) + " is outside a world of " +
                            std::to_string(worldSize),
                        "sharded activation source", "RANK must be in 0..WORLD_SIZE-1");
}

at::Tensor ShardedSource::next(int64_t batch) {
    at::Tensor all = m_global.next(batch * m_worldSize);
    // A copy, so the other ranks' rows are freed and the slice owns its memory.
    return all.narrow(0, batch * m_rank, batch).clone();
}

std::string ShardedSource::describe() const {
    return m_global.describe() + " [rank " + std::to_string(m_rank) + " of " +
           std::to_string(m_worldSize) + "]";
}

} // namespace mistudio::dist
