// The one place where the built-in families are registered (explicitly, under std::call_once:
// no static self-registration, so link order never drops a family).
#include "mistudio/result.h"
#include "model/family.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace mistudio::model {

Family gpt2Family();
Family gptNeoxFamily();
Family llamaFamily();
Family mistralFamily();
Family qwen2Family();
Family phiFamily();
Family phi3Family();
Family gemmaFamily();
Family gemma2Family();

namespace {

std::map<std::string, Family>& registry() {
    static std::map<std::string, Family> families;
    return families;
}

void add(Family f) {
    const std::string key = f.modelType;
    registry().emplace(key, std::move(f));
}

} // namespace

void registerBuiltinFamilies() {
    static std::once_flag once;
    std::call_once(once, [] {
        add(gpt2Family());
        add(gptNeoxFamily());
        add(llamaFamily());
        add(mistralFamily());
        add(qwen2Family());
        add(phiFamily());
        add(phi3Family());
        add(gemmaFamily());
        add(gemma2Family());
    });
}

std::vector<std::string> familyNames() {
    registerBuiltinFamilies();
    std::vector<std::string> names;
    for (const auto& [name, f] : registry())
        names.push_back(name);
    return names;
}

const Family& findFamily(const std::string& modelType) {
    registerBuiltinFamilies();
    auto it = registry().find(modelType);
    if (it == registry().end()) {
        std::string list;
        for (const auto& name : familyNames())
            list += (list.empty() ? "" : ", ") + name;
        throw Exception(ErrorCode::Unsupported, "model_type '" + modelType + "' is not supported",
                        "config.json", "Supported model types: " + list);
    }
    return it->second;
}

} // namespace mistudio::model
