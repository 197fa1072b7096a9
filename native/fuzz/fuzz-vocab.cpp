// libFuzzer target: the tokenizer of a real model on arbitrary bytes.
//
// The vocabulary comes from the model named by TRIT_FUZZ_VOCAB_MODEL (default: the shipped models/trit-code.gguf).
// Input layout: byte 0 selects the mode, the rest is the text (or, in mode 3, token ids).
//   mode 0: tokenize without special tokens; mode 1: with special tokens parsed; mode 2: both, plus BOS;
//   mode 3: detokenize arbitrary ids (every 2 bytes, modulo the vocabulary size).
// Invariants checked:
//   - every id is inside the vocabulary; tokenizing never throws;
//   - for valid UTF-8 and a byte-complete vocabulary (all 256 byte tokens present), detokenize(tokenize(x)) == x;
//   - streaming the tokens one by one through Utf8Stream gives valid UTF-8, and equals the whole detokenized text
//     when that text is valid UTF-8;
//   - tokenizing is deterministic.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model.h"
#include "trit/engine.h"
#include "unicode.h"
#include "vocab.h"

namespace {

std::unique_ptr<trit::Model> g_model;
bool g_byte_complete = false;

[[noreturn]] void finding(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz-vocab: %s: %s\n", what, detail.c_str());
    std::abort();
}

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    for (size_t at = 0; at < s.size();) {
        uint32_t cpt = 0;
        const int n = trit::utf8_decode_one(p + at, s.size() - at, cpt);
        if (n <= 0) return false;
        at += static_cast<size_t>(n);
    }
    return true;
}

// Whether the vocabulary has a token for each of the 256 byte-level characters (GPT-2's byte-to-unicode map),
// so that any byte string can be encoded without loss.
bool byte_complete(const trit::GgufFile& f) {
    std::vector<std::string> tokens;
    if (!f.get_string_array("tokenizer.ggml.tokens", &tokens)) return false;
    std::vector<std::string> sorted(tokens);
    std::sort(sorted.begin(), sorted.end());
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        std::string text;
        trit::utf8_append(text, printable ? b : next++);
        if (!std::binary_search(sorted.begin(), sorted.end(), text)) return false;
    }
    return true;
}

std::string hex(std::string_view s) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : s.substr(0, 200)) {
        out += digits[static_cast<uint8_t>(c) >> 4];
        out += digits[static_cast<uint8_t>(c) & 15];
    }
    return out;
}

void check_stream(const trit::Vocab& v, const std::vector<int32_t>& ids) {
    trit::Utf8Stream stream;
    std::string streamed;
    for (const int32_t id : ids) {
        const std::string& b = v.token_bytes(id);
        if (!v.is_control(id)) streamed += stream.push(b);
    }
    streamed += stream.flush();
    if (!valid_utf8(streamed)) finding("Utf8Stream produced invalid UTF-8", hex(streamed));
    // The whole text without control tokens, as streamed.
    const std::string plain = v.detokenize(ids.data(), ids.size(), false);
    if (valid_utf8(plain) && streamed != plain) finding("streamed text differs from detokenize", hex(plain));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* env = std::getenv("TRIT_FUZZ_VOCAB_MODEL");
    const std::string path = env != nullptr ? env : "models/trit-code.gguf";
    try {
        trit::LoadOptions options;
        g_model = trit::Model::load(path, options, *trit::kernels_ref());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz-vocab: cannot load %s: %s\n", path.c_str(), e.what());
        std::exit(2);
    }
    g_byte_complete = byte_complete(g_model->file());
    std::fprintf(stderr, "fuzz-vocab: %s, %d tokens, byte-complete: %s\n", path.c_str(), g_model->vocab().n_tokens(),
                 g_byte_complete ? "yes" : "no");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const trit::Vocab& v = g_model->vocab();
    const int mode = data[0] % 4;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    if (mode == 3) {
        std::vector<int32_t> ids;
        for (size_t i = 1; i + 1 < size; i += 2) ids.push_back(((data[i] << 8) | data[i + 1]) % v.n_tokens());
        (void)v.detokenize(ids.data(), ids.size(), true);
        check_stream(v, ids);
        return 0;
    }

    const bool parse_special = mode >= 1;
    const bool add_bos = mode == 2;
    std::vector<int32_t> ids;
    try {
        ids = v.tokenize(text, add_bos, parse_special);
    } catch (const std::exception& e) {
        finding("tokenize threw", e.what());
    }
    for (const int32_t id : ids) {
        if (id < 0 || id >= v.n_tokens()) finding("token id out of range", std::to_string(id));
    }
    if (v.tokenize(text, add_bos, parse_special) != ids) finding("tokenize is not deterministic", hex(text));

    size_t skip = 0;
    if (add_bos && v.special().bos >= 0) {
        if (ids.empty() || ids[0] != v.special().bos) finding("BOS missing", hex(text));
        skip = 1;
    }
    const std::string decoded = v.detokenize(ids.data() + skip, ids.size() - skip, true);
    if (g_byte_complete && valid_utf8(text) && decoded != text) {
        finding("detokenize(tokenize(x)) != x", hex(text) + " -> " + hex(decoded));
    }
    if (!text.empty() && ids.size() == skip && g_byte_complete) finding("no tokens for non-empty text", hex(text));
    check_stream(v, ids);
    return 0;
}
