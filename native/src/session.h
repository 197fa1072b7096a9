// The engine behind trit::Engine: one model, one thread pool, named slots with their KV caches.
//
// Slots. A slot owns a KV cache and the list of tokens whose keys and values it holds (positions 0..n-1). A
// request keeps the longest common prefix of that list and its prompt, truncates the rest (an edit in the
// middle), and evaluates only the new tokens, in batches. At least one prompt token is always evaluated,
// because the logits of the last prompt position are needed. All slots together stay within the KV budget:
// growing one evicts the least recently used others.
//
// Jobs run one at a time (complete() holds the job mutex). stats() and slot_drop() may be called from other
// threads at any time: slot metadata changes under the state mutex, and a slot dropped while a job runs is
// removed when the job ends.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "forward.h"
#include "kv-cache.h"
#include "model.h"
#include "threadpool.h"
#include "trit/engine.h"

namespace trit {

class EngineImpl final : public Engine {
  public:
    EngineImpl(const std::string& path, const LoadOptions& options);
    ~EngineImpl() override;

    const ModelInfo& info() const override { return info_; }
    std::vector<int32_t> tokenize(std::string_view text, bool add_bos, bool parse_special) const override;
    std::string detokenize(const std::vector<int32_t>& tokens, bool render_special) const override;
    CompleteResult complete(const CompleteRequest& request, const std::atomic<bool>& cancel,
                            const TextCallback& on_text) override;
    void slot_drop(const std::string& slot) override;
    EngineStats stats() const override;

  private:
    struct Slot {
        explicit Slot(const Hparams& hp) : kv(hp.n_layer, hp.n_head_kv, hp.head_dim) {}
        std::vector<int32_t> tokens;  // tokens whose K/V are in kv, positions 0..size-1
        KvCache kv;
        int64_t last_used_ms = 0;
    };

    void validate(const CompleteRequest& request) const;
    Slot& slot_acquire(const std::string& name);
    // Grows the slot's cache to hold n_tokens, evicting least recently used slots to stay within the budget.
    void kv_reserve(const std::string& name, Slot& slot, int32_t n_tokens);
    void drops_apply();  // caller holds state_mutex_
    int64_t now_ms() const;
    void fill_info(const std::string& path);

    std::unique_ptr<Model> model_;
    const KernelTable* kernels_ = nullptr;
    std::unique_ptr<ThreadPool> pool_;
    std::unique_ptr<Forward> forward_;
    ModelInfo info_;
    int32_t n_ctx_ = 0;
    int64_t kv_budget_ = 0;
    std::vector<float> logits_;  // [n_vocab] logits of the last evaluated token
    std::chrono::steady_clock::time_point t_start_;

    std::mutex job_mutex_;
    mutable std::mutex
        state_mutex_;  // guards slots_ (map and each slot's tokens/kv size), pending drops, counters
    std::map<std::string, std::unique_ptr<Slot>> slots_;
    std::set<std::string> drops_pending_;
    int64_t n_jobs_ = 0, n_cancelled_ = 0;
};

}  // namespace trit
