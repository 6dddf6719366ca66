#include "mistudio/result.h"

#include <exception>
#include <new>

namespace mistudio {

const char* errorCodeName(ErrorCode code) {
    switch (code) {
    case ErrorCode::Ok: return "ok";
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::InvalidFormat: return "invalid_format";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Io: return "io";
    case ErrorCode::Network: return "network";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::OutOfMemory: return "out_of_memory";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::NumericalError: return "numerical_error";
    case ErrorCode::Internal: return "internal";
    }
    return "internal";
}

Error Error::make(ErrorCode code, const std::string& what, const std::string& where,
                  const std::string& fix) {
    std::string msg = what;
    if (!where.empty())
        msg += " (" + where + ")";
    if (!fix.empty()) {
        msg += ". ";
        msg += fix;
    }
    return Error{code, std::move(msg)};
}

Error errorFromCurrentException() {
    try {
        throw;
    } catch (const Exception& e) {
        return e.error();
    } catch (const std::bad_alloc&) {
        return Error::make(ErrorCode::OutOfMemory, "out of memory", {},
                           "Use a smaller batch, a narrower SAE, or a quantized model");
    } catch (const std::invalid_argument& e) {
        return Error{ErrorCode::InvalidArgument, e.what()};
    } catch (const std::exception& e) {
        // LibTorch's c10::Error lands here too; its message names the failing op.
        return Error{ErrorCode::Internal, e.what()};
    } catch (...) {
        return Error{ErrorCode::Internal, "unknown exception"};
    }
}

} // namespace mistudio
