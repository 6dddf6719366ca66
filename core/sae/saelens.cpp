#include "sae/saelens.h"

#include "io/safetensors.h"
#include "mistudio/result.h"

#include <filesystem>
#include <fstream>
#include <regex>

namespace mistudio::sae {

namespace fs = std::filesystem;

namespace {

void writeTextAtomically(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush())
            throw Exception(ErrorCode::Io, "cannot write " + tmp.string(), "",
                            "check the disk space and permissions");
    }
    fs::rename(tmp, path);
}

nlohmann::json hookLayer(const std::string& hook) {
    std::smatch m;
    static const std::regex layer(R"(blocks\.(\d+)\.)");
    if (std::regex_search(hook, m, layer))
        return std::stoi(m[1].str());
    return nullptr;
}

} // namespace

void saveSaeLens(const std::string& dir, const SaeModel& model, const SaeLensMetadata& meta,
                 const std::vector<double>& log10Density) {
    fs::create_directories(dir);
    const bool topk = model.kind == InferenceKind::TopK;
    const bool jump = model.kind == InferenceKind::JumpReLU;
    nlohmann::json cfg = {
        {"architecture", jump   ? "jumprelu"
                         : topk ? "topk"
                                : "standard"},
        {"d_in", model.dIn()},
        {"d_sae", model.dSae()},
        {"dtype", "float32"},
        {"device", "cpu"},
        {"model_name", meta.modelName},
        {"hook_name", meta.hookName},
        {"hook_layer", hookLayer(meta.hookName)},
        {"hook_head_index", nullptr},
        {"activation_fn_str", topk ? "topk" : "relu"},
        {"activation_fn_kwargs", topk ? nlohmann::json{{"k", model.k}} : nlohmann::json::object()},
        {"apply_b_dec_to_input", true},
        {"finetuning_scaling_factor", false},
        {"context_size", meta.contextSize},
        {"prepend_bos", true},
        {"dataset_path", meta.datasetPath},
        {"normalize_activations", "none"},
        {"model_from_pretrained_kwargs", nlohmann::json::object()},
        {"metadata",
         {{"model_name", meta.modelName},
          {"hook_name", meta.hookName},
          {"context_size", meta.contextSize},
          {"dataset_path", meta.datasetPath},
          {"prepend_bos", true}}},
        {"mistudio", meta.extra.is_null() ? nlohmann::json::object() : meta.extra}};
    if (topk)
        cfg["k"] = model.k;
    std::vector<std::pair<std::string, at::Tensor>> weights = {
        {"W_enc", model.encT.t().contiguous()},
        {"b_enc", model.bEnc.contiguous()},
        {"W_dec", model.wDec.contiguous()},
        {"b_dec", model.bDec.contiguous()}};
    if (jump)
        weights.emplace_back("threshold", model.threshold.contiguous());
    for (auto& [name, t] : weights)
        t = t.to(at::kFloat).contiguous();
    io::saveTensors((fs::path(dir) / "sae_weights.safetensors").string(), weights);
    if (!log10Density.empty()) {
        at::Tensor s = at::tensor(log10Density, at::kDouble).to(at::kFloat);
        io::saveTensors((fs::path(dir) / "sparsity.safetensors").string(), {{"sparsity", s}});
    }
    writeTextAtomically(fs::path(dir) / "cfg.json", cfg.dump(2) + "\n");
}

namespace {

[[noreturn]] void badCfg(const fs::path& file, const std::string& what, const std::string& fix) {
    throw Exception(ErrorCode::InvalidFormat, what, file.string(), fix);
}

at::Tensor weight(const io::SafetensorsFile& f, const std::string& name, bool required) {
    if (!f.find(name)) {
        if (required)
            badCfg(f.path(), "the weights lack the tensor '" + name + "'",
                   "use a SAELens folder with W_enc, b_enc, W_dec, b_dec");
        return {};
    }
    return f.load(name, at::kFloat);
}

InferenceKind kindFromCfg(const nlohmann::json& cfg, const fs::path& file, int64_t& k) {
    const std::string arch = cfg.value("architecture", "standard");
    const std::string act = cfg.value("activation_fn_str", "relu");
    auto readK = [&] {
        if (cfg.contains("k") && cfg["k"].is_number_integer())
            return cfg["k"].get<int64_t>();
        if (cfg.contains("activation_fn_kwargs") && cfg["activation_fn_kwargs"].contains("k"))
            return cfg["activation_fn_kwargs"]["k"].get<int64_t>();
        badCfg(file, "a topk SAE without k", "add \"k\" to cfg.json");
    };
    if (arch == "topk" || (arch == "standard" && act == "topk")) {
        k = readK();
        return InferenceKind::TopK;
    }
    if (arch == "jumprelu" || arch == "batchtopk")
        return InferenceKind::JumpReLU;
    if (arch == "standard" && act == "relu")
        return InferenceKind::ReLU;
    throw Exception(ErrorCode::Unsupported,
                    "SAE architecture '" + arch + "' with activation '" + act +
                        "' is not supported",
                    file.string(), "miStudio loads standard (ReLU), topk and jumprelu SAEs");
}

} // namespace

