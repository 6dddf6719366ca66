#pragma once
// Structured errors and a small expected-like Result for the job boundary.
// Inside core, code throws mistudio::Exception (or any std::exception); the job runner and the
// CLI turn that into an Error value. Nothing here depends on LibTorch or Qt.

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace mistudio {

enum class ErrorCode {
    Ok = 0,
    InvalidArgument, // bad user input (flags, config values)
    NotFound,        // missing file, repo, revision, tensor
    InvalidFormat,   // a file that does not parse or fails validation
    Unsupported,     // a valid input we do not handle (model family, dtype)
    Io,              // read/write/disk errors
    Network,         // connection, HTTP errors
    Unauthorized,    // gated repos, bad token
    OutOfMemory,     // a plan that cannot fit
    Cancelled,       // cooperative cancellation
    NumericalError,  // NaN/Inf
    Internal,        // a bug: anything not classified
};

/// Stable lower-case name of a code, e.g. "invalid_format" (used in JSON output).
const char* errorCodeName(ErrorCode code);

/// An error a person can act on: the message says what went wrong, where, and how to fix it.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;

    /// Builds "what (where). how" from its parts; `where` and `fix` may be empty.
    static Error make(ErrorCode code, const std::string& what, const std::string& where = {},
                      const std::string& fix = {});
};

/// The exception thrown inside core. Carries an ErrorCode so the boundary can classify it.
class Exception : public std::runtime_error {
public:
    Exception(ErrorCode code, const std::string& message)
        : std::runtime_error(message), m_code(code) {}
    Exception(ErrorCode code, const std::string& what, const std::string& where,
              const std::string& fix)
        : std::runtime_error(Error::make(code, what, where, fix).message), m_code(code) {}
    ErrorCode code() const { return m_code; }
    Error error() const { return Error{m_code, what()}; }

private:
    ErrorCode m_code;
};

/// Converts the exception in flight (call inside a catch block) into an Error.
Error errorFromCurrentException();

/// Result<T>: either a value or an Error. Result<void> carries only success or an Error.
template <typename T> class Result {
public:
    Result(T value) : m_v(std::move(value)) {}     // NOLINT(google-explicit-constructor)
    Result(Error error) : m_v(std::move(error)) {} // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(m_v); }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<T>(m_v); }
    const T& value() const { return std::get<T>(m_v); }
    const Error& error() const { return std::get<Error>(m_v); }
    /// Returns the value or throws the error as a mistudio::Exception.
    T& valueOrThrow() {
        if (!ok())
            throw Exception(error().code, error().message);
        return value();
    }

private:
    std::variant<T, Error> m_v;
};

template <> class Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {} // NOLINT(google-explicit-constructor)
    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

/// Runs `fn` and turns any exception into an Error (the job and CLI boundary).
template <typename Fn> auto captureErrors(Fn&& fn) -> Result<decltype(fn())> {
    try {
        if constexpr (std::is_void_v<decltype(fn())>) {
            fn();
            return {};
        } else {
            return fn();
        }
    } catch (...) {
        return errorFromCurrentException();
    }
}

} // namespace mistudio
