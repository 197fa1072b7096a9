// JS values <-> the engine's plain structs. Main thread only.
//
// server/src/engine/native.ts validates and normalizes every argument before it gets here (ranges, token ids,
// unknown keys). These functions still check each value's type, so a direct caller gets a TypeError with
// code "argument", never undefined behaviour.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trit/engine.h"

namespace trit::addon {

// A TypeError with code "argument".
Napi::Error argument_error(Napi::Env env, const std::string& message);

std::string string_from_js(const Napi::Value& value, const char* name);
bool bool_from_js(const Napi::Value& value, const char* name);
std::vector<int32_t> tokens_from_js(const Napi::Value& value, const char* name);  // an Int32Array

// {threads, contextLength, kernels, lmHead, kvBudgetBytes}; absent keys keep the engine's defaults.
LoadOptions load_options_from_js(const Napi::Object& options);
// The shape of CompleteRequest in native-types.ts with `prompt` as an Int32Array.
CompleteRequest complete_request_from_js(const Napi::Object& request);

Napi::Object info_to_js(Napi::Env env, const ModelInfo& info);
Napi::Object result_to_js(Napi::Env env, const CompleteResult& result, bool with_logits);
Napi::Object stats_to_js(Napi::Env env, const EngineStats& stats);
Napi::Int32Array tokens_to_js(Napi::Env env, const std::vector<int32_t>& tokens);

// Valid UTF-8 for any bytes: each maximal ill-formed subsequence becomes one U+FFFD (the WHATWG / Unicode
// "substitution of maximal subparts" rule, as TextDecoder does).
std::string utf8_sanitize(std::string_view bytes);
Napi::String utf8_to_js(Napi::Env env, std::string_view bytes);

}  // namespace trit::addon