SaeModel loadSaeLens(const std::string& dir) {
    const fs::path cfgPath = fs::path(dir) / "cfg.json";
    const fs::path weightsPath = fs::path(dir) / "sae_weights.safetensors";
    if (!fs::exists(cfgPath) || !fs::exists(weightsPath))
        throw Exception(ErrorCode::NotFound,
                        "not a SAELens folder (cfg.json and "
                        "sae_weights.safetensors are needed)",
                        dir, "point at the folder that holds both files");
    nlohmann::json cfg;
    try {
        std::ifstream in(cfgPath);
        cfg = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        badCfg(cfgPath, std::string("cfg.json does not parse: ") + e.what(), "fix the JSON");
    }
    SaeModel m;
    m.cfg = cfg;
    m.kind = kindFromCfg(cfg, cfgPath, m.k);
    const std::string norm = cfg.value("normalize_activations", "none");
    if (norm != "none" && norm != "")
        throw Exception(ErrorCode::Unsupported,
                        "normalize_activations '" + norm + "' needs a scaling the folder lacks",
                        cfgPath.string(),
                        "fold the normalisation into the weights (SAELens "
                        "fold_activation_norm_scaling_factor) and save again");
    auto f = io::SafetensorsFile::open(weightsPath.string());
    at::Tensor wEnc = weight(*f, "W_enc", true);
    m.bEnc = weight(*f, "b_enc", true);
    m.wDec = weight(*f, "W_dec", true);
    m.bDec = weight(*f, "b_dec", true);
    const int64_t dIn = m.wDec.size(1), dSae = m.wDec.size(0);
    if (wEnc.sizes() != at::IntArrayRef({dIn, dSae}) || m.bEnc.numel() != dSae ||
        m.bDec.numel() != dIn)
        badCfg(weightsPath, "W_enc, b_enc, W_dec, b_dec have inconsistent shapes",
               "W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in]");
    if (cfg.contains("d_in") && cfg["d_in"] != dIn)
        badCfg(cfgPath, "cfg d_in does not match W_dec", "fix d_in");
    m.encT = wEnc.t().contiguous();
    if (!cfg.value("apply_b_dec_to_input", true)) // pre = x W_enc + b_enc (Gemma Scope)
        m.bEnc = m.bEnc + at::matmul(m.bDec, wEnc);
    if (cfg.value("finetuning_scaling_factor", false)) {
        at::Tensor sf = weight(*f, "scaling_factor", true);
        m.wDec = m.wDec * sf.unsqueeze(1);
    }
    if (m.kind == InferenceKind::JumpReLU) {
        m.threshold = weight(*f, "threshold", false);
        if (!m.threshold.defined()) {
            at::Tensor logT = weight(*f, "log_threshold", false);
            if (!logT.defined())
                badCfg(weightsPath, "a jumprelu SAE without 'threshold' or 'log_threshold'",
                       "save the threshold with the weights");
            m.threshold = logT.exp();
        }
        m.threshold = m.threshold.reshape({-1}).expand({dSae}).contiguous();
    }
    return m;
}

std::optional<std::vector<double>> loadSparsity(const std::string& dir) {
    const fs::path p = fs::path(dir) / "sparsity.safetensors";
    if (!fs::exists(p))
        return std::nullopt;
    auto f = io::SafetensorsFile::open(p.string());
    at::Tensor s = f->load("sparsity", at::kDouble).contiguous();
    return std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
}

std::string cfgHookName(const nlohmann::json& cfg) {
    for (const auto* where : {&cfg, cfg.contains("metadata") ? &cfg["metadata"] : nullptr})
        if (where && where->contains("hook_name") && (*where)["hook_name"].is_string())
            return (*where)["hook_name"].get<std::string>();
    return {};
}

} // namespace mistudio::sae
