// libFuzzer target for config.json → ModelConfig (issue 12). The input is a config.json's bytes.
// parseModelConfig must either throw mistudio::Exception or return a config whose sizes lie in
// the validated ranges; a huge size claim (10^12 parameters) must be refused without allocating
// (libFuzzer's -malloc_limit_mb turns any big allocation into a reported bug).
#include "common/json_limits.h"
#include "mistudio/result.h"
#include "model/config.h"
#include "model/family.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

// The weight loaders of the families live in the same files as their config parsers but read
// tensors through WeightReader (core/model/weights.cpp, which pulls in the safetensors runtime).
// Config parsing never reads weights: these definitions only satisfy the linker.
namespace mistudio::model {
at::Tensor WeightReader::get(const std::string&, const std::vector<int64_t>&) const {
    std::abort();
}
NormWeights WeightReader::norm(const std::string&, int64_t) const {
    std::abort();
}
} // namespace mistudio::model

namespace {

bool inRange(int64_t v, int64_t lo, int64_t hi) {
    return v >= lo && v <= hi;
}

// What the runtime relies on after a successful parse (validate() in config.cpp promises it).
void checkInvariants(const mistudio::model::ModelConfig& c) {
    using namespace mistudio::model;
    const bool ok = inRange(c.nLayers, 1, 1024) && inRange(c.dModel, 1, 1 << 20) &&
                    inRange(c.nHeads, 1, 4096) && inRange(c.nKvHeads, 1, c.nHeads) &&
                    c.nHeads % c.nKvHeads == 0 && inRange(c.headDim, 1, 4096) &&
                    inRange(c.dMlp, 1, int64_t(1) << 22) && inRange(c.vocabSize, 1, 1 << 24) &&
                    inRange(c.maxPositions, 1, int64_t(1) << 26) && c.estimatedParameters() <= 5e11;
    if (!ok)
        std::abort();
    if (c.position == PositionKind::Rotary &&
        (c.rope.rotaryDim < 2 || c.rope.rotaryDim > c.headDim || c.rope.rotaryDim % 2 != 0))
        std::abort();
    for (int64_t layer = 0; layer < c.nLayers; ++layer)
        (void)c.layerIsSliding(layer);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    nlohmann::json j;
    try { // as loadModelConfig reads the file: it turns json::exception into InvalidFormat
        j = mistudio::parseJsonLimitingDepth(std::string(data, data + size), "fuzz/config.json",
                                             "");
    } catch (const mistudio::Exception&) {
        return 0;
    } catch (const nlohmann::json::exception&) {
        return 0;
    }
    try { // any other exception type escaping parseModelConfig is a bug
        checkInvariants(mistudio::model::parseModelConfig(j, "fuzz/config.json"));
    } catch (const mistudio::Exception&) {
    }
    return 0;
}
