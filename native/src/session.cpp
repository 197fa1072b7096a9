#include "session.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "sampler.h"
#include "stop-filter.h"

namespace trit {

namespace {

constexpr int32_t kMaxBatch = 256;  // tokens per forward call during prefill
constexpr int32_t kMaxThreads = 256;
constexpr int32_t kMaxCtx = 1 << 20;
constexpr int32_t kKvGrowStep = 256;  // KV capacity grows in multiples of this (or doubles)

}  // namespace

std::unique_ptr<Engine> Engine::load(const std::string& path, const LoadOptions& options) {
    return std::make_unique<EngineImpl>(path, options);
}

EngineImpl::EngineImpl(const std::string& path, const LoadOptions& options)
    : t_start_(std::chrono::steady_clock::now()) {
    if (options.n_threads < 0 || options.n_threads > kMaxThreads) {
        throw Error(ErrorCode::argument, "n_threads must be between 0 and " + std::to_string(kMaxThreads));
    }
    if (options.n_ctx < 0 || options.n_ctx > kMaxCtx) {
        throw Error(ErrorCode::argument, "n_ctx must be between 0 and " + std::to_string(kMaxCtx));
    }
    if (options.kv_budget_bytes < 0) throw Error(ErrorCode::argument, "kv_budget_bytes must not be negative");
    kernels_ = kernels_select(options.kernels);
    model_ = Model::load(path, options, *kernels_);
    const Hparams& hp = model_->hparams();
    n_ctx_ = options.n_ctx > 0 ? options.n_ctx : std::min(hp.n_ctx_train, 4096);
    kv_budget_ = options.kv_budget_bytes > 0 ? options.kv_budget_bytes
                                             : 4 * KvCache::bytes_for(hp.n_layer, hp.n_embd_kv(), n_ctx_);
    const int32_t n_threads = options.n_threads > 0 ? options.n_threads : physical_core_count();
    pool_ = std::make_unique<ThreadPool>(n_threads);
    forward_ = std::make_unique<Forward>(*model_, *kernels_, *pool_, std::min(n_ctx_, kMaxBatch), n_ctx_);
    logits_.resize(static_cast<size_t>(hp.n_vocab));
    fill_info(path);
}

EngineImpl::~EngineImpl() {
    // A running job holds job_mutex_; wait for it so that nothing it uses is destroyed under it.
    std::lock_guard<std::mutex> lock(job_mutex_);
}

void EngineImpl::fill_info(const std::string& path) {
    const Hparams& hp = model_->hparams();
    const GgufFile& f = model_->file();
    ModelInfo& i = info_;
    i.path = path;
    i.arch = hp.arch;
    f.get_string("general.name", &i.name);
    i.weight_type = model_->weight_type();
    i.embd_type = tensor_type_name(static_cast<uint32_t>(model_->tok_embd().type));
    i.lm_head_type = tensor_type_name(static_cast<uint32_t>(model_->output().type));
    i.tokenizer_pre = model_->vocab().pre();
    i.kernels = kernels_->name;
    i.n_threads = pool_->n_threads();
    i.n_vocab = hp.n_vocab;
    i.n_ctx_train = hp.n_ctx_train;
    i.n_ctx = n_ctx_;
    i.n_embd = hp.n_embd;
    i.n_layer = hp.n_layer;
    i.n_head = hp.n_head;
    i.n_head_kv = hp.n_head_kv;
    i.n_ff = hp.n_ff;
    i.n_rot = hp.n_rot;
    i.rope_freq_base = hp.rope_freq_base;
    i.rms_eps = hp.rms_eps;
    i.n_params = model_->n_params();
    i.file_bytes = f.file_bytes();
    i.add_bos = model_->vocab().add_bos();
    i.special = model_->vocab().special();
    i.chat_template = model_->chat_template();
    for (const GgufKv& kv : f.kvs()) {
        const bool ours = kv.key.rfind("trit.", 0) == 0;
        const bool general = kv.key.rfind("general.", 0) == 0;
        if ((ours || general) && kv.type != GgufType::array) i.meta[kv.key] = f.value_text(kv);
    }
}

std::vector<int32_t> EngineImpl::tokenize(std::string_view text, bool add_bos, bool parse_special) const {
    return model_->vocab().tokenize(text, add_bos, parse_special);
}

std::string EngineImpl::detokenize(const std::vector<int32_t>& tokens, bool render_special) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] < 0 || tokens[i] >= info_.n_vocab) {
            throw Error(ErrorCode::argument, "token id " + std::to_string(tokens[i]) + " at index " +
                                                 std::to_string(i) + " is not in the vocabulary");
        }
    }
    return model_->vocab().detokenize(tokens.data(), tokens.size(), render_special);
}

