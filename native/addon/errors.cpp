#include "errors.h"

#include <exception>
#include <new>

namespace trit::addon {

CapturedError capture_current_exception(const char* what) {
    try {
        throw;
    } catch (const Error& e) {
        return {e.code(), e.what()};
    } catch (const std::bad_alloc&) {
        return {ErrorCode::memory, std::string("out of memory while ") + what};
    } catch (const std::exception& e) {
        return {ErrorCode::internal, std::string("internal error while ") + what + ": " + e.what()};
    } catch (...) {
        return {ErrorCode::internal, std::string("unknown internal error while ") + what};
    }
}

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::io:
            return "io";
        case ErrorCode::format:
            return "format";
        case ErrorCode::unsupported:
            return "unsupported";
        case ErrorCode::argument:
            return "argument";
        case ErrorCode::memory:
            return "memory";
        case ErrorCode::internal:
            return "internal";
    }
    return "internal";
}

Napi::Error make_error(Napi::Env env, ErrorCode code, const std::string& message) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, error_code_name(code)));
    return error;
}

Napi::Error make_error(Napi::Env env, const CapturedError& error) {
    return make_error(env, error.code, error.message);
}

}  // namespace trit::addon
