// Trit engine: the C++ API between the Node-API addon (native/addon/) and the engine core (native/src/).
//
// This header is one of the project's three contracts (see STYLE.md): it includes no napi.h and exposes only
// plain C++ types. Every function that can fail on user input throws trit::Error with a message meant for the
// user ("this file is not a supported BitNet GGUF: tensor 'blk.0.attn_q.weight' has type 12 (Q4_K) ...").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trit {

// What kind of failure, so that callers can choose a message or a fix without parsing text.
enum class ErrorCode : int32_t {
    io = 1,           // cannot open / map / read the file
    format = 2,       // not a GGUF, truncated, inconsistent fields, absurd sizes
    unsupported = 3,  // valid GGUF but an architecture, tensor type or tokenizer the engine does not run
    argument = 4,     // a bad request (token id out of range, prompt longer than the context, ...)
    memory = 5,       // an allocation failed or a memory budget would be exceeded
    internal = 6,     // a bug: an invariant did not hold
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

struct LoadOptions {
    int32_t n_threads = 0;        // 0 = number of physical cores
    int32_t n_ctx = 0;            // context length per slot; 0 = min(model's context_length, 4096)
    std::string kernels;          // "" = best table for this CPU; else force one: "ref", "avx2", "avx512", ...
    // "auto": a float LM head of ≥ 64 MiB becomes "q8", smaller ones stay as in the file; "file"; "q8": Q8_0
    // copy of the head with the top 32 logits per row recomputed from the file's head; "q8-plain": Q8_0 alone.
    std::string lm_head = "auto";
    int64_t kv_budget_bytes = 0;  // total KV-cache memory of all slots; 0 = enough for 4 full slots
    bool use_mmap = true;
    // Called on the loading thread with a value in [0, 1]; may be empty.
    std::function<void(float)> on_progress;
};

// Token ids of the special tokens a prompt builder needs; -1 when the model has none.
struct SpecialTokens {
    int32_t bos = -1, eos = -1, eot = -1, pad = -1;
    int32_t fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;
    std::vector<int32_t> eog;  // every end-of-generation token (eos, eot, ...)
};

struct ModelInfo {
    std::string path;
    std::string arch;            // "bitnet-b1.58" | "bitnet-25" | "bitnet"
    std::string name;            // general.name, may be empty
    std::string weight_type;     // type of the ternary linear weights: "I2_S" | "TQ2_0" | "TQ1_0" | "F32" | ...
    std::string embd_type;       // type of token_embd (also the LM head): "F16" | "Q8_0" | ...
    std::string lm_head_type;    // type actually used for the LM head at run time ("F16", "Q8" after repacking)
    std::string tokenizer_pre;   // pre-tokenizer in use: "llama-bpe" | "default" | ...
    std::string kernels;         // kernel table chosen: "ref" | "avx2" | "avx512vnni" | ...
    int32_t n_threads = 0;
    int32_t n_vocab = 0, n_ctx_train = 0, n_ctx = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0;
    int32_t n_rot = 0;
    float rope_freq_base = 0, rms_eps = 0;
    int64_t n_params = 0, file_bytes = 0;
    bool add_bos = true;
    SpecialTokens special;
    std::string chat_template;   // tokenizer.chat_template, "" when absent
    // String-valued metadata under the project's own prefix "trit." (e.g. "trit.completion.prompt_mode"
    // = "spm" | "psm" | "prefix") and a few general.* keys, for the server to read.
    std::map<std::string, std::string> meta;
};

struct SamplerParams {
    float temperature = 0.0f;  // 0 = greedy (argmax, lowest id on ties)
    int32_t top_k = 0;         // 0 = off
    float top_p = 1.0f;        // 1 = off
    uint64_t seed = 0;
};

struct CompleteRequest {
    // Slots are named by the caller ("doc:file:///a.ts", "chat"). Each slot owns a KV cache and the token list
    // behind it; the empty name is a scratch slot that is always cleared first (no reuse).
    std::string slot;
    std::vector<int32_t> prompt;   // the full prompt; the engine reuses the longest common prefix with the slot
    int32_t n_predict = 32;        // max tokens to generate (0 = only evaluate the prompt)
    SamplerParams sampling;
    std::vector<std::string> stop; // stop strings; generation ends when the text contains one (not included)
    bool ignore_eog = false;       // benchmarks: keep going past end-of-generation tokens
    int32_t time_budget_ms = 0;    // 0 = none; otherwise stop with StopReason::time after this long
    bool logits_all = false;       // return logits for every prompt position (evaluates the prompt from scratch)
    bool logits_last = false;      // return the logits the first generated token was sampled from
};

enum class StopReason : int32_t { eog = 0, stop = 1, length = 2, cancelled = 3, time = 4, context = 5 };

struct CompleteResult {
    std::string text;                 // the generated text (stop string excluded), valid UTF-8
    std::vector<int32_t> tokens;      // the generated tokens
    StopReason stop_reason = StopReason::length;
    int32_t n_prompt = 0;             // prompt tokens
    int32_t n_reused = 0;             // prompt tokens whose KV came from the slot's cache
    int32_t n_evaluated = 0;          // prompt tokens evaluated now (n_prompt - n_reused)
    int32_t n_generated = 0;
    double t_prefill_ms = 0, t_decode_ms = 0, t_total_ms = 0;
    std::vector<float> logits;        // [n_prompt × n_vocab] if logits_all, [n_vocab] if logits_last
};

struct SlotStats {
    std::string name;
    int32_t n_tokens = 0;
    int64_t kv_bytes = 0;
    int64_t last_used_ms = 0;
};

struct EngineStats {
    std::vector<SlotStats> slots;
    int64_t kv_bytes = 0, kv_budget_bytes = 0;
    int64_t weight_bytes = 0;   // bytes of weights read per decoded token
    int64_t n_jobs = 0, n_cancelled = 0;
};

// Called with each new piece of generated text, in order, on the job's thread. Pieces are always complete
// UTF-8 sequences; a token that ends in the middle of a character is held back until the character completes.
using TextCallback = std::function<void(std::string_view)>;

class Engine {
public:
    // Loads a GGUF file. Throws Error (io / format / unsupported / memory) with a message naming the problem.
    static std::unique_ptr<Engine> load(const std::string& path, const LoadOptions& options);
    virtual ~Engine() = default;