int64_t EngineImpl::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t_start_)
        .count();
}

void EngineImpl::validate(const CompleteRequest& r) const {
    if (r.prompt.empty()) throw Error(ErrorCode::argument, "the prompt is empty");
    for (size_t i = 0; i < r.prompt.size(); ++i) {
        if (r.prompt[i] < 0 || r.prompt[i] >= info_.n_vocab) {
            throw Error(ErrorCode::argument, "prompt token " + std::to_string(r.prompt[i]) + " at position " +
                                                 std::to_string(i) + " is not in the vocabulary (" +
                                                 std::to_string(info_.n_vocab) + " tokens)");
        }
    }
    if (r.prompt.size() > static_cast<size_t>(n_ctx_)) {
        throw Error(ErrorCode::argument, "the prompt has " + std::to_string(r.prompt.size()) +
                                             " tokens but the context holds " + std::to_string(n_ctx_) +
                                             "; shorten the prompt");
    }
    if (r.n_predict < 0) throw Error(ErrorCode::argument, "n_predict must not be negative");
    if (r.time_budget_ms < 0) throw Error(ErrorCode::argument, "time_budget_ms must not be negative");
    if (std::isnan(r.sampling.temperature) || std::isnan(r.sampling.top_p) || r.sampling.top_k < 0) {
        throw Error(ErrorCode::argument, "invalid sampling parameters");
    }
}

void EngineImpl::drops_apply() {
    for (const std::string& name : drops_pending_) slots_.erase(name);
    drops_pending_.clear();
}

EngineImpl::Slot& EngineImpl::slot_acquire(const std::string& name) {
    std::lock_guard<std::mutex> lock(state_mutex_);
    std::unique_ptr<Slot>& s = slots_[name];
    if (!s) s = std::make_unique<Slot>(model_->hparams());
    s->last_used_ms = now_ms();
    return *s;
}

void EngineImpl::kv_reserve(const std::string& name, Slot& slot, int32_t n_tokens) {
    if (slot.kv.capacity() >= n_tokens) return;
    const Hparams& hp = model_->hparams();
    auto bytes = [&](int32_t n) { return KvCache::bytes_for(hp.n_layer, hp.n_embd_kv(), n); };
    std::lock_guard<std::mutex> lock(state_mutex_);
    // Grow geometrically in steps of kKvGrowStep, but never past n_ctx; fall back to the exact need if the
    // budget is tight.
    int32_t want = std::max(n_tokens, std::min(n_ctx_, std::max(2 * slot.kv.capacity(), kKvGrowStep)));
    want = std::min(n_ctx_, (want + kKvGrowStep - 1) / kKvGrowStep * kKvGrowStep);
    want = std::max(want, n_tokens);
    for (;;) {
        int64_t total = 0;
        for (const auto& e : slots_) total += e.second->kv.bytes();
        const int64_t extra = bytes(want) - slot.kv.bytes();
        if (total + extra <= kv_budget_) break;
        // Evict the least recently used other slot that holds memory.
        auto victim = slots_.end();
        for (auto it = slots_.begin(); it != slots_.end(); ++it) {
            if (it->first == name || it->second->kv.capacity() == 0) continue;
            if (victim == slots_.end() || it->second->last_used_ms < victim->second->last_used_ms)
                victim = it;
        }
        if (victim != slots_.end()) {
            slots_.erase(victim);
            continue;
        }
        if (want > n_tokens) {
            want = n_tokens;
            continue;
        }
        throw Error(ErrorCode::memory, "the KV-cache budget of " + std::to_string(kv_budget_ >> 20) +
                                           " MiB cannot hold " + std::to_string(n_tokens) +
                                           " tokens (needs " + std::to_string(bytes(n_tokens) >> 20) +
                                           " MiB); raise kv_budget_bytes or shorten the request");
    }
    slot.kv.reserve(want, static_cast<int32_t>(slot.tokens.size()));
}

