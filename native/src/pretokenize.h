// Pre-tokenizers: split text into the pieces that BPE then encodes one by one.
//
// Each splitter is a hand-written matcher with exactly the semantics of the regular expressions that
// llama.cpp (and Hugging Face tokenizers) apply for the named pre-tokenizer type; the regex is quoted above
// each function in pretokenize.cpp. Splitting never looks across the bounds of the range it is given, just as
// llama.cpp applies each regex of a sequence inside the pieces produced by the previous one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace trit {

enum class PreType : int32_t {
    llama3,     // LLaMA-3's regex ("llama-bpe", "llama3", "llama-v3", ...)
    default_,   // llama.cpp's 'default' sequence of four regexes (used when tokenizer.ggml.pre is missing)
    gpt2,       // GPT-2's regex ("gpt-2", "gpt2", "phi-2", ...)
    starcoder,  // every digit alone, then GPT-2's regex ("starcoder", "refact", "smollm", ...)
};

// Maps a tokenizer.ggml.pre value to a type; false for names this engine does not implement.
bool pre_type_from_name(std::string_view name, PreType& type);
// The canonical name of a type ("llama-bpe", "default", "gpt2", "starcoder").
const char* pre_type_name(PreType type);
// Whether the type's vocabularies skip BPE for a piece that is itself a token (llama.cpp's ignore_merges).
bool pre_type_ignores_merges(PreType type);

// Code points of one fragment of text with their classes (CptClass bits), filled by the caller.
struct CptText {
    std::vector<uint32_t> cpts;
    std::vector<uint8_t> classes;
};

// Splits cpts [0, n) into pieces and returns the end index (exclusive) of each piece, in order. `scratch` is
// reused between calls to avoid allocations.
void pretokenize(PreType type, const CptText& text, std::vector<size_t>& ends, std::vector<size_t>& scratch);

}  // namespace trit