    virtual const ModelInfo& info() const = 0;

    // Byte-level BPE with the model's pre-tokenizer. add_bos follows the caller (use info().add_bos by
    // default); parse_special turns the text of special tokens ("<|eot_id|>") into their ids.
    virtual std::vector<int32_t> tokenize(std::string_view text, bool add_bos, bool parse_special) const = 0;
    // The bytes of the tokens (special tokens rendered as their text when render_special). May end in the
    // middle of a UTF-8 sequence.
    virtual std::string detokenize(const std::vector<int32_t>& tokens, bool render_special) const = 0;

    // Runs one job on the calling thread with the engine's thread pool. Jobs are serialized: a second caller
    // waits until the first returns. `cancel` is polled between decoded tokens and between layers of the
    // prefill; when set, the job returns promptly with StopReason::cancelled (not an exception). Throws Error
    // for bad requests (token ids out of range, a prompt that cannot fit the context).
    virtual CompleteResult complete(const CompleteRequest& request, const std::atomic<bool>& cancel,
                                    const TextCallback& on_text) = 0;

    virtual void slot_drop(const std::string& slot) = 0;
    virtual EngineStats stats() const = 0;
};

// Bytes per second of a streaming read over a buffer much larger than the caches (for the benchmark's roofline).
double memory_read_bandwidth(int32_t n_threads, int64_t buffer_bytes);

// Kernel tables compiled in and supported by this CPU, best first ("avx512vnni", "avx2", "ref").
std::vector<std::string> available_kernels();

}  // namespace trit
