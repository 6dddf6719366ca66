// SafetensorsModel: the weights of a model folder, from one file or a sharded index.
#include "io/safetensors.h"
#include "mistudio/result.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace fs = std::filesystem;

namespace mistudio::io {

namespace {

constexpr const char* kIndexName = "model.safetensors.index.json";
constexpr const char* kSingleName = "model.safetensors";

bool isPickleWeight(const fs::path& p) {
    const std::string ext = p.extension().string();
    return ext == ".bin" || ext == ".pt" || ext == ".pth" || ext == ".ckpt" || ext == ".pkl";
}

std::vector<fs::path> listFiles(const fs::path& dir, bool (*keep)(const fs::path&)) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && keep(entry.path()))
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

[[noreturn]] void refusePickle(const fs::path& dir, const std::vector<fs::path>& pickles) {
    std::string names;
    for (const auto& p : pickles) {
        names += names.empty() ? "" : ", ";
        names += p.filename().string();
    }
    throw Exception(
        ErrorCode::Unsupported,
        "the model has only pickle weights (" + names +
            "); miStudio never loads pickle files because unpickling can run arbitrary code",
        "folder " + dir.string(),
        "Use a revision of the model that has .safetensors weights (on the Hub, look for a "
        "safetensors conversion PR and pass --revision refs/pr/N), or convert it yourself in a "
        "trusted environment with model.save_pretrained(dir, safe_serialization=True)");
}

// The weight_map of an index: tensor name -> shard file name (a plain name inside the folder).
std::map<std::string, std::string> readWeightMap(const fs::path& indexPath) {
    std::ifstream in(indexPath);
    nlohmann::json index;
    try {
        index = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        throw Exception(ErrorCode::InvalidFormat,
                        std::string("sharded checkpoint index is not valid JSON: ") + e.what(),
                        "file " + indexPath.string(), "Download the model again");
    }
    auto wm = index.find("weight_map");
    if (!index.is_object() || wm == index.end() || !wm->is_object())
        throw Exception(ErrorCode::InvalidFormat, "sharded checkpoint index has no weight_map",
                        "file " + indexPath.string(), "Download the model again");
    std::map<std::string, std::string> out;
    for (const auto& [tensor, file] : wm->items()) {
        const fs::path rel = file.is_string() ? fs::path(file.get<std::string>()) : fs::path();
        const bool plain =
            !rel.empty() && rel.is_relative() &&
            std::none_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; });
        if (!plain)
            throw Exception(ErrorCode::InvalidFormat,
                            "weight_map entry for tensor '" + tensor +
                                "' is not a file inside "
                                "the folder: " +
                                file.dump(),
                            "file " + indexPath.string(), "Download the model again");
        out[tensor] = rel.string();
    }
    return out;
}

} // namespace

SafetensorsModel SafetensorsModel::open(const std::string& pathOrDir) {
    SafetensorsModel model;
    model.m_location = pathOrDir;
    const fs::path path(pathOrDir);
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Exception(ErrorCode::NotFound, "model path does not exist", pathOrDir,
                        "Pass a model folder, a .safetensors file or a Hub id");
    auto add = [&](const fs::path& file) {
        model.m_files.push_back(SafetensorsFile::open(file.string()));
        return model.m_files.size() - 1;
    };
    auto addAllTensors = [&](size_t fileIndex) {
        for (const TensorInfo& t : model.m_files[fileIndex]->tensors()) {
            if (model.m_tensors.count(t.name))
                throw Exception(ErrorCode::InvalidFormat,
                                "tensor '" + t.name + "' appears in more than one file",
                                "folder " + pathOrDir,
                                "Remove the stray .safetensors file or add an index");
            model.m_tensors[t.name] = {fileIndex, &t};
        }
    };
    if (!fs::is_directory(path, ec)) {
        addAllTensors(add(path));
        return model;
    }
    // transformers' order: a single model.safetensors wins over a sharded index.
    if (fs::exists(path / kSingleName, ec)) {
        addAllTensors(add(path / kSingleName));
        return model;
    }
    if (fs::exists(path / kIndexName, ec)) {
        std::map<std::string, size_t> opened;
        for (const auto& [tensor, file] : readWeightMap(path / kIndexName)) {
            auto it = opened.find(file);
            if (it == opened.end())
                it = opened.emplace(file, add(path / file)).first;
            const TensorInfo* info = model.m_files[it->second]->find(tensor);
            if (info == nullptr)
                throw Exception(ErrorCode::InvalidFormat,
                                "the index maps tensor '" + tensor + "' to " + file +
                                    ", which does not contain it",
                                "folder " + pathOrDir, "Download the model again");
            model.m_tensors[tensor] = {it->second, info};
        }
        return model;
    }
    const auto shards =
        listFiles(path, [](const fs::path& p) { return p.extension() == ".safetensors"; });
    for (const auto& shard : shards)
        addAllTensors(add(shard));
    if (!shards.empty())
        return model;
    const auto pickles = listFiles(path, isPickleWeight);
    if (!pickles.empty())
        refusePickle(path, pickles);
    throw Exception(ErrorCode::NotFound, "no .safetensors weights in the model folder",
                    "folder " + pathOrDir,
                    "Download the model's model.safetensors (or its shards and "
                    "model.safetensors.index.json)");
}

bool SafetensorsModel::has(const std::string& name) const {
    return m_tensors.count(name) > 0;
}

const TensorInfo& SafetensorsModel::info(const std::string& name) const {
    auto it = m_tensors.find(name);
    if (it == m_tensors.end())
        throw Exception(ErrorCode::NotFound, "the model has no tensor '" + name + "'",
                        "model " + m_location,
                        "Check the model family and tensor name (mistudio-cli inspect lists "
                        "the model)");
    return *it->second.second;
}

const SafetensorsFile& SafetensorsModel::fileOf(const std::string& name) const {
    info(name); // throws NotFound
    return *m_files[m_tensors.at(name).first];
}

std::vector<std::string> SafetensorsModel::names() const {
    std::vector<std::string> out;
    out.reserve(m_tensors.size());
    for (const auto& [name, _] : m_tensors)
        out.push_back(name);
    return out;
}

std::vector<std::string> SafetensorsModel::files() const {
    std::vector<std::string> out;
    for (const auto& f : m_files)
        out.push_back(f->path());
    return out;
}

at::Tensor SafetensorsModel::view(const std::string& name) const {
    return fileOf(name).view(name);
}

at::Tensor SafetensorsModel::load(const std::string& name, at::ScalarType dtype) const {
    return fileOf(name).load(name, dtype);
}

void SafetensorsModel::release(const std::string& name) const {
    fileOf(name).release(name);
}

int64_t SafetensorsModel::parameterCount() const {
    int64_t n = 0;
    for (const auto& [_, entry] : m_tensors)
        n += entry.second->numel();
    return n;
}

} // namespace mistudio::io
