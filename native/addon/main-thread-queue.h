// Delivers messages from any thread to the JS main thread, one handler call per message, in the order posted.
//
// A thin owner of one Node-API thread-safe function (unbounded queue, so posting never blocks a worker). What
// it adds is a safe shutdown:
// - close() (main thread) stops accepting and handling messages and releases the thread-safe function;
// messages
//   still in flight are dropped, never handed to an owner that may be gone;
// - when the JS environment is torn down (process exit, worker termination) an environment cleanup hook,
// added
//   after the thread-safe function so that it runs before Node destroys it, closes the queue under its mutex,
//   so a worker that is still running (a model that is still loading) never touches a destroyed function.
// The object lives until both its owner's shared_ptr and the thread-safe function are gone.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace trit::addon {

template <typename Message>
class MainThreadQueue {
  public:
    // Called on the main thread inside a handle scope. May throw Napi::Error: it becomes an uncaught JS
    // exception.
    using Handler = std::function<void(Napi::Env, std::unique_ptr<Message>)>;

    // Main thread. The queue starts unreferenced: it does not keep the event loop alive until ref() is
    // called.
    static std::shared_ptr<MainThreadQueue> create(Napi::Env env, const char* name, Handler handler) {
        std::shared_ptr<MainThreadQueue> queue(new MainThreadQueue(env, std::move(handler)));
        auto* keep_alive = new std::shared_ptr<MainThreadQueue>(queue);
        napi_status status = napi_create_threadsafe_function(
            env, nullptr, nullptr, Napi::String::New(env, name), /*max_queue_size=*/0,
            /*initial_thread_count=*/1, keep_alive, &MainThreadQueue::finalize, queue.get(),
            &MainThreadQueue::call_js, &queue->tsfn_);
        if (status != napi_ok) {
            delete keep_alive;
            throw Napi::Error::New(env, "cannot create a thread-safe function");
        }
        napi_unref_threadsafe_function(env, queue->tsfn_);
        napi_add_env_cleanup_hook(env, &MainThreadQueue::on_env_cleanup, queue.get());
        return queue;
    }

    MainThreadQueue(const MainThreadQueue&) = delete;
    MainThreadQueue& operator=(const MainThreadQueue&) = delete;

    // Any thread. Returns false (and drops the message) once the queue is closed.
    bool post(std::unique_ptr<Message> message) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!accepting_) return false;
        if (napi_call_threadsafe_function(tsfn_, message.get(), napi_tsfn_nonblocking) != napi_ok)
            return false;
        message.release();  // owned by the queue now; call_js takes it back
        return true;
    }

    // Main thread: keep the event loop alive while work is outstanding, or stop doing so.
    void ref() {
        if (!closed_) napi_ref_threadsafe_function(env_, tsfn_);
    }
    void unref() {
        if (!closed_) napi_unref_threadsafe_function(env_, tsfn_);
    }

    // Main thread; idempotent.
    void close() {
        if (closed_) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            accepting_ = false;
        }
        closed_ = true;
        napi_remove_env_cleanup_hook(env_, &MainThreadQueue::on_env_cleanup, this);
        napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    }

  private:
    MainThreadQueue(Napi::Env env, Handler handler) : env_(env), handler_(std::move(handler)) {}

    static void call_js(napi_env env, napi_value /*js_callback*/, void* context, void* data) {
        std::unique_ptr<Message> message(static_cast<Message*>(data));
        auto* self = static_cast<MainThreadQueue*>(context);
        if (env == nullptr || self->closed_) return;
        try {
            self->handler_(Napi::Env(env), std::move(message));
        } catch (const Napi::Error& e) {
            e.ThrowAsJavaScriptException();
        } catch (const std::exception& e) {
            Napi::Error::New(env, e.what()).ThrowAsJavaScriptException();
        }
    }

    static void finalize(napi_env /*env*/, void* data, void* /*hint*/) {
        delete static_cast<std::shared_ptr<MainThreadQueue>*>(data);
    }

    // Runs before Node destroys the thread-safe function (cleanup hooks run last-added first). Node releases
    // the function itself afterwards, so close() must not.
    static void on_env_cleanup(void* arg) {
        auto* self = static_cast<MainThreadQueue*>(arg);
        {
            std::lock_guard<std::mutex> lock(self->mutex_);
            self->accepting_ = false;
        }
        self->closed_ = true;
    }

    napi_env env_;
    Handler handler_;
    napi_threadsafe_function tsfn_ = nullptr;
    std::mutex mutex_;
    bool accepting_ = true;  // guarded by mutex_: post() may still hand messages to the thread-safe function
    bool closed_ = false;    // main thread: messages are no longer handled
};

}  // namespace trit::addon
