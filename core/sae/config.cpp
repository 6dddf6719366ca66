#include "mistudio/result.h"
#include "sae/config_json.h"

#include <cmath>
#include <set>

namespace mistudio::sae {

const char* architectureName(Architecture a) {
    switch (a) {
    case Architecture::BatchTopK: return "batchtopk";
    case Architecture::TopK: return "topk";
    case Architecture::JumpReLU: return "jumprelu";
    case Architecture::ReLU: return "relu";
    }
    return "batchtopk";
}

Architecture architectureFromName(const std::string& name) {
    if (name == "batchtopk" || name == "batch_topk")
        return Architecture::BatchTopK;
    if (name == "topk")
        return Architecture::TopK;
    if (name == "jumprelu")
        return Architecture::JumpReLU;
    if (name == "relu" || name == "standard" || name == "relu_l1")
        return Architecture::ReLU;
    throw Exception(ErrorCode::InvalidArgument, "unknown SAE architecture '" + name + "'", "",
                    "use one of batchtopk, topk, jumprelu, relu");
}

SaeConfig defaultsFor(Architecture a, int64_t dIn, int64_t dSae) {
    SaeConfig c;
    c.architecture = a;
    c.dIn = dIn;
    c.dSae = dSae;
    switch (a) {
    case Architecture::BatchTopK:
    case Architecture::TopK:
        c.k = 64;
        c.lr = 2e-4 / std::sqrt(static_cast<double>(dSae) / 16384.0);
        c.eps = 6.25e-10;
        c.auxK = dIn / 2;
        break;
    case Architecture::ReLU:
        c.sparsityCoefficient = 5.0;
        c.lr = 5e-5;
        c.sparsityWarmupFraction = 0.05;
        c.gradClip = 1.0;
        c.unitNormDecoder = false;
        c.decoderInitNorm = 0.1;
        break;
    case Architecture::JumpReLU:
        c.sparsityCoefficient = 1.0;
        c.lr = 7e-5;
        c.beta1 = 0.0;
        c.sparsityWarmupSteps = 2000;
        c.normalization = Normalization::UnitMeanSquaredNorm;
        break;
    }
    return c;
}

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& key, const std::string& why,
                      const std::string& fix) {
    throw Exception(ErrorCode::InvalidArgument, "invalid value for '" + key + "': " + why, where,
                    fix);
}

double number(const nlohmann::json& j, const std::string& key, const std::string& where, double lo,
              double hi) {
    const auto& v = j.at(key);
    if (!v.is_number())
        bad(where, key, "expected a number, got " + v.dump(), "write a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < lo || x > hi)
        bad(where, key,
            v.dump() + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
            "pick a value in range");
    return x;
}

int64_t integer(const nlohmann::json& j, const std::string& key, const std::string& where,
                int64_t lo, int64_t hi) {
    const auto& v = j.at(key);
    if (!v.is_number_integer())
        bad(where, key, "expected an integer, got " + v.dump(), "write a whole number");
    const auto x = v.get<int64_t>();
    if (x < lo || x > hi)
        bad(where, key,
            v.dump() + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
            "pick a value in range");
    return x;
}

const std::set<std::string>& keysFor(Architecture a) {
    static const std::set<std::string> common = {"name",
                                                 "architecture",
                                                 "d_sae",
                                                 "expansion_factor",
                                                 "lr",
                                                 "batch_size",
                                                 "beta1",
                                                 "beta2",
                                                 "eps",
                                                 "lr_warmup_steps",
                                                 "lr_decay_fraction",
                                                 "grad_clip",
                                                 "unit_norm_decoder",
                                                 "decoder_init_norm",
                                                 "dead_window_tokens",
                                                 "normalization",
                                                 "b_dec_init"};
    static std::set<std::string> topk, relu, jump;
    if (topk.empty()) {
        topk = relu = jump = common;
        for (const char* k :
             {"k", "aux_k", "aux_coefficient", "threshold_beta", "threshold_start_step"})
            topk.insert(k);
        for (const char* k :
             {"l1_coefficient", "sparsity_warmup_steps", "sparsity_warmup_fraction"})
            relu.insert(k);
        for (const char* k : {"l0_coefficient", "target_l0", "bandwidth", "threshold_init",
                              "sparsity_warmup_steps", "sparsity_warmup_fraction"})
            jump.insert(k);
    }
    if (a == Architecture::ReLU)
        return relu;
    if (a == Architecture::JumpReLU)
        return jump;
    return topk;
}

Architecture parseArchitecture(const nlohmann::json& j, const std::string& where) {
    if (!j.contains("architecture"))
        return Architecture::BatchTopK;
    if (!j["architecture"].is_string())
        bad(where, "architecture", "expected a string", "use batchtopk, topk, jumprelu or relu");
    try {
        return architectureFromName(j["architecture"].get<std::string>());
    } catch (const Exception&) {
        bad(where, "architecture", "unknown '" + j["architecture"].get<std::string>() + "'",
            "use batchtopk, topk, jumprelu or relu");
    }
}

int64_t parseWidth(const nlohmann::json& j, int64_t dIn, const std::string& where) {
    if (j.contains("d_sae") && j.contains("expansion_factor"))
        bad(where, "expansion_factor", "given together with d_sae", "give one of the two");
    if (j.contains("d_sae"))
        return integer(j, "d_sae", where, 1, int64_t(1) << 24);
    if (j.contains("expansion_factor")) {
        const double f = number(j, "expansion_factor", where, 1.0 / dIn, 1024);
        return static_cast<int64_t>(std::llround(f * static_cast<double>(dIn)));
    }
    return dIn * 16;
}

} // namespace

