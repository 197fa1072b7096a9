// Engine failures as data: captured on a worker thread, turned into a JS Error with a `code` on the main
// thread.
#pragma once

#include <napi.h>

#include <string>

#include "trit/engine.h"

namespace trit::addon {

struct CapturedError {
    ErrorCode code = ErrorCode::internal;
    std::string message;
};

// Call inside a catch block: classifies the exception in flight (trit::Error keeps its code, std::bad_alloc
// is `memory`, anything else is `internal`). `what` names the operation for the message ("loading the
// model").
CapturedError capture_current_exception(const char* what);

// "io" | "format" | "unsupported" | "argument" | "memory" | "internal"
const char* error_code_name(ErrorCode code);

// A JS Error with `code` set; main thread only.
Napi::Error make_error(Napi::Env env, const CapturedError& error);
Napi::Error make_error(Napi::Env env, ErrorCode code, const std::string& message);

}  // namespace trit::addon
