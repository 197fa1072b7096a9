// Unit tests of the tokenizer on small hand-made vocabularies: UTF-8 decoding and streaming, code point
// classes, the pre-tokenizers' pieces, BPE against a naive reference, special tokens, end-of-generation
// detection, validation errors, detokenization. Built by native/tests/vocab.mk (also under ASan+UBSan).
//
// The fixture goldens and the LLaMA-3 comparison live in test/native/tokenizer-*.test.ts (through
// vocab-driver).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "pretokenize.h"
#include "unicode.h"
#include "vocab.h"

namespace {

int g_failures = 0;
int g_checks = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        ++g_checks;                                                                       \
        if (!(cond)) {                                                                    \
            ++g_failures;                                                                 \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                                 \
    } while (0)

template <typename F>
bool throws_code(F f, trit::ErrorCode code, const char* needle = nullptr) {
    try {
        f();
    } catch (const trit::Error& e) {
        if (e.code() != code) return false;
        return needle == nullptr || std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
}

using Ids = std::vector<int32_t>;

// GPT-2 byte-to-unicode text of a byte string ("a b" -> "aĠb").
std::string byte_level(const std::string& bytes) {
    std::string out;
    for (const unsigned char b : bytes) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        uint32_t cpt = b;
        if (!printable) {
            uint32_t n = 0;
            for (uint32_t c = 0; c < b; ++c) {
                const bool p = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE);
                if (!p) ++n;
            }
            cpt = 256 + n;
        }
        trit::utf8_append(out, cpt);
    }
    return out;
}

// A vocabulary of the 256 byte tokens (id = byte value) plus `extra` tokens given as raw bytes.
trit::VocabSource byte_vocab(const std::vector<std::string>& extra_bytes,
                             const std::vector<std::string>& merges_bytes) {
    trit::VocabSource src;
    src.model = "gpt2";
    src.pre = "gpt2";
    for (int b = 0; b < 256; ++b) src.tokens.push_back(byte_level(std::string(1, static_cast<char>(b))));
    for (const std::string& t : extra_bytes) src.tokens.push_back(byte_level(t));
    for (const std::string& m : merges_bytes) {
        const size_t sp = m.find('|');
        src.merges.push_back(byte_level(m.substr(0, sp)) + " " + byte_level(m.substr(sp + 1)));
    }
    return src;
}

std::vector<std::string> pieces(trit::PreType type, const std::string& text) {
    trit::CptText t;
    t.cpts = trit::utf8_to_cpts(text);
    for (const uint32_t c : t.cpts) t.classes.push_back(trit::cpt_class(c));
    std::vector<size_t> ends, scratch;
    trit::pretokenize(type, t, ends, scratch);
    std::vector<std::string> out;
    size_t begin = 0;
    for (const size_t end : ends) {
        std::string p;
        for (size_t i = begin; i < end; ++i) trit::utf8_append(p, t.cpts[i]);
        out.push_back(p);
        begin = end;
    }
    return out;
}

void test_utf8() {
    auto dec = [](const std::string& s, uint32_t* cpt_out = nullptr) {
        uint32_t cpt = 0;
        const int r = trit::utf8_decode_one(reinterpret_cast<const uint8_t*>(s.data()), s.size(), cpt);
        if (cpt_out) *cpt_out = cpt;
        return r;
    };
    uint32_t c = 0;
    CHECK(dec("a", &c) == 1 && c == 'a');
    CHECK(dec("\xC3\xA9", &c) == 2 && c == 0xE9);
    CHECK(dec("\xE2\x82\xAC", &c) == 3 && c == 0x20AC);
    CHECK(dec("\xF0\x9F\x98\x80", &c) == 4 && c == 0x1F600);
    CHECK(dec("\xF4\x8F\xBF\xBF", &c) == 4 && c == 0x10FFFF);
    CHECK(dec("\xC3") == 0);  // incomplete at the end
    CHECK(dec("\xF0\x9F\x98") == 0);
    CHECK(dec("\xC3(") == -1);      // lead byte without continuation
    CHECK(dec("\xE2\x82(") == -2);  // maximal subpart of two bytes
    CHECK(dec("\xF0\x9F\x98(") == -3);
    CHECK(dec("\x80") == -1);              // stray continuation byte
    CHECK(dec("\xC0\x80") == -1);          // C0/C1 never start a sequence
    CHECK(dec("\xE0\x80\x80") == -1);      // overlong
    CHECK(dec("\xED\xA0\x80") == -1);      // surrogate
    CHECK(dec("\xF4\x90\x80\x80") == -1);  // above U+10FFFF
    CHECK(dec("\xF5") == -1);

    const std::vector<uint32_t> cpts = trit::utf8_to_cpts(
        "a\xFF"
        "b\xE2\x82");
    CHECK((cpts == std::vector<uint32_t>{'a', 0xFFFD, 'b', 0xFFFD}));
    CHECK((trit::utf8_to_cpts("\xE2\x82(") == std::vector<uint32_t>{0xFFFD, '('}));
}

