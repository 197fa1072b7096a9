// Per-environment state of the addon (one per Node.js environment: the main thread or a worker thread).
#pragma once

#include <napi.h>

namespace trit::addon {

struct AddonData {
    Napi::FunctionReference model_class;  // the Model constructor; not exported
};

}  // namespace trit::addon
