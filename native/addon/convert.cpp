#include "convert.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace trit::addon {
namespace {

constexpr double max_safe_integer = 9007199254740991.0;  // 2^53 - 1

Napi::Value get(const Napi::Object& object, const char* key) {
    return object.Get(key);
}

double number_from_js(const Napi::Value& value, const char* name) {
    if (!value.IsNumber()) throw argument_error(value.Env(), std::string(name) + " must be a number");
    double x = value.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(x)) throw argument_error(value.Env(), std::string(name) + " must be finite");
    return x;
}

int64_t integer_from_js(const Napi::Value& value, const char* name, double min, double max) {
    double x = number_from_js(value, name);
    if (std::trunc(x) != x || x < min || x > max) {
        throw argument_error(value.Env(), std::string(name) + " must be an integer in [" +
                                              std::to_string(static_cast<int64_t>(min)) + ", " +
                                              std::to_string(static_cast<int64_t>(max)) + "]");
    }
    return static_cast<int64_t>(x);
}

int32_t int32_from_js(const Napi::Value& value, const char* name, int32_t min) {
    return static_cast<int32_t>(integer_from_js(value, name, min, std::numeric_limits<int32_t>::max()));
}

Napi::Object object_from_js(const Napi::Value& value, const char* name) {
    if (!value.IsObject()) throw argument_error(value.Env(), std::string(name) + " must be an object");
    return value.As<Napi::Object>();
}

const char* stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::eog:
            return "eog";
        case StopReason::stop:
            return "stop";
        case StopReason::length:
            return "length";
        case StopReason::cancelled:
            return "cancelled";
        case StopReason::time:
            return "time";
        case StopReason::context:
            return "context";
    }
    return "length";
}

Napi::Object special_to_js(Napi::Env env, const SpecialTokens& special) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("bos", special.bos);
    o.Set("eos", special.eos);
    o.Set("eot", special.eot);
    o.Set("pad", special.pad);
    o.Set("fimPre", special.fim_pre);
    o.Set("fimSuf", special.fim_suf);
    o.Set("fimMid", special.fim_mid);
    o.Set("fimPad", special.fim_pad);
    o.Set("fimRep", special.fim_rep);
    o.Set("fimSep", special.fim_sep);
    Napi::Array eog = Napi::Array::New(env, special.eog.size());
    for (size_t i = 0; i < special.eog.size(); ++i) eog.Set(static_cast<uint32_t>(i), special.eog[i]);
    o.Set("eog", eog);
    return o;
}

}  // namespace

Napi::Error argument_error(Napi::Env env, const std::string& message) {
    Napi::Error error = Napi::TypeError::New(env, message);
    error.Set("code", Napi::String::New(env, "argument"));
    return error;
}

std::string string_from_js(const Napi::Value& value, const char* name) {
    if (!value.IsString()) throw argument_error(value.Env(), std::string(name) + " must be a string");
    return value.As<Napi::String>().Utf8Value();
}

bool bool_from_js(const Napi::Value& value, const char* name) {
    if (!value.IsBoolean()) throw argument_error(value.Env(), std::string(name) + " must be a boolean");
    return value.As<Napi::Boolean>().Value();
}

std::vector<int32_t> tokens_from_js(const Napi::Value& value, const char* name) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw argument_error(value.Env(), std::string(name) + " must be an Int32Array");
    }
    Napi::Int32Array array = value.As<Napi::Int32Array>();
    const int32_t* data = array.Data();
    return std::vector<int32_t>(data, data + array.ElementLength());
}

LoadOptions load_options_from_js(const Napi::Object& options) {
    LoadOptions out;
    Napi::Value v;
    if (!(v = get(options, "threads")).IsUndefined()) out.n_threads = int32_from_js(v, "threads", 0);
    if (!(v = get(options, "contextLength")).IsUndefined()) out.n_ctx = int32_from_js(v, "contextLength", 0);
    if (!(v = get(options, "kernels")).IsUndefined()) out.kernels = string_from_js(v, "kernels");
    if (!(v = get(options, "lmHead")).IsUndefined()) out.lm_head = string_from_js(v, "lmHead");
    if (!(v = get(options, "kvBudgetBytes")).IsUndefined()) {
        out.kv_budget_bytes = integer_from_js(v, "kvBudgetBytes", 0, max_safe_integer);
    }
    return out;
}

