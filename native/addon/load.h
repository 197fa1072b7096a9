// loadModel(path, options, onProgress?) -> Promise<Model>. The file is parsed and mapped on libuv's thread
// pool (an AsyncWorker); progress reaches onProgress on the main thread through a thread-safe function, and
// the promise settles through that same queue, after the last progress call.
#pragma once

#include <napi.h>

namespace trit::addon {

Napi::Value load_model(const Napi::CallbackInfo& info);

}  // namespace trit::addon