void test_utf8_stream() {
    trit::Utf8Stream s;
    CHECK(s.push("\xE2") == "");
    CHECK(s.push("\x82") == "");
    CHECK(s.push("\xAC!") == "\xE2\x82\xAC!");
    CHECK(s.push("a\xC3") == "a");
    CHECK(s.push("\xA9") == "\xC3\xA9");
    CHECK(s.push("\xFF") == "\xEF\xBF\xBD");
    CHECK(s.push("\xE2\x82") == "");
    CHECK(s.push("(") == "\xEF\xBF\xBD(");
    CHECK(s.push("\xF0\x9F") == "");
    CHECK(s.flush() == "\xEF\xBF\xBD");
    CHECK(s.flush() == "");

    // Streaming any split of random bytes gives what decoding the whole gives.
    std::mt19937 rng(7);
    const std::string alphabet[] = {"a",    "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF",
                                    "\x80", "\xC3",     "\xE2\x82",     "\xED\xA0\x80",     "\xF0\x9F"};
    for (int iter = 0; iter < 2000; ++iter) {
        std::string text;
        const int n = static_cast<int>(rng() % 12);
        for (int i = 0; i < n; ++i) text += alphabet[rng() % 10];
        std::string expect;
        for (const uint32_t cpt : trit::utf8_to_cpts(text)) trit::utf8_append(expect, cpt);
        trit::Utf8Stream stream;
        std::string got;
        size_t pos = 0;
        while (pos < text.size()) {
            const size_t len = std::min<size_t>(text.size() - pos, rng() % 4);
            got += stream.push(std::string_view(text).substr(pos, len));
            pos += len;
        }
        got += stream.flush();
        CHECK(got == expect);
    }
}

void test_classes() {
    using trit::cpt_class;
    CHECK(cpt_class('A') == trit::cpt_letter);
    CHECK(cpt_class('z') == trit::cpt_letter);
    CHECK(cpt_class('7') == trit::cpt_number);
    CHECK(cpt_class(',') == trit::cpt_punctuation);
    CHECK(cpt_class('_') == trit::cpt_punctuation);
    CHECK(cpt_class('+') == 0);  // a symbol: no class
    CHECK(cpt_class('`') == 0);
    CHECK(cpt_class(' ') == trit::cpt_space);
    CHECK(cpt_class('\n') == trit::cpt_space);
    CHECK(cpt_class(0x0B) == trit::cpt_space);
    CHECK(cpt_class(0x1C) ==
          0);  // not White_Space (Python's str.isspace says yes; Unicode and llama.cpp say no)
    CHECK(cpt_class(0x85) == trit::cpt_space);
    CHECK(cpt_class(0xA0) == trit::cpt_space);
    CHECK(cpt_class(0x3000) == trit::cpt_space);
    CHECK(cpt_class(0x200B) == 0);  // zero-width space is a format character
    CHECK(cpt_class(0x4E2D) == trit::cpt_letter);
    CHECK(cpt_class(0x0660) == trit::cpt_number);
    CHECK(cpt_class(0x00BD) == trit::cpt_number);  // ½
    CHECK(cpt_class(0x2167) == trit::cpt_number);  // Ⅷ
    CHECK(cpt_class(0x0301) == 0);                 // combining mark
    CHECK(cpt_class(0x3002) == trit::cpt_punctuation);
    CHECK(cpt_class(0x1F680) == 0);
    CHECK(cpt_class(0x0378) == 0);  // unassigned
    CHECK(cpt_class(0x10FFFF) == 0);
    CHECK(cpt_class(0x110000) == 0);
    CHECK(std::string(trit::unicode_version()).size() >= 3);
}