CompleteResult EngineImpl::complete(const CompleteRequest& req, const std::atomic<bool>& cancel,
                                    const TextCallback& on_text) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    const auto t_begin = std::chrono::steady_clock::now();
    auto ms_since = [](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    };
    validate(req);
    {
        std::lock_guard<std::mutex> lock(state_mutex_);
        drops_apply();
        ++n_jobs_;
    }
    const Vocab& vocab = model_->vocab();
    const int32_t n_vocab = info_.n_vocab;
    const int32_t n_prompt = static_cast<int32_t>(req.prompt.size());
    Slot& slot = slot_acquire(req.slot);

    // Keep the longest common prefix (nothing for the scratch slot or when all logits are wanted); always
    // evaluate at least the last prompt token.
    int32_t n_keep = 0;
    if (!req.slot.empty() && !req.logits_all) {
        const int32_t n_common = static_cast<int32_t>(std::min(slot.tokens.size(), req.prompt.size()));
        while (n_keep < n_common &&
               slot.tokens[static_cast<size_t>(n_keep)] == req.prompt[static_cast<size_t>(n_keep)]) {
            ++n_keep;
        }
        n_keep = std::min(n_keep, n_prompt - 1);
    }
    {
        std::lock_guard<std::mutex> lock(state_mutex_);
        slot.tokens.resize(static_cast<size_t>(n_keep));
    }
    const int64_t n_want = std::min<int64_t>(n_ctx_, static_cast<int64_t>(n_prompt) + req.n_predict);
    kv_reserve(req.slot, slot, static_cast<int32_t>(n_want));

    CompleteResult result;
    result.n_prompt = n_prompt;
    result.n_reused = n_keep;
    const auto deadline = t_begin + std::chrono::milliseconds(req.time_budget_ms);
    auto timed_out = [&] { return req.time_budget_ms > 0 && std::chrono::steady_clock::now() >= deadline; };
    const std::function<bool()> interrupted = [&] {
        return cancel.load(std::memory_order_relaxed) || timed_out();
    };
    auto stop_reason_interrupted = [&] {
        return cancel.load(std::memory_order_relaxed) ? StopReason::cancelled : StopReason::time;
    };
    auto finish = [&](StopReason reason) {
        result.stop_reason = reason;
        result.n_generated = static_cast<int32_t>(result.tokens.size());
        result.t_total_ms = ms_since(t_begin);
        std::lock_guard<std::mutex> lock(state_mutex_);
        if (reason == StopReason::cancelled) ++n_cancelled_;
        slot.last_used_ms = now_ms();
        drops_apply();
        return std::move(result);
    };

    // Prefill in batches.
    if (req.logits_all) {
        try {
            result.logits.assign(static_cast<size_t>(n_prompt) * static_cast<size_t>(n_vocab), 0.0f);
        } catch (const std::bad_alloc&) {
            throw Error(ErrorCode::memory,
                        "not enough memory for the logits of " + std::to_string(n_prompt) + " tokens");
        }
    }
    for (int32_t pos = n_keep; pos < n_prompt;) {
        const int32_t n = std::min(forward_->n_batch(), n_prompt - pos);
        const bool last = pos + n == n_prompt;
        Forward::Logits mode = Forward::Logits::none;
        float* out = nullptr;
        if (req.logits_all) {
            mode = Forward::Logits::all;
            out = result.logits.data() + static_cast<size_t>(pos) * static_cast<size_t>(n_vocab);
        } else if (last) {
            mode = Forward::Logits::last;
            out = logits_.data();
        }
        if (!forward_->eval(slot.kv, req.prompt.data() + pos, n, pos, mode, out, interrupted)) {
            result.logits.clear();
            result.n_evaluated = pos - n_keep;
            result.t_prefill_ms = ms_since(t_begin);
            return finish(stop_reason_interrupted());
        }
        {
            std::lock_guard<std::mutex> lock(state_mutex_);
            slot.tokens.insert(slot.tokens.end(), req.prompt.begin() + pos, req.prompt.begin() + pos + n);
        }
        pos += n;
    }
    result.n_evaluated = n_prompt - n_keep;
    result.t_prefill_ms = ms_since(t_begin);
    const float* logits = logits_.data();
    if (req.logits_all) {
        logits = result.logits.data() + static_cast<size_t>(n_prompt - 1) * static_cast<size_t>(n_vocab);
    } else if (req.logits_last) {
        result.logits.assign(logits_.begin(), logits_.end());
    }

    // Generation: sample, stream, evaluate the sampled token, repeat.
    const auto t_decode = std::chrono::steady_clock::now();
    Sampler sampler(req.sampling);
    Utf8Stream utf8;
    StopFilter filter(req.stop);
    auto emit = [&](const std::string& piece) {
        if (piece.empty()) return;
        result.text += piece;
        if (on_text) on_text(piece);
    };
    StopReason reason = StopReason::length;
    for (int32_t i = 0; i < req.n_predict; ++i) {
        if (interrupted()) {
            reason = stop_reason_interrupted();
            break;
        }
        const int32_t tok = sampler.sample(logits, n_vocab);
        if (!req.ignore_eog && vocab.is_eog(tok)) {
            reason = StopReason::eog;
            break;
        }
        result.tokens.push_back(tok);
        if (!vocab.is_control(tok)) emit(filter.push(utf8.push(vocab.token_bytes(tok))));
        if (filter.stopped()) {
            reason = StopReason::stop;
            break;
        }
        if (i + 1 == req.n_predict) break;  // length: the last token needs no evaluation
        const int32_t pos = static_cast<int32_t>(slot.tokens.size());
        if (pos >= n_ctx_) {
            reason = StopReason::context;
            break;
        }
        if (slot.kv.capacity() <= pos) kv_reserve(req.slot, slot, pos + 1);
        if (!forward_->eval(slot.kv, &tok, 1, pos, Forward::Logits::last, logits_.data(), interrupted)) {
            reason = stop_reason_interrupted();
            break;
        }
        logits = logits_.data();
        std::lock_guard<std::mutex> lock(state_mutex_);
        slot.tokens.push_back(tok);
    }
    if (!filter.stopped()) {
        emit(filter.push(utf8.flush()));
        if (!filter.stopped()) emit(filter.flush());
        if (filter.stopped()) reason = StopReason::stop;
    }
    result.t_decode_ms = ms_since(t_decode);
    return finish(reason);
}

void EngineImpl::slot_drop(const std::string& name) {
    std::unique_lock<std::mutex> job(job_mutex_, std::try_to_lock);
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (job.owns_lock()) {
        slots_.erase(name);
    } else {
        drops_pending_.insert(name);  // a job is running; removed when it ends
    }
}

EngineStats EngineImpl::stats() const {
    EngineStats s;
    std::lock_guard<std::mutex> lock(state_mutex_);
    for (const auto& e : slots_) {
        SlotStats ss;
        ss.name = e.first;
        ss.n_tokens = static_cast<int32_t>(e.second->tokens.size());
        ss.kv_bytes = e.second->kv.bytes();
        ss.last_used_ms = e.second->last_used_ms;
        s.kv_bytes += ss.kv_bytes;
        s.slots.push_back(std::move(ss));
    }
    s.kv_budget_bytes = kv_budget_;
    s.weight_bytes = model_->weight_bytes_per_token();
    s.n_jobs = n_jobs_;
    s.n_cancelled = n_cancelled_;
    return s;
}

}  // namespace trit
