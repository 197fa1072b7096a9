// Registration of the Trit engine addon: the only entry point Node sees. Everything it exposes is typed in
// server/src/engine/native.ts (the one loader, which also validates arguments before calling in here).
//
//   loadModel(path, options, onProgress?) -> Promise<Model>
//   availableKernels() -> string[]
//   memoryReadBandwidth(threads, bufferBytes) -> number (bytes/s)
//   version, platform, arch, napiVersion
#include "addon.h"

#include <napi.h>

#include <string>
#include <vector>

#include "convert.h"
#include "errors.h"
#include "load.h"
#include "model.h"
#include "trit/engine.h"

#define TRIT_STRINGIFY_(x) #x
#define TRIT_STRINGIFY(x) TRIT_STRINGIFY_(x)

namespace trit::addon {
namespace {

// Node's names (process.platform / process.arch) for what this binary was compiled for.
#if defined(__linux__)
constexpr const char* platform_name = "linux";
#elif defined(__APPLE__)
constexpr const char* platform_name = "darwin";
#elif defined(_WIN32)
constexpr const char* platform_name = "win32";
#elif defined(__FreeBSD__)
constexpr const char* platform_name = "freebsd";
#else
constexpr const char* platform_name = "unknown";
#endif

#if defined(__x86_64__) || defined(_M_X64)
constexpr const char* arch_name = "x64";
#elif defined(__aarch64__) || defined(_M_ARM64)
constexpr const char* arch_name = "arm64";
#else
constexpr const char* arch_name = "unknown";
#endif

Napi::Value available_kernels(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<std::string> kernels;
    try {
        kernels = trit::available_kernels();
    } catch (...) {
        throw make_error(env, capture_current_exception("listing kernels"));
    }
    Napi::Array out = Napi::Array::New(env, kernels.size());
    for (size_t i = 0; i < kernels.size(); ++i) out.Set(static_cast<uint32_t>(i), kernels[i]);
    return out;
}

Napi::Value memory_read_bandwidth(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsNumber()) {
        throw argument_error(env, "memoryReadBandwidth(threads, bufferBytes) takes two numbers");
    }
    const auto threads = info[0].As<Napi::Number>().Int32Value();
    const auto bytes = info[1].As<Napi::Number>().Int64Value();
    if (threads < 0 || bytes <= 0)
        throw argument_error(env, "memoryReadBandwidth: threads >= 0, bufferBytes > 0");
    try {
        return Napi::Number::New(env, trit::memory_read_bandwidth(threads, bytes));
    } catch (...) {
        throw make_error(env, capture_current_exception("measuring memory bandwidth"));
    }
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
    auto* data = new AddonData();
    data->model_class = Napi::Persistent(ModelWrap::define_class(env));
    env.SetInstanceData<AddonData>(data);  // deleted by Node when the environment goes away

    exports.Set("loadModel", Napi::Function::New<load_model>(env, "loadModel"));
    exports.Set("availableKernels", Napi::Function::New<available_kernels>(env, "availableKernels"));
    exports.Set("memoryReadBandwidth",
                Napi::Function::New<memory_read_bandwidth>(env, "memoryReadBandwidth"));
    exports.Set("version", Napi::String::New(env, TRIT_STRINGIFY(TRIT_VERSION)));
    exports.Set("platform", Napi::String::New(env, platform_name));
    exports.Set("arch", Napi::String::New(env, arch_name));
    exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
    return exports;
}

}  // namespace
}  // namespace trit::addon

// NODE_API_MODULE needs an unqualified name.
static Napi::Object trit_addon_init(Napi::Env env, Napi::Object exports) {
    return trit::addon::init(env, exports);
}

NODE_API_MODULE(trit, trit_addon_init)