void test_pretokenizers() {
    using P = std::vector<std::string>;
    CHECK((pieces(trit::PreType::llama3, "Hello world's 12345  \n\n  x") ==
           P{"Hello", " world", "'s", " ", "123", "45", "  \n\n", " ", " x"}));
    CHECK((pieces(trit::PreType::llama3, "DON'T x'LL") == P{"DON", "'T", " x", "'LL"}));
    CHECK((pieces(trit::PreType::llama3, "a+=b;\r\n\tc") == P{"a", "+=", "b", ";\r\n", "\tc"}));
    CHECK((pieces(trit::PreType::llama3, "  ") == P{"  "}));
    CHECK((pieces(trit::PreType::llama3, "x ") == P{"x", " "}));
    CHECK((pieces(trit::PreType::llama3, "") == P{}));
    CHECK((pieces(trit::PreType::gpt2, "I'm  here, OK?!") == P{"I", "'m", " ", " here", ",", " OK", "?!"}));
    CHECK((pieces(trit::PreType::gpt2, "I'M") == P{"I", "'", "M"}));  // GPT-2 contractions are case-sensitive
    CHECK((pieces(trit::PreType::gpt2, "x2024 ") == P{"x", "2024", " "}));
    // 'default': punctuation runs first, then GPT-2, then digit runs, then ASCII digit triples.
    CHECK((pieces(trit::PreType::default_, "Hello, World!") == P{"Hello", ",", " World", "!"}));
    CHECK((pieces(trit::PreType::default_, "12345678901") == P{"123", "456", "789", "01"}));
    CHECK((pieces(trit::PreType::default_, "3.14 + x") == P{"3", ".", "14", " ", "+", " x"}));
    CHECK((pieces(trit::PreType::default_, "don't") == P{"don", "'", "t"}));
    CHECK((pieces(trit::PreType::default_, "a`b") == P{"a", "`", "b"}));
    CHECK((pieces(trit::PreType::default_, " 1234") == P{" ", "123", "4"}));
    CHECK((pieces(trit::PreType::starcoder, "x123 y") == P{"x", "1", "2", "3", " y"}));

    trit::PreType t;
    CHECK(trit::pre_type_from_name("llama3", t) && t == trit::PreType::llama3);
    CHECK(trit::pre_type_from_name("gpt-2", t) && t == trit::PreType::gpt2);
    CHECK(!trit::pre_type_from_name("qwen2", t));
}

// Reference BPE: repeatedly merge the lowest-ranked adjacent pair, leftmost first. Slow and obviously right.
Ids naive_bpe(const std::vector<std::string>& tokens, const std::vector<std::pair<int32_t, int32_t>>& merges,
              const std::map<std::string, int32_t>& ids, const std::string& text) {
    Ids syms;
    for (const char ch : text) syms.push_back(static_cast<unsigned char>(ch));
    for (;;) {
        size_t best = syms.size();
        size_t best_rank = merges.size();
        for (size_t i = 0; i + 1 < syms.size(); ++i) {
            for (size_t r = 0; r < best_rank; ++r) {
                if (merges[r].first == syms[i] && merges[r].second == syms[i + 1]) {
                    best = i;
                    best_rank = r;
                    break;
                }
            }
        }
        if (best == syms.size()) return syms;
        syms[best] = ids.at(tokens[syms[best]] + tokens[syms[best + 1]]);
        syms.erase(syms.begin() + static_cast<long>(best) + 1);
    }
}

void test_bpe() {
    // Hand-made: "ab" and "abc" exist; "bc" has a lower rank than "ab".
    {
        // Ids: 256 "ab", 257 "bc", 258 "abc", 259 " a". Ranks: b|c 0, a|b 1, ab|c 2, " |a" 3.
        trit::Vocab v(byte_vocab({"ab", "bc", "abc", " a"}, {"b|c", "a|b", "ab|c", " |a"}));
        CHECK(v.n_merges_skipped() == 0);
        CHECK((v.tokenize("abc", false, false) == Ids{'a', 257}));  // b|c first, then no a|bc merge
        CHECK((v.tokenize("abd", false, false) == Ids{256, 'd'}));
        CHECK((v.tokenize(" ab", false, false) == Ids{' ', 256}));  // a|b (rank 1) beats " |a" (rank 3)
        CHECK((v.tokenize(" a", false, false) == Ids{259}));
    }

    // Random vocabularies over a 4-letter alphabet against the naive reference, on strings long enough to
    // take both the small-piece and the heap path (one letter run is one GPT-2 piece).
    std::mt19937 rng(12345);
    for (int round = 0; round < 20; ++round) {
        std::vector<std::string> tokens;
        for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
        std::map<std::string, int32_t> ids;
        for (int b = 0; b < 256; ++b) ids[tokens[b]] = b;
        std::vector<std::pair<int32_t, int32_t>> merges;
        std::vector<int32_t> pool = {'a', 'b', 'c', 'd'};
        for (int m = 0; m < 60; ++m) {
            const int32_t l = pool[rng() % pool.size()];
            const int32_t r = pool[rng() % pool.size()];
            const std::string joined = tokens[l] + tokens[r];
            if (joined.size() > 12) continue;
            if (!ids.count(joined)) {
                ids[joined] = static_cast<int32_t>(tokens.size());
                tokens.push_back(joined);
                pool.push_back(ids[joined]);
            }
            merges.emplace_back(l, r);
        }
        trit::VocabSource src;
        src.model = "gpt2";
        src.pre = "gpt2";
        for (const std::string& t : tokens) src.tokens.push_back(byte_level(t));
        for (const auto& m : merges)
            src.merges.push_back(byte_level(tokens[m.first]) + " " + byte_level(tokens[m.second]));
        const trit::Vocab v(src);
        // Repeated pairs are skipped (the first rank wins), so the reference must see the same de-duplicated
        // list.
        std::vector<std::pair<int32_t, int32_t>> unique;
        for (const auto& m : merges) {
            if (std::find(unique.begin(), unique.end(), m) == unique.end()) unique.push_back(m);
        }
        CHECK(v.n_merges_skipped() == static_cast<int32_t>(merges.size() - unique.size()));
        for (int iter = 0; iter < 40; ++iter) {
            std::string text;
            const size_t len = 1 + rng() % (iter < 20 ? 90 : 400);
            for (size_t i = 0; i < len; ++i) text.push_back("abcd"[rng() % 4]);
            CHECK(v.tokenize(text, false, false) == naive_bpe(tokens, unique, ids, text));
        }
    }
}

