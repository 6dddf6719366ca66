// inspectModel: config.json + safetensors headers, no weights.
#include "mistudio/model_info.h"

#include "io/safetensors.h"
#include "model/config.h"

#include <filesystem>
#include <set>

namespace mistudio {

namespace {
std::string torchStyleName(io::DType t) {
    switch (t) {
    case io::DType::F64: return "float64";
    case io::DType::F32: return "float32";
    case io::DType::F16: return "float16";
    case io::DType::BF16: return "bfloat16";
    case io::DType::I64: return "int64";
    case io::DType::I32: return "int32";
    case io::DType::I16: return "int16";
    case io::DType::I8: return "int8";
    case io::DType::U8: return "uint8";
    case io::DType::BOOL: return "bool";
    case io::DType::F8_E4M3: return "float8_e4m3fn";
    case io::DType::F8_E5M2: return "float8_e5m2";
    }
    return "unknown";
}
} // namespace

ModelInfo inspectModel(const std::string& folder) {
    namespace fs = std::filesystem;
    const model::ModelConfig c = model::loadModelConfig(folder);
    const io::SafetensorsModel st = io::SafetensorsModel::open(folder);
    ModelInfo info;
    info.folder = folder;
    info.modelType = c.modelType;
    info.architectures = c.architectures;
    info.nLayers = c.nLayers;
    info.dModel = c.dModel;
    info.nHeads = c.nHeads;
    info.nKvHeads = c.nKvHeads;
    info.headDim = c.headDim;
    info.dMlp = c.dMlp;
    info.vocabSize = c.vocabSize;
    info.maxPositions = c.maxPositions;
    info.parallelResidual = !c.hasResidMid();
    info.tiedEmbeddings = c.tieEmbeddings;
    info.nParams = st.parameterCount();
    // Weights only: norms and matrices, not integer buffers some checkpoints carry.
    std::set<std::string> dtypes;
    for (const auto& name : st.names()) {
        const io::DType t = st.info(name).dtype;
        if (t != io::DType::BOOL && t != io::DType::I64 && t != io::DType::I32)
            dtypes.insert(torchStyleName(t));
    }
    info.dtype = dtypes.size() == 1 ? *dtypes.begin() : dtypes.empty() ? "" : "mixed";
    for (const auto& f : st.files())
        info.files.push_back(fs::path(f).filename().string());
    info.hookPoints = hookPointNames(c.nLayers, c.hasResidMid());
    info.hasTokenizer = fs::exists(fs::path(folder) / "tokenizer.json");
    return info;
}

std::vector<std::string> supportedModelTypeNames() {
    return model::supportedModelTypes();
}

} // namespace mistudio