SaeConfig parseSaeConfig(const nlohmann::json& j, int64_t dIn, const std::string& where) {
    if (!j.is_object())
        throw Exception(ErrorCode::InvalidArgument, "the sae settings must be a JSON object", where,
                        "write \"sae\": {\"architecture\": \"topk\", ...}");
    const Architecture arch = parseArchitecture(j, where);
    const auto& allowed = keysFor(arch);
    for (const auto& [key, value] : j.items())
        if (!allowed.count(key))
            bad(where, key, std::string("unknown key for architecture ") + architectureName(arch),
                "remove it; accepted keys are listed in docs/SAE.md");
    SaeConfig c = defaultsFor(arch, dIn, parseWidth(j, dIn, where));
    auto has = [&](const char* key) { return j.contains(key); };
    if (has("name")) {
        if (!j["name"].is_string() || j["name"].get<std::string>().empty())
            bad(where, "name", "expected a non-empty string", "name the SAE, e.g. \"k32\"");
        c.name = j["name"].get<std::string>();
    }
    if (has("k"))
        c.k = integer(j, "k", where, 1, c.dSae);
    if (has("l1_coefficient"))
        c.sparsityCoefficient = number(j, "l1_coefficient", where, 0, 1e6);
    if (has("l0_coefficient"))
        c.sparsityCoefficient = number(j, "l0_coefficient", where, 0, 1e6);
    if (has("target_l0"))
        c.targetL0 = number(j, "target_l0", where, 0, static_cast<double>(c.dSae));
    if (has("lr"))
        c.lr = number(j, "lr", where, 1e-12, 10);
    if (has("batch_size"))
        c.batchSize = integer(j, "batch_size", where, 1, int64_t(1) << 22);
    if (has("beta1"))
        c.beta1 = number(j, "beta1", where, 0, 0.999999);
    if (has("beta2"))
        c.beta2 = number(j, "beta2", where, 0, 0.999999999);
    if (has("eps"))
        c.eps = number(j, "eps", where, 1e-20, 1);
    if (has("lr_warmup_steps"))
        c.lrWarmupSteps = integer(j, "lr_warmup_steps", where, 0, int64_t(1) << 40);
    if (has("lr_decay_fraction"))
        c.lrDecayFraction = number(j, "lr_decay_fraction", where, 0, 1);
    if (has("sparsity_warmup_steps"))
        c.sparsityWarmupSteps = integer(j, "sparsity_warmup_steps", where, 0, int64_t(1) << 40);
    if (has("sparsity_warmup_fraction"))
        c.sparsityWarmupFraction = number(j, "sparsity_warmup_fraction", where, 0, 1);
    if (has("grad_clip"))
        c.gradClip = number(j, "grad_clip", where, 0, 1e9);
    if (has("unit_norm_decoder")) {
        if (!j["unit_norm_decoder"].is_boolean())
            bad(where, "unit_norm_decoder", "expected true or false", "write true or false");
        c.unitNormDecoder = j["unit_norm_decoder"].get<bool>();
    }
    if (has("decoder_init_norm"))
        c.decoderInitNorm = number(j, "decoder_init_norm", where, 1e-6, 1e3);
    if (has("bandwidth"))
        c.bandwidth = number(j, "bandwidth", where, 1e-9, 1e3);
    if (has("threshold_init"))
        c.thresholdInit = number(j, "threshold_init", where, 0, 1e6);
    if (has("aux_k"))
        c.auxK = integer(j, "aux_k", where, 0, c.dSae);
    if (has("aux_coefficient"))
        c.auxCoefficient = number(j, "aux_coefficient", where, 0, 1e6);
    if (has("threshold_beta"))
        c.thresholdBeta = number(j, "threshold_beta", where, 0, 0.999999999);
    if (has("threshold_start_step"))
        c.thresholdStartStep = integer(j, "threshold_start_step", where, 0, int64_t(1) << 40);
    if (has("dead_window_tokens"))
        c.deadWindowTokens = integer(j, "dead_window_tokens", where, 1, int64_t(1) << 50);
    if (has("normalization")) {
        const auto& v = j["normalization"];
        if (v == "sqrt_d")
            c.normalization = Normalization::SqrtD;
        else if (v == "unit_mean_squared_norm")
            c.normalization = Normalization::UnitMeanSquaredNorm;
        else
            bad(where, "normalization", "unknown " + v.dump(),
                "use \"sqrt_d\" or \"unit_mean_squared_norm\"");
    }
    if (has("b_dec_init")) {
        const auto& v = j["b_dec_init"];
        if (v == "mean")
            c.bDecInit = BDecInit::Mean;
        else if (v == "geometric_median")
            c.bDecInit = BDecInit::GeometricMedian;
        else if (v == "zeros")
            c.bDecInit = BDecInit::Zeros;
        else
            bad(where, "b_dec_init", "unknown " + v.dump(),
                "use \"mean\", \"geometric_median\" or \"zeros\"");
    }
    return c;
}

