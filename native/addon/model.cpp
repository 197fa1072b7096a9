#include "model.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "convert.h"

namespace trit::addon {
namespace {

// Runs `body`, turning engine exceptions into JS errors with a code. Napi errors pass through unchanged.
template <typename Body>
auto guarded(Napi::Env env, const char* what, Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const Napi::Error&) {
        throw;
    } catch (...) {
        throw make_error(env, capture_current_exception(what));
    }
}

}  // namespace

Napi::Function ModelWrap::define_class(Napi::Env env) {
    return DefineClass(env, "Model",
                       {
                           InstanceAccessor<&ModelWrap::get_info>("info"),
                           InstanceMethod<&ModelWrap::tokenize>("tokenize"),
                           InstanceMethod<&ModelWrap::detokenize>("detokenize"),
                           InstanceMethod<&ModelWrap::complete>("complete"),
                           InstanceMethod<&ModelWrap::drop_slot>("dropSlot"),
                           InstanceMethod<&ModelWrap::stats>("stats"),
                           InstanceMethod<&ModelWrap::dispose>("dispose"),
                       });
}

Napi::Object ModelWrap::wrap(Napi::Env env, const Napi::Function& model_class,
                             std::unique_ptr<Engine> engine) {
    // The constructor moves the engine out of this handle; if construction fails, `engine` still owns it.
    return model_class.New({Napi::External<std::unique_ptr<Engine>>::New(env, &engine)});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsExternal()) {
        throw argument_error(env, "Model objects are created by loadModel(), not with `new`");
    }
    auto* handle = info[0].As<Napi::External<std::unique_ptr<Engine>>>().Data();
    if (handle == nullptr || !*handle) throw argument_error(env, "Model: no engine");

    info_ = Napi::Persistent(info_to_js(env, (*handle)->info()));
    outbox_ = MainThreadQueue<Message>::create(
        env, "trit.model", [this](Napi::Env e, std::unique_ptr<Message> m) { on_message(e, std::move(m)); });
    thread_ = std::make_unique<TaskThread>();
    engine_ = std::move(*handle);
    external_bytes_ = std::max<int64_t>(0, engine_->info().file_bytes);
    Napi::MemoryManagement::AdjustExternalMemory(env, external_bytes_);
    // Added after the outbox's hook, so it runs first at teardown: the engine thread has stopped posting
    // before the outbox closes.
    napi_add_env_cleanup_hook(env, &ModelWrap::on_env_cleanup, this);
    cleanup_hooked_ = true;
}

ModelWrap::~ModelWrap() {
    // Normally nothing is pending here (pending work holds a strong reference), so this returns at once.
    if (!stopped_) stop_now();
    if (cleanup_hooked_) {  // not during environment teardown
        napi_remove_env_cleanup_hook(Env(), &ModelWrap::on_env_cleanup, this);
        forget_external_memory(Env());
    }
    outbox_->close();
}

void ModelWrap::forget_external_memory(Napi::Env env) {
    if (external_bytes_ == 0) return;
    Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
    external_bytes_ = 0;
}

void ModelWrap::on_env_cleanup(void* self) {
    auto* model = static_cast<ModelWrap*>(self);
    model->cleanup_hooked_ = false;
    if (!model->stopped_) model->stop_now();
}

void ModelWrap::stop_now() {
    disposed_ = true;
    for (auto& entry : pending_) entry.second.job->cancel.store(true);
    thread_->finish([this] { engine_.reset(); });  // a no-op if dispose() already asked the thread to finish
    thread_->join();
    stopped_ = true;
}

void ModelWrap::throw_if_disposed(Napi::Env env) const {
    if (disposed_) {
        throw make_error(env, ErrorCode::argument,
                         "this Trit model has been disposed; load the model again with loadModel()");
    }
}

void ModelWrap::hold() {
    if (holds_++ == 0) {
        Ref();
        outbox_->ref();
    }
}

void ModelWrap::release() {
    if (--holds_ == 0) {
        outbox_->unref();
        Unref();
    }
}

Napi::Value ModelWrap::get_info(const Napi::CallbackInfo& /*info*/) {
    return info_.Value();
}

Napi::Value ModelWrap::tokenize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    throw_if_disposed(env);
    const std::string text = string_from_js(info[0], "text");
    const bool add_bos = bool_from_js(info[1], "addBos");
    const bool parse_special = bool_from_js(info[2], "parseSpecial");
    std::vector<int32_t> tokens =
        guarded(env, "tokenizing", [&] { return engine_->tokenize(text, add_bos, parse_special); });
    return tokens_to_js(env, tokens);
}

Napi::Value ModelWrap::detokenize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    throw_if_disposed(env);
    const std::vector<int32_t> tokens = tokens_from_js(info[0], "tokens");
    const bool render_special = bool_from_js(info[1], "renderSpecial");
    std::string bytes =
        guarded(env, "detokenizing", [&] { return engine_->detokenize(tokens, render_special); });
    return utf8_to_js(env, bytes);
}

Napi::Value ModelWrap::stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    throw_if_disposed(env);
    EngineStats stats = guarded(env, "reading engine statistics", [&] { return engine_->stats(); });
    return stats_to_js(env, stats);
}

Napi::Value ModelWrap::drop_slot(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    throw_if_disposed(env);
    std::string slot = string_from_js(info[0], "slot");
    // Queued behind the jobs already submitted, so a drop never races a job that uses the slot.
    thread_->post([this, slot = std::move(slot)] {
        try {
            engine_->slot_drop(slot);
        } catch (...) {
            // Dropping an unknown slot is not an error worth a round trip; nothing else can fail here.
        }
    });
    return env.Undefined();
}

