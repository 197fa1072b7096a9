// The JS `Model` object: owns one engine, the thread its jobs run on, and everything a pending job holds.
//
// Threads: every method below runs on the JS main thread. Jobs (complete, dropSlot) run in order on one
// engine thread owned by this object; that thread never touches Node-API. It reports through a
// MainThreadQueue: text pieces, then the job's result, so onText calls always come before the promise
// settles.
//
// Lifetime: while a job or a dispose() is outstanding the object holds a strong reference to itself and keeps
// the event loop alive, so neither the GC nor process exit can pull the engine away from a running job.
// dispose() cancels every job, lets the engine thread free the engine after the current job has stopped,
// joins it, then resolves. Without dispose(), the GC finalizer (or the environment's cleanup at exit) does
// the same synchronously.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "main-thread-queue.h"
#include "task-thread.h"
#include "trit/engine.h"

namespace trit::addon {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
  public:
    // Defines the class; the constructor is not exported (models come from loadModel()).
    static Napi::Function define_class(Napi::Env env);
    // Wraps a loaded engine in a new Model object. `model_class` is what define_class() returned.
    static Napi::Object wrap(Napi::Env env, const Napi::Function& model_class,
                             std::unique_ptr<Engine> engine);

    explicit ModelWrap(const Napi::CallbackInfo& info);
    ~ModelWrap() override;

  private:
    // One complete() call, shared by the main thread and the engine thread. Plain data only: its last owner
    // may drop it on either thread.
    struct Job {
        enum State : int { queued, running, skipped };
        uint64_t id = 0;
        CompleteRequest request;  // immutable once queued
        std::atomic<bool> cancel{false};
        std::atomic<int> state{queued};  // queued -> running (engine thread) or queued -> skipped (cancel())
        bool settled = false;            // main thread: the promise has settled and `owner` may be gone
        ModelWrap* owner = nullptr;      // main thread, valid while !settled
    };

    // The JS side of a job; main thread only.
    struct PendingJob {
        std::shared_ptr<Job> job;
        Napi::Promise::Deferred deferred;
        Napi::FunctionReference on_text;
        Napi::Reference<Napi::Value>
            callback_error;  // what onText threw; the job is cancelled and rejects with it
    };

    // Engine thread -> main thread.
    struct Message {
        enum class Kind { text, done, failed, stopped } kind = Kind::text;
        uint64_t job_id = 0;
        std::string text;
        CompleteResult result;
        CapturedError error;
    };

    Napi::Value get_info(const Napi::CallbackInfo& info);
    Napi::Value tokenize(const Napi::CallbackInfo& info);    // (text, addBos, parseSpecial) -> Int32Array
    Napi::Value detokenize(const Napi::CallbackInfo& info);  // (tokens: Int32Array, renderSpecial) -> string
    Napi::Value complete(const Napi::CallbackInfo& info);    // (request, onText?) -> {done, cancel}
    Napi::Value drop_slot(const Napi::CallbackInfo& info);   // (slot) -> undefined
    Napi::Value stats(const Napi::CallbackInfo& info);       // () -> EngineStats
    Napi::Value dispose(const Napi::CallbackInfo& info);     // () -> Promise<void>

    void throw_if_disposed(Napi::Env env) const;
    void run_job(Job& job);  // engine thread
    void on_message(Napi::Env env, std::unique_ptr<Message> message);
    void cancel_job(const std::shared_ptr<Job>& job);
    void settle(Napi::Env env, uint64_t job_id, const CompleteResult* result, const CapturedError* error);
    void stop_now();  // cancels everything and joins the engine thread, blocking; frees the engine
    void hold();
    void release();
    void forget_external_memory(Napi::Env env);
    static void on_env_cleanup(void* self);

    std::unique_ptr<Engine> engine_;  // freed on the engine thread when it finishes
    std::shared_ptr<MainThreadQueue<Message>> outbox_;
    std::unique_ptr<TaskThread> thread_;
    Napi::ObjectReference info_;
    std::unordered_map<uint64_t, PendingJob> pending_;
    std::vector<Napi::Promise::Deferred> dispose_waiters_;
    uint64_t next_job_id_ = 1;
    int32_t holds_ = 0;
    int64_t external_bytes_ =
        0;                   // reported to V8, so that the GC counts the engine's memory when it schedules
    bool disposed_ = false;  // dispose() was called: every method but dispose() throws
    bool stopped_ = false;   // the engine thread has ended and the engine is freed
    bool cleanup_hooked_ = false;
};

}  // namespace trit::addon
