#include "model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>

#include "threadpool.h"

namespace trit {

namespace {

// Bounds that no sane model exceeds; they keep every size product in the forward pass far from overflow.
constexpr int64_t kMaxEmbd = 1 << 16;
constexpr int64_t kMaxFf = 1 << 20;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxCtx = 1 << 20;

[[noreturn]] void fail_format(const std::string& msg) {
    throw Error(ErrorCode::format, msg);
}

uint32_t required_u32(const GgufFile& f, const std::string& key) {
    uint32_t v = 0;
    if (!f.get_u32(key, &v)) fail_format("this file lacks the required metadata key '" + key + "'");
    return v;
}

ActFormat act_format_for(TensorType t) {
    switch (t) {
        case TensorType::F32:
            return ActFormat::f32;
        case TensorType::F16:
            return ActFormat::f16;
        case TensorType::BF16:
            return ActFormat::bf16;
        case TensorType::I2_S:
            return ActFormat::i8_row;
        case TensorType::TQ1_0:
        case TensorType::TQ2_0:
        case TensorType::Q6_K:
            return ActFormat::q8_K;
        case TensorType::Q8_0:
            return ActFormat::q8_0;
    }
    return ActFormat::f32;
}

int64_t row_bytes_for(TensorType t, int64_t k) {
    return k / tensor_type_block(t) * tensor_type_block_bytes(t);
}

std::string shape_text(const GgufTensor& t) {
    std::string s = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
    return s + "]";
}

// Rejects float data the engine cannot read in place: F32 / F16 / BF16 tensors at an address that is not a multiple
// of their element size (possible with a general.alignment of 1 or 2; the kernels read such rows as float arrays).
void check_aligned(const GgufTensor& t, uint64_t file_alignment) {
    const uintptr_t need = t.type == TensorType::F32 ? 4 : (t.type == TensorType::F16 || t.type == TensorType::BF16) ? 2 : 1;
    if (reinterpret_cast<uintptr_t>(t.data) % need != 0) {
        fail_format("tensor '" + t.name + "' (" + tensor_type_name(static_cast<uint32_t>(t.type)) +
                    ") is not aligned to " + std::to_string(need) + " bytes in the file (general.alignment = " +
                    std::to_string(file_alignment) + ")");
    }
}

// Rejects NaN and infinity in a float tensor, or in the per-block scales of a quantized one (a corrupt file would
// otherwise load and produce NaN logits). Checks the exponent bits only: about a millisecond per 10 MB.
void check_finite(const GgufTensor& t) {
    int64_t stride = 0, at = 0, count = 0;  // one value every `stride` bytes, starting at byte `at`
    int kind = 0;                           // 0: F32, 1: F16, 2: BF16
    switch (t.type) {
        case TensorType::F32:
            stride = 4, count = t.n_elements();
            break;
        case TensorType::F16:
            stride = 2, count = t.n_elements(), kind = 1;
            break;
        case TensorType::BF16:
            stride = 2, count = t.n_elements(), kind = 2;
            break;
        case TensorType::Q8_0:
            stride = BLOCK_Q8_0_BYTES, count = t.n_elements() / QK8_0, kind = 1;
            break;
        case TensorType::Q6_K:
            stride = BLOCK_Q6_K_BYTES, at = 208, count = t.n_elements() / QK_K, kind = 1;
            break;
        case TensorType::TQ2_0:
            stride = BLOCK_TQ2_0_BYTES, at = 64, count = t.n_elements() / QK_K, kind = 1;
            break;
        case TensorType::TQ1_0:
            stride = BLOCK_TQ1_0_BYTES, at = 52, count = t.n_elements() / QK_K, kind = 1;
            break;
        case TensorType::I2_S:
            return;  // one scale, checked where it is read
    }
    const uint8_t* p = t.data + at;
    int64_t bad = -1;
    if (kind == 0) {
        for (int64_t i = 0; i < count && bad < 0; i += 4096) {
            const int64_t end = std::min(count, i + 4096);
            uint32_t any = 0;
            for (int64_t j = i; j < end; ++j) {
                uint32_t bits;
                std::memcpy(&bits, p + j * 4, 4);
                any |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
            }
            if (any) {
                for (int64_t j = i; j < end && bad < 0; ++j) {
                    uint32_t bits;
                    std::memcpy(&bits, p + j * 4, 4);
                    if ((bits & 0x7f800000u) == 0x7f800000u) bad = j;
                }
            }
        }
    } else {
        const uint16_t mask = kind == 1 ? 0x7c00 : 0x7f80;
        for (int64_t i = 0; i < count && bad < 0; i += 4096) {
            const int64_t end = std::min(count, i + 4096);
            uint32_t any = 0;
            for (int64_t j = i; j < end; ++j) {
                uint16_t bits;
                std::memcpy(&bits, p + j * stride, 2);
                any |= static_cast<uint32_t>((bits & mask) == mask);
            }
            if (any) {
                for (int64_t j = i; j < end && bad < 0; ++j) {
                    uint16_t bits;
                    std::memcpy(&bits, p + j * stride, 2);
                    if ((bits & mask) == mask) bad = j;
                }
            }
        }
    }
    if (bad >= 0) {
        const bool scale = t.type != TensorType::F32 && t.type != TensorType::F16 && t.type != TensorType::BF16;
        fail_format("tensor '" + t.name + "' (" + tensor_type_name(static_cast<uint32_t>(t.type)) + ") has a " +
                    "non-finite value (NaN or infinity) " + (scale ? "in the scale of block " : "at element ") +
                    std::to_string(bad) + "; the file is corrupt");
    }
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path, const LoadOptions& options,
                                   const KernelTable& kernels) {
    if (options.on_progress) options.on_progress(0.0f);
    std::unique_ptr<GgufFile> file = GgufFile::open(path, options.use_mmap);
    std::unique_ptr<Model> model = from_gguf(std::move(file), options, kernels);
    if (options.use_mmap) {
        // Fault the weights in now (reported as progress) rather than during the first request.
        model->file_->prefetch([&](float f) {
            if (options.on_progress) options.on_progress(0.05f + 0.95f * f);
        });
    }
    if (options.on_progress) options.on_progress(1.0f);
    return model;
}

std::unique_ptr<Model> Model::from_gguf(std::unique_ptr<GgufFile> file, const LoadOptions& options,
                                        const KernelTable& kernels) {
    std::unique_ptr<Model> m(new Model());
    m->file_ = std::move(file);
    m->load_hparams();
    m->load_vocab();
    m->load_tensors(kernels);
    m->load_lm_head(options.lm_head, kernels);
    return m;
}

void Model::load_hparams() {
    const GgufFile& f = *file_;
    std::string arch;
    if (!f.get_string("general.architecture", &arch)) {
        fail_format("this file lacks 'general.architecture'; it is not a model GGUF");
    }
    if (arch == "bitnet-b1.58" || arch == "bitnet-25") {
        hp_.ffn_act = FfnActivation::relu_sqr;
    } else if (arch == "bitnet") {
        hp_.ffn_act = FfnActivation::silu;
    } else {
        throw Error(ErrorCode::unsupported, "architecture '" + arch +
                                                "' is not a BitNet model Trit runs (expected bitnet-b1.58, "
                                                "bitnet-25 or bitnet)");
    }
    hp_.arch = arch;
    const std::string p = arch + ".";
    const int64_t n_embd = required_u32(f, p + "embedding_length");
    const int64_t n_layer = required_u32(f, p + "block_count");
    const int64_t n_head = required_u32(f, p + "attention.head_count");
    const int64_t n_ff = required_u32(f, p + "feed_forward_length");
    uint32_t u = 0;
    const int64_t n_head_kv = f.get_u32(p + "attention.head_count_kv", &u) ? u : n_head;
    const int64_t n_ctx_train = f.get_u32(p + "context_length", &u) ? u : 2048;
    if (!f.get_f32(p + "attention.layer_norm_rms_epsilon", &hp_.rms_eps)) {
        fail_format("this file lacks the required metadata key '" + p + "attention.layer_norm_rms_epsilon'");
    }
    f.get_f32(p + "rope.freq_base", &hp_.rope_freq_base);

    auto check = [&](bool ok, const std::string& what) {
        if (!ok) fail_format("implausible hyperparameters: " + what);
    };
    check(n_embd >= 1 && n_embd <= kMaxEmbd, "embedding_length = " + std::to_string(n_embd));
    check(n_layer >= 1 && n_layer <= kMaxLayers, "block_count = " + std::to_string(n_layer));
    check(n_head >= 1 && n_head <= n_embd && n_embd % n_head == 0,
          "head_count = " + std::to_string(n_head) +
              " does not divide embedding_length = " + std::to_string(n_embd));
    check(n_head_kv >= 1 && n_head_kv <= n_head && n_head % n_head_kv == 0,
          "head_count_kv = " + std::to_string(n_head_kv) +
              " does not divide head_count = " + std::to_string(n_head));
    check(n_ff >= 1 && n_ff <= kMaxFf, "feed_forward_length = " + std::to_string(n_ff));
    check(n_ctx_train >= 1 && n_ctx_train <= kMaxCtx, "context_length = " + std::to_string(n_ctx_train));
    const int64_t head_dim = n_embd / n_head;
    const int64_t n_rot = f.get_u32(p + "rope.dimension_count", &u) ? u : head_dim;
    check(n_rot >= 2 && n_rot <= head_dim && n_rot % 2 == 0,
          "rope.dimension_count = " + std::to_string(n_rot) + " for a head size of " +
              std::to_string(head_dim));
    check(std::isfinite(hp_.rms_eps) && hp_.rms_eps > 0.0f && hp_.rms_eps < 1.0f,
          "layer_norm_rms_epsilon = " + std::to_string(hp_.rms_eps));
    check(std::isfinite(hp_.rope_freq_base) && hp_.rope_freq_base > 1.0f,
          "rope.freq_base = " + std::to_string(hp_.rope_freq_base));

    hp_.n_embd = static_cast<int32_t>(n_embd);
    hp_.n_layer = static_cast<int32_t>(n_layer);
    hp_.n_head = static_cast<int32_t>(n_head);
    hp_.n_head_kv = static_cast<int32_t>(n_head_kv);
    hp_.n_ff = static_cast<int32_t>(n_ff);
    hp_.n_ctx_train = static_cast<int32_t>(n_ctx_train);
    hp_.head_dim = static_cast<int32_t>(head_dim);
    hp_.n_rot = static_cast<int32_t>(n_rot);
}

void Model::load_vocab() {
    const GgufFile& f = *file_;
    VocabSource src;
    if (!f.get_string("tokenizer.ggml.model", &src.model)) {
        fail_format("this file has no tokenizer (missing 'tokenizer.ggml.model')");
    }
    f.get_string("tokenizer.ggml.pre", &src.pre);
    if (!f.get_string_array("tokenizer.ggml.tokens", &src.tokens) || src.tokens.empty()) {
        fail_format("this file has no vocabulary (missing 'tokenizer.ggml.tokens')");
    }
    f.get_i32_array("tokenizer.ggml.token_type", &src.token_types);
    f.get_string_array("tokenizer.ggml.merges", &src.merges);
    f.get_bool("tokenizer.ggml.add_bos_token", &src.add_bos);
    struct {
        const char* key;
        int32_t* id;
    } const ids[] = {
        {"tokenizer.ggml.bos_token_id", &src.special.bos},
        {"tokenizer.ggml.eos_token_id", &src.special.eos},
        {"tokenizer.ggml.eot_token_id", &src.special.eot},
        {"tokenizer.ggml.padding_token_id", &src.special.pad},
        {"tokenizer.ggml.fim_pre_token_id", &src.special.fim_pre},
        {"tokenizer.ggml.fim_suf_token_id", &src.special.fim_suf},
        {"tokenizer.ggml.fim_mid_token_id", &src.special.fim_mid},
        {"tokenizer.ggml.fim_pad_token_id", &src.special.fim_pad},
        {"tokenizer.ggml.fim_rep_token_id", &src.special.fim_rep},
        {"tokenizer.ggml.fim_sep_token_id", &src.special.fim_sep},
    };
    const int64_t n_tokens = static_cast<int64_t>(src.tokens.size());
    for (const auto& e : ids) {
        int64_t v = 0;
        if (!f.get_i64(e.key, &v)) continue;
        if (v < 0 || v >= n_tokens) {
            fail_format("'" + std::string(e.key) + "' = " + std::to_string(v) +
                        " is not a token id (the vocabulary has " + std::to_string(n_tokens) + " tokens)");
        }
        *e.id = static_cast<int32_t>(v);
    }
    f.get_string("tokenizer.chat_template", &chat_template_);
    if (n_tokens > (int64_t(1) << 24))
        fail_format("the vocabulary has an absurd size of " + std::to_string(n_tokens));
    hp_.n_vocab = static_cast<int32_t>(n_tokens);
    uint32_t declared = 0;
    if (f.get_u32(hp_.arch + ".vocab_size", &declared) && static_cast<int64_t>(declared) != n_tokens) {
        fail_format(hp_.arch + ".vocab_size = " + std::to_string(declared) + " but the vocabulary has " +
                    std::to_string(n_tokens) + " tokens");
    }
    vocab_ = std::make_unique<Vocab>(std::move(src));
}

void Model::load_tensors(const KernelTable& kernels) {
    const GgufFile& f = *file_;
    const Hparams& hp = hp_;
    std::set<std::string> used;

    auto require = [&](const std::string& name) -> const GgufTensor& {
        const GgufTensor* t = f.tensor(name);
        if (t == nullptr) fail_format("tensor '" + name + "' is missing");
        used.insert(name);
        return *t;
    };
    auto check_shape = [&](const GgufTensor& t, int64_t ne0, int64_t ne1) {
        if (t.ne[0] != ne0 || t.ne[1] != ne1 || t.ne[2] != 1 || t.ne[3] != 1) {
            fail_format("tensor '" + t.name + "' has shape " + shape_text(t) + ", expected [" +
                        std::to_string(ne0) + (ne1 != 1 ? ", " + std::to_string(ne1) : std::string()) + "]");
        }
    };
    auto norm = [&](const std::string& name, int64_t n) -> const float* {
        const GgufTensor& t = require(name);
        check_shape(t, n, 1);
        if (t.type != TensorType::F32) {
            throw Error(ErrorCode::unsupported, "norm tensor '" + name + "' has type " +
                                                    tensor_type_name(static_cast<uint32_t>(t.type)) +
                                                    "; Trit expects F32");
        }
        return reinterpret_cast<const float*>(t.data);
    };
    auto matrix = [&](const std::string& name, int64_t k, int64_t rows) -> Weight {
        const GgufTensor& t = require(name);
        check_shape(t, k, rows);
        Weight w;
        w.name = name;
        w.type = t.type;
        w.act = act_format_for(t.type);
        w.data = t.data;
        w.k = k;
        w.rows = rows;
        w.row_bytes = row_bytes_for(t.type, k);
        w.file_bytes = t.nbytes;
        if (t.type == TensorType::I2_S) {
            std::memcpy(&w.scale, t.data + k * rows / 4, sizeof(float));
            if (!std::isfinite(w.scale)) fail_format("I2_S tensor '" + name + "' has an invalid scale");
            if (kernels.repack_i2_s != nullptr) {
                owned_.emplace_back(static_cast<size_t>(kernels.repack_i2_s_bytes(rows, k)));
                kernels.repack_i2_s(t.data, owned_.back().data(), rows, k);
                w.data = owned_.back().data();
            }
        }
        const std::string base = name.substr(0, name.size() - std::string(".weight").size());
        if (const GgufTensor* s = f.tensor(base + ".scale")) {
            used.insert(s->name);
            check_shape(*s, 1, 1);
            if (s->type != TensorType::F32) fail_format("tensor '" + s->name + "' must be F32");
            std::memcpy(&w.out_scale, s->data, sizeof(float));
            if (!std::isfinite(w.out_scale)) fail_format("tensor '" + s->name + "' has a non-finite value");
        }
        return w;
    };

    for (const GgufTensor& t : f.tensors()) check_aligned(t, f.alignment());

    const GgufTensor& embd = require("token_embd.weight");
    check_shape(embd, hp.n_embd, hp.n_vocab);
    switch (embd.type) {
        case TensorType::F32:
        case TensorType::F16:
        case TensorType::BF16:
        case TensorType::Q8_0:
        case TensorType::Q6_K:
            break;
        default:
            throw Error(ErrorCode::unsupported, "token_embd.weight has type " +
                                                    tensor_type_name(static_cast<uint32_t>(embd.type)) +
                                                    "; Trit runs F32, F16, BF16, Q8_0 or Q6_K embeddings");
    }
    tok_embd_ = matrix("token_embd.weight", hp.n_embd, hp.n_vocab);
    output_norm_ = norm("output_norm.weight", hp.n_embd);

    const int64_t n_q = hp.n_embd_q(), n_kv = hp.n_embd_kv();
    layers_.resize(static_cast<size_t>(hp.n_layer));
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        LayerWeights& L = layers_[static_cast<size_t>(il)];
        L.attn_norm = norm(b + "attn_norm.weight", hp.n_embd);
        L.attn_sub_norm = norm(b + "attn_sub_norm.weight", n_q);
        L.ffn_norm = norm(b + "ffn_norm.weight", hp.n_embd);
        L.ffn_sub_norm = norm(b + "ffn_sub_norm.weight", hp.n_ff);
        L.wq = matrix(b + "attn_q.weight", hp.n_embd, n_q);
        L.wk = matrix(b + "attn_k.weight", hp.n_embd, n_kv);
        L.wv = matrix(b + "attn_v.weight", hp.n_embd, n_kv);
        L.wo = matrix(b + "attn_output.weight", n_q, hp.n_embd);
        L.ffn_gate = matrix(b + "ffn_gate.weight", hp.n_embd, hp.n_ff);
        L.ffn_up = matrix(b + "ffn_up.weight", hp.n_embd, hp.n_ff);
        L.ffn_down = matrix(b + "ffn_down.weight", hp.n_ff, hp.n_embd);
    }
    if (f.tensor("output.weight") != nullptr) {
        output_ = matrix("output.weight", hp.n_embd, hp.n_vocab);
    } else {
        output_ = tok_embd_;
    }
    for (const GgufTensor& t : f.tensors()) {
        if (used.count(t.name) == 0) {
            fail_format("unexpected tensor '" + t.name + "' for architecture '" + hp.arch +
                        "' (biases and other "
                        "extra tensors are not supported)");
        }
    }

