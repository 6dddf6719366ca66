#pragma once
// Post-processors of tokenizer.json for single sequences: TemplateProcessing, ByteLevel (offset
// trimming), RobertaProcessing, BertProcessing and Sequence. Offsets are in bytes here.

#include "mistudio/tokenizer.h"

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace mistudio::tok {

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    virtual void process(Encoding& e, bool addSpecialTokens) const = 0;
};

std::unique_ptr<PostProcessor> makePostProcessor(const nlohmann::json& j, const std::string& where);

/// A special token a template inserts: its ids and token strings.
struct TemplatePiece {
    bool isSequence = false;
    std::vector<int32_t> ids;
    std::vector<std::string> tokens;
};
/// A TemplateProcessing with the given single-sequence template.
std::unique_ptr<PostProcessor> makeTemplate(std::vector<TemplatePiece> single);

} // namespace mistudio::tok
