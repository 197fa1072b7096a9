// A loaded BitNet model: hyperparameters, typed views of the weights in the mapped GGUF, and the tokenizer.
//
// Model::load validates everything the forward pass relies on, so forward.cpp needs no checks of its own:
// the architecture is one we run, every required tensor is present with the right shape and a supported type,
// row lengths fit the type's block, dimensions are within sane bounds, and the vocabulary matches the
// embedding.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "gguf.h"
#include "trit/engine.h"
#include "vocab.h"

namespace trit {

enum class FfnActivation { relu_sqr, silu };

// LM head options (LoadOptions::lm_head): "auto" repacks a float head to Q8_0 when it is at least this big,
// and the forward pass recomputes this many best logits per row from the file's head.
constexpr int64_t kLmHeadAutoBytes = int64_t(64) << 20;
constexpr int kLmHeadRescore = 32;

struct Hparams {
    std::string arch;  // "bitnet-b1.58" | "bitnet-25" | "bitnet"
    FfnActivation ffn_act = FfnActivation::relu_sqr;
    int32_t n_vocab = 0;
    int32_t n_ctx_train = 0;
    int32_t n_embd = 0;
    int32_t n_layer = 0;
    int32_t n_head = 0;
    int32_t n_head_kv = 0;
    int32_t n_ff = 0;
    int32_t head_dim = 0;  // n_embd / n_head
    int32_t n_rot = 0;     // rotary dimensions per head (NeoX pairs i, i + n_rot/2)
    float rope_freq_base = 10000.0f;
    float rms_eps = 1e-5f;

    int32_t n_embd_q() const { return n_head * head_dim; }
    int32_t n_embd_kv() const { return n_head_kv * head_dim; }
};

// A 2-D weight matrix: `rows` output rows of `k` elements each (GGUF ne = [k, rows]).
struct Weight {
    std::string name;
    TensorType type = TensorType::F32;
    ActFormat act = ActFormat::f32;  // how activations are prepared for this weight
    const uint8_t* data = nullptr;   // row 0 (file layout, or the kernel table's repacked layout)
    int64_t k = 0;
    int64_t rows = 0;
    int64_t row_bytes = 0;
    int64_t file_bytes = 0;  // bytes of the tensor in the file (read once per decoded token)
    float scale = 1.0f;      // I2_S per-tensor scale
    float out_scale = 1.0f;  // optional "<name>.scale" multiplier (arch bitnet), 1 when absent
};

struct LayerWeights {
    const float* attn_norm = nullptr;      // [n_embd]
    const float* attn_sub_norm = nullptr;  // [n_embd_q]
    const float* ffn_norm = nullptr;       // [n_embd]
    const float* ffn_sub_norm = nullptr;   // [n_ff]
    Weight wq, wk, wv, wo;  // [n_embd → n_embd_q], [n_embd → n_embd_kv] ×2, [n_embd_q → n_embd]
    Weight ffn_gate, ffn_up, ffn_down;  // [n_embd → n_ff] ×2, [n_ff → n_embd]
};

// Writes row `row` of an F32 / F16 / BF16 / Q8_0 / Q6_K matrix as floats (the embedding lookup,
// ggml_get_rows).
void weight_row_to_f32(const Weight& w, int64_t row, float* out);

class Model {
  public:
    // Loads and validates. `kernels` decides repacked layouts; `lm_head` is LoadOptions::lm_head.
    static std::unique_ptr<Model> load(const std::string& path, const LoadOptions& options,
                                       const KernelTable& kernels);
    // Same, from a GGUF already parsed (tests).
    static std::unique_ptr<Model> from_gguf(std::unique_ptr<GgufFile> file, const LoadOptions& options,
                                            const KernelTable& kernels);

    const GgufFile& file() const { return *file_; }
    const Hparams& hparams() const { return hp_; }
    const Vocab& vocab() const { return *vocab_; }
    const Weight& tok_embd() const { return tok_embd_; }
    const Weight& output() const {
        return output_;
    }  // the LM head (token_embd unless the file has output.weight)
    // The file's LM head when output() is a Q8_0 copy of it (lm_head "q8"/"auto"): the forward pass computes
    // the top kLmHeadRescore logits of each row again from it. Null when output() is the file's head.
    const Weight* output_exact() const { return output_exact_.data != nullptr ? &output_exact_ : nullptr; }
    const float* output_norm() const { return output_norm_; }
    const std::vector<LayerWeights>& layers() const { return layers_; }

    const std::string& weight_type() const {
        return weight_type_;
    }  // type of the linear weights ("I2_S", ...)
    int64_t n_params() const { return n_params_; }
    int64_t weight_bytes_per_token() const { return weight_bytes_per_token_; }
    const std::string& chat_template() const { return chat_template_; }

    // Writes row `row` of the embedding as floats (dequantized).
    void embedding_row(int32_t row, float* out) const;

  private:
    Model() = default;
    void load_hparams();
    void load_vocab();
    void load_tensors(const KernelTable& kernels);
    void load_lm_head(const std::string& lm_head, const KernelTable& kernels);

    std::unique_ptr<GgufFile> file_;
    Hparams hp_;
    std::unique_ptr<Vocab> vocab_;
    Weight tok_embd_, output_, output_exact_;
    const float* output_norm_ = nullptr;
    std::vector<LayerWeights> layers_;
    std::vector<std::vector<uint8_t>> owned_;  // repacked weights
    std::string weight_type_;
    std::string chat_template_;
    int64_t n_params_ = 0;
    int64_t weight_bytes_per_token_ = 0;
};

}  // namespace trit
