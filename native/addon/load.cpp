#include "load.h"

#include <memory>
#include <string>
#include <utility>

#include "addon.h"
#include "convert.h"
#include "errors.h"
#include "main-thread-queue.h"
#include "model.h"
#include "trit/engine.h"

namespace trit::addon {
namespace {

// The outcome of Engine::load, or one progress report.
struct LoadMessage {
    bool finished = false;
    float fraction = 0;
    std::unique_ptr<Engine> engine;  // finished and loaded
    bool failed = false;
    CapturedError error;
};

// Main-thread state of one load; outlives the worker when progress is reported.
struct LoadState {
    explicit LoadState(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise::Deferred deferred;
    Napi::FunctionReference on_progress;
    Napi::Reference<Napi::Value> callback_error;  // what onProgress threw: the load rejects with it
    std::shared_ptr<MainThreadQueue<LoadMessage>> progress;  // null without onProgress
};

void finish(Napi::Env env, LoadState& state, LoadMessage& outcome) {
    if (!state.callback_error.IsEmpty()) {
        state.deferred.Reject(state.callback_error.Value());  // the engine (if any) is freed with `outcome`
    } else if (outcome.failed) {
        state.deferred.Reject(make_error(env, outcome.error).Value());
    } else {
        try {
            const AddonData& data = *env.GetInstanceData<AddonData>();
            state.deferred.Resolve(ModelWrap::wrap(env, data.model_class.Value(), std::move(outcome.engine)));
        } catch (const Napi::Error& e) {
            state.deferred.Reject(e.Value());
        }
    }
}

class LoadWorker : public Napi::AsyncWorker {
  public:
    LoadWorker(Napi::Env env, std::string path, LoadOptions options, std::shared_ptr<LoadState> state)
        : Napi::AsyncWorker(env, "trit.loadModel"),
          path_(std::move(path)),
          options_(std::move(options)),
          state_(std::move(state)),
          progress_(state_->progress) {}

  protected:
    void Execute() override {
        if (progress_) {
            // Called on this thread only. At most one report per percent, and always the final 1.
            options_.on_progress = [queue = progress_.get(), last = -1.0f](float fraction) mutable {
                if (!(fraction >= 0.0f)) fraction = 0.0f;  // also maps NaN to 0
                if (fraction > 1.0f) fraction = 1.0f;
                if (fraction < 1.0f && fraction - last < 0.01f) return;
                if (fraction == last) return;
                last = fraction;
                auto message = std::make_unique<LoadMessage>();
                message->fraction = fraction;
                queue->post(std::move(message));
            };
        }
        try {
            engine_ = Engine::load(path_, options_);
        } catch (...) {
            failed_ = true;
            error_ = capture_current_exception("loading the model");
        }
    }

    void OnOK() override {
        auto outcome = std::make_unique<LoadMessage>();
        outcome->finished = true;
        outcome->engine = std::move(engine_);
        outcome->failed = failed_;
        outcome->error = error_;
        if (progress_) {
            progress_->post(std::move(outcome));  // behind the last progress report
        } else {
            finish(Env(), *state_, *outcome);
        }
    }

  private:
    std::string path_;
    LoadOptions options_;
    std::shared_ptr<LoadState> state_;
    std::shared_ptr<MainThreadQueue<LoadMessage>> progress_;
    std::unique_ptr<Engine> engine_;
    bool failed_ = false;
    CapturedError error_;
};

}  // namespace

Napi::Value load_model(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = string_from_js(info[0], "path");
    if (!info[1].IsObject()) throw argument_error(env, "options must be an object");
    LoadOptions options = load_options_from_js(info[1].As<Napi::Object>());

    auto state = std::make_shared<LoadState>(env);
    if (info.Length() > 2 && !info[2].IsUndefined()) {
        if (!info[2].IsFunction()) throw argument_error(env, "onProgress must be a function");
        state->on_progress = Napi::Persistent(info[2].As<Napi::Function>());
        // The handler keeps `state` alive; the cycle (state -> queue -> handler -> state) is cut when the
        // load finishes.
        state->progress = MainThreadQueue<LoadMessage>::create(
            env, "trit.loadModel.progress", [state](Napi::Env e, std::unique_ptr<LoadMessage> message) {
                if (message->finished) {
                    std::shared_ptr<MainThreadQueue<LoadMessage>> queue = std::move(state->progress);
                    queue->unref();
                    queue->close();
                    finish(e, *state, *message);
                    return;
                }
                if (!state->callback_error.IsEmpty()) return;
                try {
                    state->on_progress.Call({Napi::Number::New(e, message->fraction)});
                } catch (const Napi::Error& error) {
                    state->callback_error = Napi::Persistent(static_cast<Napi::Value>(error.Value()));
                }
            });
        state->progress->ref();  // the promise is pending: keep the loop alive for the final message
    }

    Napi::Promise promise = state->deferred.Promise();
    auto* worker = new LoadWorker(env, std::move(path), std::move(options), state);
    worker->Queue();
    return promise;
}

}  // namespace trit::addon