const char* bDecInitName(BDecInit b) {
    switch (b) {
    case BDecInit::Mean: return "mean";
    case BDecInit::GeometricMedian: return "geometric_median";
    case BDecInit::Zeros: return "zeros";
    }
    return "mean";
}

nlohmann::json saeConfigToJson(const SaeConfig& c) {
    nlohmann::json j = {{"name", c.name},
                        {"architecture", architectureName(c.architecture)},
                        {"d_in", c.dIn},
                        {"d_sae", c.dSae},
                        {"lr", c.lr},
                        {"batch_size", c.batchSize},
                        {"beta1", c.beta1},
                        {"beta2", c.beta2},
                        {"eps", c.eps},
                        {"lr_warmup_steps", c.lrWarmupSteps},
                        {"lr_decay_fraction", c.lrDecayFraction},
                        {"grad_clip", c.gradClip},
                        {"unit_norm_decoder", c.unitNormDecoder},
                        {"decoder_init_norm", c.decoderInitNorm},
                        {"dead_window_tokens", c.deadWindowTokens},
                        {"normalization", c.normalization == Normalization::SqrtD
                                              ? "sqrt_d"
                                              : "unit_mean_squared_norm"},
                        {"b_dec_init", bDecInitName(c.bDecInit)}};
    switch (c.architecture) {
    case Architecture::BatchTopK:
    case Architecture::TopK:
        j.update({{"k", c.k},
                  {"aux_k", c.auxK},
                  {"aux_coefficient", c.auxCoefficient},
                  {"threshold_beta", c.thresholdBeta},
                  {"threshold_start_step", c.thresholdStartStep}});
        break;
    case Architecture::ReLU:
        j.update({{"l1_coefficient", c.sparsityCoefficient},
                  {"sparsity_warmup_steps", c.sparsityWarmupSteps},
                  {"sparsity_warmup_fraction", c.sparsityWarmupFraction}});
        break;
    case Architecture::JumpReLU:
        j.update({{"l0_coefficient", c.sparsityCoefficient},
                  {"target_l0", c.targetL0},
                  {"bandwidth", c.bandwidth},
                  {"threshold_init", c.thresholdInit},
                  {"sparsity_warmup_steps", c.sparsityWarmupSteps},
                  {"sparsity_warmup_fraction", c.sparsityWarmupFraction}});
        break;
    }
    return j;
}

} // namespace mistudio::sae