CompleteRequest complete_request_from_js(const Napi::Object& request) {
    CompleteRequest out;
    out.slot = string_from_js(get(request, "slot"), "slot");
    out.prompt = tokens_from_js(get(request, "prompt"), "prompt");
    Napi::Value v;
    if (!(v = get(request, "maxTokens")).IsUndefined()) out.n_predict = int32_from_js(v, "maxTokens", 0);
    if (!(v = get(request, "sampling")).IsUndefined()) {
        Napi::Object sampling = object_from_js(v, "sampling");
        if (!(v = get(sampling, "temperature")).IsUndefined()) {
            out.sampling.temperature = static_cast<float>(number_from_js(v, "sampling.temperature"));
        }
        if (!(v = get(sampling, "topK")).IsUndefined())
            out.sampling.top_k = int32_from_js(v, "sampling.topK", 0);
        if (!(v = get(sampling, "topP")).IsUndefined()) {
            out.sampling.top_p = static_cast<float>(number_from_js(v, "sampling.topP"));
        }
        if (!(v = get(sampling, "seed")).IsUndefined()) {
            out.sampling.seed =
                static_cast<uint64_t>(integer_from_js(v, "sampling.seed", 0, max_safe_integer));
        }
    }
    if (!(v = get(request, "stop")).IsUndefined()) {
        if (!v.IsArray()) throw argument_error(request.Env(), "stop must be an array of strings");
        Napi::Array stop = v.As<Napi::Array>();
        for (uint32_t i = 0; i < stop.Length(); ++i)
            out.stop.push_back(string_from_js(stop.Get(i), "stop[i]"));
    }
    if (!(v = get(request, "ignoreEog")).IsUndefined()) out.ignore_eog = bool_from_js(v, "ignoreEog");
    if (!(v = get(request, "timeBudgetMs")).IsUndefined())
        out.time_budget_ms = int32_from_js(v, "timeBudgetMs", 0);
    if (!(v = get(request, "logitsAll")).IsUndefined()) out.logits_all = bool_from_js(v, "logitsAll");
    if (!(v = get(request, "logitsLast")).IsUndefined()) out.logits_last = bool_from_js(v, "logitsLast");
    return out;
}

Napi::Object info_to_js(Napi::Env env, const ModelInfo& info) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("path", info.path);
    o.Set("arch", info.arch);
    o.Set("name", utf8_to_js(env, info.name));
    o.Set("weightType", info.weight_type);
    o.Set("embdType", info.embd_type);
    o.Set("lmHeadType", info.lm_head_type);
    o.Set("tokenizerPre", info.tokenizer_pre);
    o.Set("kernels", info.kernels);
    o.Set("threads", info.n_threads);
    o.Set("nVocab", info.n_vocab);
    o.Set("nCtxTrain", info.n_ctx_train);
    o.Set("nCtx", info.n_ctx);
    o.Set("nEmbd", info.n_embd);
    o.Set("nLayer", info.n_layer);
    o.Set("nHead", info.n_head);
    o.Set("nHeadKv", info.n_head_kv);
    o.Set("nFf", info.n_ff);
    o.Set("nRot", info.n_rot);
    o.Set("ropeFreqBase", info.rope_freq_base);
    o.Set("rmsEps", info.rms_eps);
    o.Set("nParams", static_cast<double>(info.n_params));
    o.Set("fileBytes", static_cast<double>(info.file_bytes));
    o.Set("addBos", info.add_bos);
    o.Set("special", special_to_js(env, info.special));
    o.Set("chatTemplate", utf8_to_js(env, info.chat_template));
    Napi::Object meta = Napi::Object::New(env);
    for (const auto& [key, value] : info.meta) meta.Set(utf8_to_js(env, key), utf8_to_js(env, value));
    o.Set("meta", meta);
    return o;
}