void test_ignore_merges() {
    // "xyz" is a token that the merges cannot build: LLaMA-3's pre-tokenizer type emits it whole, GPT-2's
    // does not.
    auto src = byte_vocab({"xy", "xyz"}, {"x|y"});
    CHECK(trit::Vocab(src).tokenize("xyz", false, false) == (Ids{256, 'z'}));
    src.pre = "llama-bpe";
    CHECK(trit::Vocab(src).tokenize("xyz", false, false) == (Ids{257}));
    CHECK(trit::Vocab(src).tokenize("xyzz", false, false) == (Ids{256, 'z', 'z'}));
}

void test_special_tokens() {
    auto src = byte_vocab({"<|eot_id|>", "<tool>", "ab", "bcd", "<|end_of_text|>"}, {});
    src.token_types.assign(src.tokens.size(), static_cast<int32_t>(trit::TokenType::normal));
    const int32_t eot = 256, tool = 257, ab = 258, bcd = 259, eos = 260;
    src.token_types[eot] = static_cast<int32_t>(trit::TokenType::control);
    src.token_types[tool] = static_cast<int32_t>(trit::TokenType::user_defined);
    src.token_types[ab] = static_cast<int32_t>(trit::TokenType::control);
    src.token_types[bcd] = static_cast<int32_t>(trit::TokenType::control);
    src.token_types[eos] = static_cast<int32_t>(trit::TokenType::control);
    src.special.bos = eos;
    src.special.eos = eos;
    const trit::Vocab v(src);

    CHECK((v.tokenize("x<|eot_id|>y", false, true) == Ids{'x', eot, 'y'}));
    CHECK(v.tokenize("x<|eot_id|>y", false, false).size() == 12);  // plain text without parse_special
    CHECK((v.tokenize("<tool>", false, false) == Ids{tool}));      // user-defined: always matched
    CHECK((v.tokenize("<|eot_id|><|eot_id|>", true, true) == Ids{eos, eot, eot}));
    // Longest special token first (llama.cpp's order): "bcd" wins over the overlapping "ab".
    CHECK((v.tokenize("xabcdx", false, true) == Ids{'x', 'a', bcd, 'x'}));
    CHECK((v.tokenize("abab", false, true) == Ids{ab, ab}));

    // End of generation: eos plus the tokens recognised by text; eot found by text.
    CHECK(v.special().eot == eot);
    CHECK((v.special().eog == Ids{eot, eos}));
    CHECK(v.is_eog(eot) && v.is_eog(eos) && !v.is_eog(tool) && !v.is_eog(-1) && !v.is_eog(1 << 20));
    CHECK(v.is_control(eot) && !v.is_control(tool) && !v.is_control('a'));

    // Rendering: control tokens only with render_special, user-defined always, byte-level text decoded.
    const Ids ids = {eos, 'h', 'i', ' ' /* the token "Ġ" */, tool, eot};
    CHECK(v.detokenize(ids.data(), ids.size(), false) == "hi <tool>");
    CHECK(v.detokenize(ids.data(), ids.size(), true) == "<|end_of_text|>hi <tool><|eot_id|>");
    CHECK(v.token_bytes(' ') == " ");
    CHECK(v.token_bytes(0xE9) == "\xE9");  // a single byte, not its UTF-8 character
    CHECK(throws_code([&] { v.token_bytes(261); }, trit::ErrorCode::argument));
    const Ids bad = {'a', -1};
    CHECK(throws_code([&] { v.detokenize(bad.data(), bad.size(), false); }, trit::ErrorCode::argument));
}