    for (const GgufTensor& t : f.tensors()) check_finite(t);

    // Summaries: parameter count, the linear weights' type, bytes streamed per decoded token.
    for (const GgufTensor& t : f.tensors()) n_params_ += t.n_elements();
    const std::string first = tensor_type_name(static_cast<uint32_t>(layers_[0].wq.type));
    weight_type_ = first;
    int64_t bytes = 0;
    for (const LayerWeights& L : layers_) {
        for (const Weight* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) {
            bytes += w->file_bytes;
            if (tensor_type_name(static_cast<uint32_t>(w->type)) != first) weight_type_ = "mixed";
        }
        bytes += 4 * (2 * int64_t(hp.n_embd) + n_q + hp.n_ff);
    }
    weight_bytes_per_token_ = bytes + 4 * int64_t(hp.n_embd);
}

void Model::load_lm_head(const std::string& lm_head, const KernelTable& kernels) {
    if (lm_head != "auto" && lm_head != "file" && lm_head != "q8" && lm_head != "q8-plain") {
        throw Error(ErrorCode::argument,
                    "unknown lm_head option '" + lm_head + "' (expected auto, file, q8 or q8-plain)");
    }
    // "q8": the head is requantized to Q8_0 at load (half the bytes of F16 read per decoded token) and the
    // best kLmHeadRescore logits of every row are computed again from the file's head, so the top-1 token and
    // the logits that matter for sampling are the file's; the rest carry Q8_0 rounding (relative error
    // ~0.5 %). "auto" does this for heads large enough for their read to matter (bench/RESULTS.md has the
    // top-1 agreement this default rests on) and keeps small heads as they are. "q8-plain" is the Q8_0 head
    // without the recomputation (for measuring what the requantization alone does).
    const bool float_head = output_.type == TensorType::F32 || output_.type == TensorType::F16 ||
                            output_.type == TensorType::BF16 || output_.type == TensorType::Q6_K;
    const bool big = output_.file_bytes >= kLmHeadAutoBytes;
    const bool repack = lm_head == "q8" || lm_head == "q8-plain" || (lm_head == "auto" && big);
    if (repack && float_head && output_.k % QK8_0 == 0) {
        if (lm_head != "q8-plain") output_exact_ = output_;
        const int64_t row_bytes = output_.k / QK8_0 * BLOCK_Q8_0_BYTES;
        owned_.emplace_back(static_cast<size_t>(row_bytes * output_.rows));
        uint8_t* dst = owned_.back().data();
        const Weight src = output_;
        // Split over the cores: a 2B4T head is 328 M values.
        const int32_t n_threads = std::max<int32_t>(1, std::min<int32_t>(physical_core_count(), 16));
        auto work = [&](int32_t ith) {
            std::vector<float> row(static_cast<size_t>(src.k));
            int64_t r0, r1;
            split_range(src.rows, ith, n_threads, 64, &r0, &r1);
            for (int64_t r = r0; r < r1; ++r) {
                weight_row_to_f32(src, r, row.data());
                kernels.quantize_q8_0(row.data(), src.k, dst + r * row_bytes);
            }
        };
        std::vector<std::thread> threads;
        for (int32_t i = 1; i < n_threads; ++i) threads.emplace_back(work, i);
        work(0);
        for (std::thread& t : threads) t.join();
        output_.type = TensorType::Q8_0;
        output_.act = ActFormat::q8_0;
        output_.data = dst;
        output_.row_bytes = row_bytes;
        output_.file_bytes = row_bytes * output_.rows;
    }
    weight_bytes_per_token_ += output_.file_bytes;
}

void Model::embedding_row(int32_t row, float* out) const {
    weight_row_to_f32(tok_embd_, row, out);
}

void weight_row_to_f32(const Weight& w, int64_t row, float* out) {
    const uint8_t* p = w.data + row * w.row_bytes;
    const int64_t k = w.k;
    switch (w.type) {
        case TensorType::F32:
            std::memcpy(out, p, static_cast<size_t>(k) * sizeof(float));
            break;
        case TensorType::F16:
        case TensorType::BF16:
            for (int64_t i = 0; i < k; ++i) {
                uint16_t h;
                std::memcpy(&h, p + 2 * i, 2);
                out[i] = w.type == TensorType::F16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
            }
            break;
        case TensorType::Q8_0:
            for (int64_t ib = 0; ib < k / QK8_0; ++ib, p += BLOCK_Q8_0_BYTES) {
                uint16_t d16;
                std::memcpy(&d16, p, 2);
                const float d = fp16_to_fp32(d16);
                for (int64_t j = 0; j < QK8_0; ++j)
                    out[ib * QK8_0 + j] = static_cast<float>(static_cast<int8_t>(p[2 + j])) * d;
            }
            break;
        case TensorType::Q6_K:
            for (int64_t ib = 0; ib < k / QK_K; ++ib, p += BLOCK_Q6_K_BYTES) {
                uint16_t d16;
                std::memcpy(&d16, p + 208, 2);
                const float d = fp16_to_fp32(d16);
                const int8_t* sc = reinterpret_cast<const int8_t*>(p + 192);
                float* y = out + ib * QK_K;
                for (int half = 0; half < 2; ++half) {
                    const uint8_t* ql = p + 64 * half;
                    const uint8_t* qh = p + 128 + 32 * half;
                    const int8_t* s = sc + 8 * half;
                    float* o = y + 128 * half;
                    for (int l = 0; l < 32; ++l) {
                        const int is = l / 16;
                        const int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
                        const int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
                        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                        o[l + 0] = d * s[is + 0] * q1;
                        o[l + 32] = d * s[is + 2] * q2;
                        o[l + 64] = d * s[is + 4] * q3;
                        o[l + 96] = d * s[is + 6] * q4;
                    }
                }
            }
            break;
        default:
            // Ternary types never reach here: load_tensors accepts only the types above for embeddings and
            // heads.
            std::memset(out, 0, static_cast<size_t>(k) * sizeof(float));
            break;
    }
}

}  // namespace trit