Napi::Object result_to_js(Napi::Env env, const CompleteResult& result, bool with_logits) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("text", utf8_to_js(env, result.text));
    Napi::Array tokens = Napi::Array::New(env, result.tokens.size());
    for (size_t i = 0; i < result.tokens.size(); ++i) tokens.Set(static_cast<uint32_t>(i), result.tokens[i]);
    o.Set("tokens", tokens);
    o.Set("stopReason", stop_reason_name(result.stop_reason));
    o.Set("promptTokens", result.n_prompt);
    o.Set("reusedTokens", result.n_reused);
    o.Set("evaluatedTokens", result.n_evaluated);
    o.Set("generatedTokens", result.n_generated);
    o.Set("prefillMs", result.t_prefill_ms);
    o.Set("decodeMs", result.t_decode_ms);
    o.Set("totalMs", result.t_total_ms);
    if (with_logits) {
        // A copy into memory V8 owns: Electron's V8 sandbox (VS Code's Node) forbids external array buffers.
        Napi::Float32Array logits = Napi::Float32Array::New(env, result.logits.size());
        if (!result.logits.empty()) {
            std::memcpy(logits.Data(), result.logits.data(), result.logits.size() * sizeof(float));
        }
        o.Set("logits", logits);
    }
    return o;
}

Napi::Object stats_to_js(Napi::Env env, const EngineStats& stats) {
    Napi::Object o = Napi::Object::New(env);
    Napi::Array slots = Napi::Array::New(env, stats.slots.size());
    for (size_t i = 0; i < stats.slots.size(); ++i) {
        const SlotStats& s = stats.slots[i];
        Napi::Object slot = Napi::Object::New(env);
        slot.Set("name", utf8_to_js(env, s.name));
        slot.Set("tokens", s.n_tokens);
        slot.Set("kvBytes", static_cast<double>(s.kv_bytes));
        slot.Set("lastUsedMs", static_cast<double>(s.last_used_ms));
        slots.Set(static_cast<uint32_t>(i), slot);
    }
    o.Set("slots", slots);
    o.Set("kvBytes", static_cast<double>(stats.kv_bytes));
    o.Set("kvBudgetBytes", static_cast<double>(stats.kv_budget_bytes));
    o.Set("weightBytes", static_cast<double>(stats.weight_bytes));
    o.Set("jobs", static_cast<double>(stats.n_jobs));
    o.Set("cancelled", static_cast<double>(stats.n_cancelled));
    return o;
}

Napi::Int32Array tokens_to_js(Napi::Env env, const std::vector<int32_t>& tokens) {
    Napi::Int32Array array = Napi::Int32Array::New(env, tokens.size());
    if (!tokens.empty()) std::memcpy(array.Data(), tokens.data(), tokens.size() * sizeof(int32_t));
    return array;
}

std::string utf8_sanitize(std::string_view bytes) {
    static const char replacement[] = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(bytes.size());
    const size_t n = bytes.size();
    size_t i = 0;
    while (i < n) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        if (b < 0x80) {
            out.push_back(static_cast<char>(b));
            ++i;
            continue;
        }
        // Number of continuation bytes, and the allowed range of the first one (excludes overlongs,
        // surrogates and code points above U+10FFFF).
        int need = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b == 0xE0) {
            need = 2, lo = 0xA0;
        } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
            need = 2;
        } else if (b == 0xED) {
            need = 2, hi = 0x9F;
        } else if (b == 0xF0) {
            need = 3, lo = 0x90;
        } else if (b >= 0xF1 && b <= 0xF3) {
            need = 3;
        } else if (b == 0xF4) {
            need = 3, hi = 0x8F;
        } else {
            out.append(replacement);  // 0x80..0xC1, 0xF5..0xFF never start a sequence
            ++i;
            continue;
        }
        size_t j = i + 1;
        int got = 0;
        while (got < need && j < n) {
            const auto c = static_cast<unsigned char>(bytes[j]);
            if (c < lo || c > hi) break;
            lo = 0x80, hi = 0xBF;
            ++j, ++got;
        }
        if (got == need) {
            out.append(bytes.data() + i, j - i);
        } else {
            out.append(replacement);  // the maximal subpart bytes[i, j) is replaced as a whole
        }
        i = j;
    }
    return out;
}

Napi::String utf8_to_js(Napi::Env env, std::string_view bytes) {
    const std::string valid = utf8_sanitize(bytes);
    return Napi::String::New(env, valid.data(), valid.size());
}

}  // namespace trit::addon