void test_detection_and_defaults() {
    // A normal-typed token that reads like a FIM token is not taken for one; a control one is.
    auto src = byte_vocab({"<PRE>", "<|fim_prefix|>", "<|im_end|>"}, {});
    src.token_types.assign(src.tokens.size(), static_cast<int32_t>(trit::TokenType::normal));
    src.token_types[257] = static_cast<int32_t>(trit::TokenType::control);
    src.token_types[258] = static_cast<int32_t>(trit::TokenType::control);
    {
        const trit::Vocab v(src);
        CHECK(v.special().fim_pre == 257);
        CHECK(v.special().eot == 258 && v.is_eog(258));
        CHECK(!v.add_bos());  // add_bos asked (the default) but no BOS token: none added
        CHECK(v.tokenize("a", true, false) == (Ids{'a'}));
        CHECK(v.pre() == "gpt2");
    }
    // Without token types every token may be recognised by text.
    {
        auto untyped = byte_vocab({"<PRE>"}, {});
        const trit::Vocab v(untyped);
        CHECK(v.special().fim_pre == 256 && v.is_control(256));
    }
    // Missing pre-tokenizer: 'default', except for the LLaMA-3 vocabulary (128256 tokens, BOS text at
    // 128000).
    src.pre.clear();
    CHECK(trit::Vocab(src).pre() == "default");
    auto llama = byte_vocab({}, {});
    llama.pre.clear();
    for (int i = 256; i < 128256; ++i) llama.tokens.push_back("t" + std::to_string(i));
    llama.tokens[128000] = "<|begin_of_text|>";
    CHECK(trit::Vocab(llama).pre() == "llama-bpe");
    llama.tokens[128000] = "t128000";
    CHECK(trit::Vocab(llama).pre() == "default");
}

void test_validation() {
    using trit::ErrorCode;
    auto ok = byte_vocab({"ab"}, {"a|b"});
    CHECK(trit::Vocab(ok).n_tokens() == 257);
    {
        auto s = ok;
        s.model = "llama";
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::unsupported, "'llama'"));
    }
    {
        auto s = ok;
        s.pre = "qwen2";
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::unsupported, "'qwen2'"));
    }
    {
        auto s = ok;
        s.tokens.clear();
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::format, "empty"));
    }
    {
        auto s = ok;
        s.tokens.push_back(s.tokens[5]);
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::format, "duplicate"));
    }
    {
        auto s = ok;
        s.token_types.assign(3, 1);
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::format, "token types"));
    }
    {
        auto s = ok;
        s.special.eos = 257;
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::format, "outside the vocabulary"));
        s.special.eos = -7;
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::format, "outside the vocabulary"));
    }
    {
        auto s = ok;
        s.tokens.push_back(std::string(70000, 'x'));
        CHECK(throws_code([&] { trit::Vocab v(s); }, ErrorCode::format, "bytes long"));
    }
    {
        // Merges naming unknown tokens, producing unknown tokens, malformed or repeated: skipped and counted.
        auto s = ok;
        s.merges = {"a b", "a b", "x q", "ab", "", " ", "b c", "q"};
        s.tokens.push_back("");  // an empty token is allowed and never produced
        const trit::Vocab v(s);
        CHECK(v.n_merges_skipped() == 7);
        CHECK(v.tokenize("abc", false, false) == (Ids{256, 'c'}));
        s.token_types.assign(s.tokens.size(), 42);  // unknown type values are read as 'undefined'
        CHECK(trit::Vocab(s).tokenize("ab", false, false) == (Ids{256}));
    }
}

void test_invalid_utf8_input() {
    // Invalid input bytes are tokenized as U+FFFD (EF BF BD), one per maximal subpart.
    const trit::Vocab v(byte_vocab({}, {}));
    CHECK(v.tokenize("a\xFF", false, false) == (Ids{'a', 0xEF, 0xBF, 0xBD}));
    CHECK(v.tokenize("\xE2\x82", false, false) == (Ids{0xEF, 0xBF, 0xBD}));
}

}  // namespace

int main() {
    test_utf8();
    test_utf8_stream();
    test_classes();
    test_pretokenizers();
    test_bpe();
    test_ignore_merges();
    test_special_tokens();
    test_detection_and_defaults();
    test_validation();
    test_invalid_utf8_input();
    std::printf("test-vocab: %d checks, %d failures\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
