#include "project_records.h"

#include "cli.h"
#include "mistudio/result.h"

namespace mistudio::cli {

int64_t parseRunId(const std::string& text) {
    try {
        size_t pos = 0;
        const long long id = std::stoll(text, &pos);
        if (pos == text.size() && id > 0)
            return id;
    } catch (const std::exception&) {
    }
    throw UsageError("--run expects a run id (a positive integer from 'mistudio-cli runs'), got '" +
                     text + "'");
}

} // namespace mistudio::cli