Napi::Value ModelWrap::complete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    throw_if_disposed(env);
    if (!info[0].IsObject()) throw argument_error(env, "request must be an object");
    CompleteRequest request = complete_request_from_js(info[0].As<Napi::Object>());
    Napi::Function on_text;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
        if (!info[1].IsFunction()) throw argument_error(env, "onText must be a function");
        on_text = info[1].As<Napi::Function>();
    }

    auto job = std::make_shared<Job>();
    job->id = next_job_id_++;
    job->request = std::move(request);
    job->owner = this;
    PendingJob pending{job, Napi::Promise::Deferred::New(env), {}, {}};
    if (!on_text.IsEmpty()) pending.on_text = Napi::Persistent(on_text);
    Napi::Promise done = pending.deferred.Promise();
    pending_.emplace(job->id, std::move(pending));
    hold();
    // `this` outlives the task: it is held until the job settles, and the destructor joins the thread.
    thread_->post([this, job] { run_job(*job); });

    Napi::Object handle = Napi::Object::New(env);
    handle.Set("done", done);
    std::weak_ptr<Job> weak = job;
    handle.Set("cancel", Napi::Function::New(
                             env,
                             [weak](const Napi::CallbackInfo& call) -> Napi::Value {
                                 std::shared_ptr<Job> j = weak.lock();
                                 if (j && !j->settled) j->owner->cancel_job(j);
                                 return call.Env().Undefined();
                             },
                             "cancel"));
    return handle;
}

void ModelWrap::run_job(Job& job) {
    int expected = Job::queued;
    if (!job.state.compare_exchange_strong(expected, Job::running)) return;  // cancelled before it started

    auto done = std::make_unique<Message>();
    done->job_id = job.id;
    try {
        done->result = engine_->complete(job.request, job.cancel, [&](std::string_view piece) {
            auto message = std::make_unique<Message>();
            message->kind = Message::Kind::text;
            message->job_id = job.id;
            message->text.assign(piece.data(), piece.size());
            outbox_->post(std::move(message));
        });
        done->kind = Message::Kind::done;
    } catch (...) {
        done->kind = Message::Kind::failed;
        done->error = capture_current_exception("running a completion");
    }
    outbox_->post(std::move(done));
}

void ModelWrap::cancel_job(const std::shared_ptr<Job>& job) {
    job->cancel.store(true);
    int expected = Job::queued;
    if (job->state.compare_exchange_strong(expected, Job::skipped)) {
        // It never reached the engine: settle now instead of waiting behind the running job.
        CompleteResult result;
        result.stop_reason = StopReason::cancelled;
        result.n_prompt = static_cast<int32_t>(job->request.prompt.size());
        settle(Env(), job->id, &result, nullptr);
    }
}

void ModelWrap::settle(Napi::Env env, uint64_t job_id, const CompleteResult* result,
                       const CapturedError* error) {
    auto it = pending_.find(job_id);
    if (it == pending_.end()) return;
    PendingJob pending = std::move(it->second);
    pending_.erase(it);
    pending.job->settled = true;

    if (!pending.callback_error.IsEmpty()) {
        pending.deferred.Reject(pending.callback_error.Value());
    } else if (error != nullptr) {
        pending.deferred.Reject(make_error(env, *error).Value());
    } else {
        const CompleteRequest& request = pending.job->request;
        try {
            pending.deferred.Resolve(result_to_js(env, *result, request.logits_all || request.logits_last));
        } catch (const Napi::Error& e) {
            pending.deferred.Reject(e.Value());
        }
    }
    release();
}

void ModelWrap::on_message(Napi::Env env, std::unique_ptr<Message> message) {
    switch (message->kind) {
        case Message::Kind::text: {
            auto it = pending_.find(message->job_id);
            if (it == pending_.end()) return;
            PendingJob& pending = it->second;
            if (pending.on_text.IsEmpty() || !pending.callback_error.IsEmpty()) return;
            try {
                pending.on_text.Call({utf8_to_js(env, message->text)});
            } catch (const Napi::Error& e) {
                pending.callback_error = Napi::Persistent(static_cast<Napi::Value>(e.Value()));
                pending.job->cancel.store(true);
            }
            return;
        }
        case Message::Kind::done:
            settle(env, message->job_id, &message->result, nullptr);
            return;
        case Message::Kind::failed:
            settle(env, message->job_id, nullptr, &message->error);
            return;
        case Message::Kind::stopped: {
            thread_->join();  // the thread posted this as its very last act
            stopped_ = true;
            forget_external_memory(env);
            std::vector<Napi::Promise::Deferred> waiters = std::move(dispose_waiters_);
            for (auto& waiter : waiters) waiter.Resolve(env.Undefined());
            release();
            return;
        }
    }
}

Napi::Value ModelWrap::dispose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    if (stopped_) {
        deferred.Resolve(env.Undefined());
        return deferred.Promise();
    }
    dispose_waiters_.push_back(deferred);
    if (disposed_) return deferred.Promise();

    disposed_ = true;
    std::vector<std::shared_ptr<Job>> jobs;
    for (auto& entry : pending_) jobs.push_back(entry.second.job);
    for (auto& job : jobs) cancel_job(job);
    hold();
    thread_->finish([this] {
        engine_.reset();
        auto message = std::make_unique<Message>();
        message->kind = Message::Kind::stopped;
        outbox_->post(std::move(message));
    });
    return deferred.Promise();
}

}  // namespace trit::addon
