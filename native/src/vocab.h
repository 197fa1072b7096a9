// Byte-level BPE tokenizer built from GGUF tokenizer metadata.
//
// The model loader (model.cpp) reads the `tokenizer.*` keys into a VocabSource; Vocab never sees the file, so it
// can be tested and fuzzed on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trit/engine.h"

namespace trit {

// GGUF `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
    undefined = 0,
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6,
};

struct VocabSource {
    std::string model;                // tokenizer.ggml.model; only "gpt2" (byte-level BPE) is supported
    std::string pre;                  // tokenizer.ggml.pre; "" when the key is absent
    std::vector<std::string> tokens;  // tokenizer.ggml.tokens (byte-level unicode strings, "Ġ" = space)
    std::vector<int32_t> token_types; // tokenizer.ggml.token_type; empty when absent
    std::vector<std::string> merges;  // tokenizer.ggml.merges ("Ġ t")
    SpecialTokens special;            // ids from tokenizer.ggml.*_token_id, -1 when absent; eog is filled by Vocab
    bool add_bos = true;              // tokenizer.ggml.add_bos_token (true when absent, as llama.cpp for gpt2 models)
};

class Vocab {
public:
    // Validates the source (ids in range, merges refer to tokens, ...) and builds the lookup tables.
    // Throws Error(unsupported) for other tokenizer models or an unknown pre-tokenizer name, Error(format) for
    // inconsistent data.
    explicit Vocab(VocabSource source);

    int32_t n_tokens() const;
    const std::string& pre() const;          // the pre-tokenizer actually used ("llama-bpe", "default", ...)
    const SpecialTokens& special() const;    // with eog filled in
    bool add_bos() const;
    // Merges that were ignored because a part or the result is not a token, or the pair repeats an earlier
    // merge. Non-zero means a suspicious file; the loader may log it.
    int32_t n_merges_skipped() const;

    std::vector<int32_t> tokenize(std::string_view text, bool add_bos, bool parse_special) const;

    // Raw bytes of one token: byte-level decoded for normal tokens; the token's text for control/user tokens.
    const std::string& token_bytes(int32_t id) const;
    bool is_control(int32_t id) const;
    bool is_eog(int32_t id) const;

    // Concatenated bytes; control tokens contribute their text only when render_special is set.
    std::string detokenize(const int32_t* ids, size_t n, bool render_special) const;

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

// Turns a stream of token bytes into complete UTF-8 pieces: an incomplete trailing sequence is held back until
// its continuation bytes arrive; invalid bytes become U+FFFD.
class Utf8Stream {
public:
    std::string push(std::string_view bytes);
    std::string flush();  // whatever is held back, with U+FFFD for an incomplete sequence

private:
    std::string pending_;
};

}  // namespace trit
