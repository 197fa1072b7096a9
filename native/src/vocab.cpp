// Byte-level BPE (GPT-2 style) from GGUF tokenizer metadata. See vocab.h for the contract.
//
// Tokenization = special-token partition -> pre-tokenizer (pretokenize.cpp) -> BPE per piece. The behaviour
// follows llama.cpp's BPE tokenizer; where it differs on purpose, the comment says so.
#include "vocab.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstring>
#include <queue>

#include "pretokenize.h"
#include "unicode.h"
#include "vocab-index.h"

namespace trit {

namespace {

// Limits on the source beyond which a file is considered broken rather than big.
constexpr size_t k_max_tokens = size_t{1} << 24;
constexpr size_t k_max_merges = size_t{1} << 24;
constexpr size_t k_max_token_bytes = 65536;

// Pieces up to this many bytes are merged with a linear scan over pair ranks; longer ones with a heap.
constexpr size_t k_small_piece = 96;

// Text-detected end-of-turn tokens, in order of preference for `eot` (llama.cpp recognises the same texts).
// Fill-in-the-middle and file-separator tokens are deliberately absent: they appear inside prompts.
constexpr const char* k_eot_texts[] = {"<|eot_id|>",    "<|im_end|>",    "<|end|>",
                                       "<end_of_turn>", "<|endoftext|>", "<EOT>"};
// Every text-detected end-of-generation token.
constexpr const char* k_eog_texts[] = {"<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>",
                                       "<|im_end|>", "<|end|>",    "<end_of_turn>",   "<EOT>"};

struct TextRole {
    int32_t SpecialTokens::*field;
    const char* texts[4];
};

// Fill-in-the-middle tokens detected by text when the file does not name them.
const TextRole k_fim_roles[] = {
    {&SpecialTokens::fim_pre, {"<|fim_prefix|>", "<fim_prefix>", "<fim-prefix>", "<PRE>"}},
    {&SpecialTokens::fim_suf, {"<|fim_suffix|>", "<fim_suffix>", "<fim-suffix>", "<SUF>"}},
    {&SpecialTokens::fim_mid, {"<|fim_middle|>", "<fim_middle>", "<fim-middle>", "<MID>"}},
    {&SpecialTokens::fim_pad, {"<|fim_pad|>", "<fim_pad>", "<fim-pad>", nullptr}},
    {&SpecialTokens::fim_rep, {"<|repo_name|>", "<|fim_repo|>", "<reponame>", "<fim-repo>"}},
    {&SpecialTokens::fim_sep, {"<|file_sep|>", "<file_sep>", nullptr, nullptr}},
};

// GPT-2's byte-to-unicode table: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in
// byte order, so that every byte has a visible, non-space character.
std::array<uint32_t, 256> byte_to_cpt_table() {
    std::array<uint32_t, 256> table{};
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
        const bool printable =
            (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        table[b] = printable ? b : next++;
    }
    return table;
}

std::string format_id_error(const char* what, int32_t id, size_t n_tokens) {
    return std::string("invalid tokenizer: ") + what + " " + std::to_string(id) +
           " is outside the vocabulary (" + std::to_string(n_tokens) + " tokens)";
}

}  // namespace

struct Vocab::Impl {
    PreType pre_type = PreType::default_;
    bool ignore_merges = false;
    bool add_bos = false;
    SpecialTokens special;
    int32_t n_merges_skipped = 0;

    std::vector<std::string> texts;  // token text as stored in the file
    std::vector<std::string> bytes;  // what the token stands for (see token_bytes)
    std::vector<TokenType> types;
    std::vector<bool> eog;
    StringIndex text_index;  // token text -> id

    MergeTable merges;
    std::array<int32_t, 256> byte_token{};     // token of each single byte, -1 if the vocabulary lacks it
    std::array<int16_t, 0x144> cpt_to_byte{};  // inverse of the byte-to-unicode table, -1 elsewhere

    std::vector<std::string> piece_keys;  // bytes spelled by each token's byte-level text ("" if it is not)
    StringIndex piece_index;              // piece bytes -> token, for ignore_merges

    // Special tokens (control, user-defined, unknown) are matched in the text before pre-tokenization: their
    // lengths (longest first), and the first two bytes a match needs (bit b0 << 8 | b1; single-byte tokens
    // use special_single).
    bool has_special = false;
    std::vector<size_t> special_lengths;
    std::vector<bool> special_prefix = std::vector<bool>(65536, false);
    std::array<bool, 256> special_single{};
    bool has_user_defined = false;

    void init_tables(VocabSource& src);
    void init_pre_type(const std::string& name);
    void init_merges(const std::vector<std::string>& merge_list);
    void init_special(const VocabSource& src);
    void init_specials_to_match();
    void init_bytes();

    struct Occurrence {  // a special token found in text
        size_t pos, len;
        int32_t id;
    };
    std::vector<Occurrence> find_specials(std::string_view text, bool parse_special) const;

    int32_t find_text(std::string_view text) const { return text_index.find(text); }
    int32_t byte_of(uint32_t cpt) const { return cpt < cpt_to_byte.size() ? cpt_to_byte[cpt] : -1; }
    // Whether token `id` is matched as a special token in text.
    bool matches_special(int32_t id, bool parse_special) const {
        const TokenType t = types[id];
        if (t == TokenType::user_defined) return true;
        return parse_special && (t == TokenType::control || t == TokenType::unknown);
    }

    void tokenize_fragment(std::string_view text, std::vector<int32_t>& out) const;
    void bpe_piece(const uint8_t* p, size_t n, std::vector<int32_t>& out) const;
    void bpe_small(const uint8_t* p, size_t n, std::vector<int32_t>& out) const;
    void bpe_large(const uint8_t* p, size_t n, std::vector<int32_t>& out) const;
};

void Vocab::Impl::init_tables(VocabSource& src) {
    const size_t n = src.tokens.size();
    if (n == 0)
        throw Error(ErrorCode::format, "invalid tokenizer: the vocabulary (tokenizer.ggml.tokens) is empty");
    if (n > k_max_tokens) {
        throw Error(ErrorCode::format,
                    "invalid tokenizer: " + std::to_string(n) + " tokens is more than any real vocabulary");
    }
    if (!src.token_types.empty() && src.token_types.size() != n) {
        throw Error(ErrorCode::format, "invalid tokenizer: " + std::to_string(src.token_types.size()) +
                                           " token types for " + std::to_string(n) + " tokens");
    }

    texts = std::move(src.tokens);
    types.assign(n, TokenType::normal);
    for (size_t i = 0; i < src.token_types.size(); ++i) {
        const int32_t t = src.token_types[i];
        types[i] = t >= 0 && t <= static_cast<int32_t>(TokenType::byte) ? static_cast<TokenType>(t)
                                                                        : TokenType::undefined;
    }

    for (size_t i = 0; i < n; ++i) {
        if (texts[i].size() > k_max_token_bytes) {
            throw Error(ErrorCode::format, "invalid tokenizer: token " + std::to_string(i) + " is " +
                                               std::to_string(texts[i].size()) + " bytes long");
        }
    }
    // Empty tokens are not indexed: they can never be produced (llama.cpp renames them).
    const int32_t duplicate = text_index.build(&texts);
    if (duplicate >= 0) {
        throw Error(ErrorCode::format, "invalid tokenizer: duplicate token '" + texts[duplicate] +
                                           "' has ids " + std::to_string(find_text(texts[duplicate])) +
                                           " and " + std::to_string(duplicate));
    }

    const std::array<uint32_t, 256> byte_cpt = byte_to_cpt_table();
    cpt_to_byte.fill(-1);
    for (uint32_t b = 0; b < 256; ++b) {
        std::string byte_text;  // the byte-level character of b ("Ġ" for a space)
        utf8_append(byte_text, byte_cpt[b]);
        cpt_to_byte[byte_cpt[b]] = static_cast<int16_t>(b);
        byte_token[b] = find_text(byte_text);
    }
}

// A merge "A B" joins adjacent tokens A and B into the token AB. Merges whose parts or result are not in the
// vocabulary cannot produce a token and are skipped (counted in n_merges_skipped); llama.cpp applies them and
// then falls back to byte tokens for the unknown result, Hugging Face refuses to load such a file. A repeated
// pair keeps its first (best) rank, as in llama.cpp.
void Vocab::Impl::init_merges(const std::vector<std::string>& merge_list) {
    if (merge_list.size() > k_max_merges) {
        throw Error(ErrorCode::format, "invalid tokenizer: " + std::to_string(merge_list.size()) +
                                           " merges is more than any real vocabulary");
    }
    merges.reserve(merge_list.size());
    std::string joined;
    for (size_t rank = 0; rank < merge_list.size(); ++rank) {
        const std::string& m = merge_list[rank];
        const size_t space = m.find(' ', 1);
        int32_t left = -1, right = -1, merged = -1;
        if (space != std::string::npos) {
            const std::string_view a(m.data(), space);
            const std::string_view b(m.data() + space + 1, m.size() - space - 1);
            left = find_text(a);
            right = find_text(b);
            joined.assign(a).append(b);
            merged = find_text(joined);
        }
        if (left < 0 || right < 0 || merged < 0 ||
            !merges.insert(left, right, static_cast<int32_t>(rank), merged)) {
            ++n_merges_skipped;
        }
    }
}

void Vocab::Impl::init_special(const VocabSource& src) {
    const size_t n = texts.size();
    special = src.special;
    special.eog.clear();
    for (const int32_t SpecialTokens::*field :
         {&SpecialTokens::bos, &SpecialTokens::eos, &SpecialTokens::eot, &SpecialTokens::pad,
          &SpecialTokens::fim_pre, &SpecialTokens::fim_suf, &SpecialTokens::fim_mid, &SpecialTokens::fim_pad,
          &SpecialTokens::fim_rep, &SpecialTokens::fim_sep}) {
        const int32_t id = special.*field;
        if (id < -1 || id >= static_cast<int64_t>(n))
            throw Error(ErrorCode::format, format_id_error("special token id", id, n));
    }
    // Roles are detected by text among the tokens the file marks as special (any token when the file has no
    // token types): an ordinary BPE token that happens to read "<PRE>" must stay ordinary. Detected tokens
    // become control tokens unless they are user-defined, as in llama.cpp.
    const bool typed = !src.token_types.empty();
    auto find_special_text = [&](const char* text) -> int32_t {
        const int32_t id = text ? find_text(text) : -1;
        return id >= 0 && (!typed || types[id] != TokenType::normal) ? id : -1;
    };
    auto mark_control = [&](int32_t id) {
        if (types[id] != TokenType::user_defined) types[id] = TokenType::control;
    };
    if (special.eot < 0) {
        for (const char* text : k_eot_texts) {
            const int32_t id = find_special_text(text);
            if (id >= 0) {
                special.eot = id;
                mark_control(id);
                break;
            }
        }
    }
    for (const TextRole& role : k_fim_roles) {
        if (special.*role.field >= 0) continue;
        for (const char* text : role.texts) {
            const int32_t id = find_special_text(text);
            if (id >= 0) {
                special.*role.field = id;
                mark_control(id);
                break;
            }
        }
    }

    eog.assign(n, false);
    for (const char* text : k_eog_texts) {
        const int32_t id = find_special_text(text);
        if (id >= 0) {
            eog[id] = true;
            mark_control(id);
        }
    }
    if (special.eos >= 0) eog[special.eos] = true;
    if (special.eot >= 0) eog[special.eot] = true;
    for (size_t i = 0; i < n; ++i) {
        if (eog[i]) special.eog.push_back(static_cast<int32_t>(i));
    }

    // add_bos needs a BOS token; a file that asks for one without naming it gets none (llama.cpp refuses it).
    add_bos = src.add_bos && special.bos >= 0;
}

void Vocab::Impl::init_specials_to_match() {
    for (size_t i = 0; i < texts.size(); ++i) {
        const TokenType t = types[i];
        if (texts[i].empty()) continue;
        if (t != TokenType::control && t != TokenType::user_defined && t != TokenType::unknown) continue;
        has_special = true;
        const auto b0 = static_cast<uint8_t>(texts[i][0]);
        if (texts[i].size() == 1) {
            special_single[b0] = true;
        } else {
            special_prefix[(b0 << 8) | static_cast<uint8_t>(texts[i][1])] = true;
        }
        if (t == TokenType::user_defined) has_user_defined = true;
        if (std::find(special_lengths.begin(), special_lengths.end(), texts[i].size()) ==
            special_lengths.end()) {
            special_lengths.push_back(texts[i].size());
        }
    }
    std::sort(special_lengths.rbegin(), special_lengths.rend());
}

// Encodes one pre-tokenized piece (raw UTF-8 bytes). Pieces are encoded byte by byte: the initial symbols are
// the tokens of the single bytes, then the best-ranked adjacent pair is merged until no merge applies.
void Vocab::Impl::bpe_piece(const uint8_t* p, size_t n, std::vector<int32_t>& out) const {
    if (n == 0) return;
    if (ignore_merges) {
        // A piece that is itself a token is emitted whole, without running the merges (llama.cpp looks the
        // piece's byte-level text up among all tokens; piece_keys holds the same relation in bytes).
        const int32_t id = piece_index.find(std::string_view(reinterpret_cast<const char*>(p), n));
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }
    if (n == 1) {
        if (byte_token[p[0]] >= 0) out.push_back(byte_token[p[0]]);
        return;
    }
    if (n <= k_small_piece) {
        bpe_small(p, n, out);
    } else {
        bpe_large(p, n, out);
    }
}

// Merges by scanning the ranks of all adjacent pairs: fastest for the short pieces that make up most text.
// Ties go to the leftmost pair. A byte without a token (a vocabulary lacking some of the 256 byte tokens)
// cannot take part in merges and is dropped from the output, as in llama.cpp.
void Vocab::Impl::bpe_small(const uint8_t* p, size_t n, std::vector<int32_t>& out) const {
    int32_t ids[k_small_piece];
    int32_t ranks[k_small_piece];   // ranks[i]: rank of the pair (ids[i], ids[i + 1]), INT_MAX if none
    int32_t merged[k_small_piece];  // merged[i]: the token that pair becomes
    size_t m = n;
    auto rank_pair = [&](size_t i) {
        ranks[i] = INT_MAX;
        if (ids[i] < 0 || ids[i + 1] < 0) return;
        if (const MergeTable::Entry* e = merges.find(ids[i], ids[i + 1])) {
            ranks[i] = e->rank;
            merged[i] = e->merged;
        }
    };
    for (size_t i = 0; i < n; ++i) ids[i] = byte_token[p[i]];
    for (size_t i = 0; i + 1 < m; ++i) rank_pair(i);
    while (m > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < m; ++i) {
            if (ranks[i] < ranks[best]) best = i;
        }
        if (ranks[best] == INT_MAX) break;
        ids[best] = merged[best];
        for (size_t i = best + 1; i + 1 < m; ++i) ids[i] = ids[i + 1];
        for (size_t i = best + 1; i + 2 < m; ++i) {
            ranks[i] = ranks[i + 1];
            merged[i] = merged[i + 1];
        }
        --m;
        if (best + 1 < m) rank_pair(best);
        if (best > 0) rank_pair(best - 1);
    }
    for (size_t i = 0; i < m; ++i) {
        if (ids[i] >= 0) out.push_back(ids[i]);
    }
}

// Merges with a priority queue over a linked list of symbols: O(n log n) for long pieces (a run of 10 000 '='
// is one piece). Same result as bpe_small: lowest rank first, leftmost on ties.
void Vocab::Impl::bpe_large(const uint8_t* p, size_t n, std::vector<int32_t>& out) const {
    struct Symbol {
        int32_t id;
        int32_t prev, next;  // -1 at the ends
        bool alive;
    };
    struct Candidate {
        int32_t rank, left, left_id, right_id, merged;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
    };
    std::vector<Symbol> syms(n);
    for (size_t i = 0; i < n; ++i) {
        syms[i] = Symbol{byte_token[p[i]], static_cast<int32_t>(i) - 1,
                         i + 1 < n ? static_cast<int32_t>(i + 1) : -1, true};
    }
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    auto push_pair = [&](int32_t left) {
        if (left < 0) return;
        const int32_t right = syms[left].next;
        if (right < 0 || syms[left].id < 0 || syms[right].id < 0) return;
        if (const MergeTable::Entry* e = merges.find(syms[left].id, syms[right].id)) {
            queue.push(Candidate{e->rank, left, syms[left].id, syms[right].id, e->merged});
        }
    };
    for (size_t i = 0; i + 1 < n; ++i) push_pair(static_cast<int32_t>(i));
    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& left = syms[c.left];
        // Skip candidates made stale by earlier merges: token texts only grow, so equal ids mean the same
        // pair.
        if (!left.alive || left.id != c.left_id || left.next < 0 || syms[left.next].id != c.right_id)
            continue;
        Symbol& right = syms[left.next];
        left.id = c.merged;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0) syms[right.next].prev = c.left;
        push_pair(left.prev);
        push_pair(c.left);
    }
    for (int32_t i = 0; i >= 0; i = syms[i].next) {
        if (syms[i].id >= 0) out.push_back(syms[i].id);
    }
}

// Tokenizes text that contains no special tokens: decode, pre-tokenize, BPE each piece.
void Vocab::Impl::tokenize_fragment(std::string_view text, std::vector<int32_t>& out) const {
    CptText ct;
    ct.cpts = utf8_to_cpts(text);
    const size_t n = ct.cpts.size();
    ct.classes.resize(n);
    for (size_t i = 0; i < n; ++i) ct.classes[i] = cpt_class(ct.cpts[i]);

    // Byte offset of every code point in the bytes BPE sees. Invalid UTF-8 was replaced by U+FFFD, whose
    // encoding then stands in for the bad bytes (as in llama.cpp), so the bytes are rebuilt in that case.
    std::vector<size_t> offsets(n + 1);
    std::string rebuilt;
    const uint8_t* bytes_begin = reinterpret_cast<const uint8_t*>(text.data());
    size_t off = 0;
    for (size_t i = 0; i < n; ++i) {
        offsets[i] = off;
        const uint32_t c = ct.cpts[i];
        off += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    offsets[n] = off;
    if (off != text.size() || std::find(ct.cpts.begin(), ct.cpts.end(), k_replacement_cpt) != ct.cpts.end()) {
        rebuilt.reserve(off);
        for (const uint32_t c : ct.cpts) utf8_append(rebuilt, c);
        bytes_begin = reinterpret_cast<const uint8_t*>(rebuilt.data());
    }

    std::vector<size_t> ends, scratch;
    pretokenize(pre_type, ct, ends, scratch);
    size_t begin = 0;
    for (const size_t end : ends) {
        bpe_piece(bytes_begin + offsets[begin], offsets[end] - offsets[begin], out);
        begin = end;
    }
}

// The bytes each token's byte-level text spells (piece_keys, "" when a character is not byte-level), and what
// each token stands for (bytes): control, user-defined and unknown tokens are their text; all others are
// byte-level text mapped back to bytes, and "<0xXX>" byte tokens their byte.
void Vocab::Impl::init_bytes() {
    const size_t n = texts.size();
    piece_keys.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string& text = texts[i];
        std::string& key = piece_keys[i];
        const auto* p = reinterpret_cast<const uint8_t*>(text.data());
        for (size_t at = 0; at < text.size();) {
            uint32_t cpt = 0;
            const int len = utf8_decode_one(p + at, text.size() - at, cpt);
            const int32_t byte = len > 0 ? byte_of(cpt) : -1;
            if (byte < 0) {
                key.clear();
                break;
            }
            key.push_back(static_cast<char>(byte));
            at += static_cast<size_t>(len);
        }
    }
    if (ignore_merges) piece_index.build(&piece_keys);

    bytes.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string& text = texts[i];
        const TokenType type = types[i];
        std::string& b = bytes[i];
        unsigned hex = 0;
        if (type == TokenType::control || type == TokenType::user_defined || type == TokenType::unknown) {
            b = text;
        } else if (type == TokenType::byte && text.size() == 6 && text.compare(0, 3, "<0x") == 0 &&
                   text[5] == '>' && std::sscanf(text.c_str() + 3, "%2x", &hex) == 1) {
            b.assign(1, static_cast<char>(hex));
        } else if (!piece_keys[i].empty()) {
            b = piece_keys[i];
        } else {
            for (const uint32_t c : utf8_to_cpts(text)) {
                const int32_t byte = byte_of(c);
                if (byte >= 0) {
                    b.push_back(static_cast<char>(byte));
                } else {
                    utf8_append(b, c);  // not byte-level text: keep the character itself
                }
            }
        }
    }
}

// Pre-tokenizer: the named one; llama.cpp's 'default' when the key is missing, except for the LLaMA-3
// vocabulary itself, whose models (BitNet b1.58 2B4T among them) were trained with the LLaMA-3 splitter even
// when their converter forgot to write the key.
void Vocab::Impl::init_pre_type(const std::string& name) {
    if (name.empty()) {
        const bool llama3_vocab = texts.size() == 128256 && texts[128000] == "<|begin_of_text|>";
        pre_type = llama3_vocab ? PreType::llama3 : PreType::default_;
    } else if (!pre_type_from_name(name, pre_type)) {
        throw Error(
            ErrorCode::unsupported,
            "unsupported tokenizer: pre-tokenizer '" + name +
                "' (tokenizer.ggml.pre) is not implemented; supported: llama-bpe (llama3), default, gpt2, "
                "starcoder and the names llama.cpp treats like them");
    }
    ignore_merges = pre_type_ignores_merges(pre_type);
}

// Special tokens in the text. llama.cpp takes the special tokens longest first and, for each, splits every
// remaining fragment at its non-overlapping occurrences from the left; collecting all occurrences in one pass
// and accepting them in that order (length, then id, then position) gives the same result. Control and
// unknown tokens are only matched with parse_special; user-defined ones always are. Returns them by position.
std::vector<Vocab::Impl::Occurrence> Vocab::Impl::find_specials(std::string_view text,
                                                                bool parse_special) const {
    std::vector<Occurrence> found;
    if (!has_special || !(parse_special || has_user_defined)) return found;
    const auto* p = reinterpret_cast<const uint8_t*>(text.data());
    for (size_t i = 0; i < text.size(); ++i) {
        const bool two = i + 1 < text.size() && special_prefix[(p[i] << 8) | p[i + 1]];
        if (!two && !special_single[p[i]]) continue;
        for (const size_t len : special_lengths) {
            if (len > text.size() - i) continue;
            const int32_t id = find_text(text.substr(i, len));
            if (id >= 0 && matches_special(id, parse_special)) found.push_back(Occurrence{i, len, id});
        }
    }
    if (found.empty()) return found;
    std::sort(found.begin(), found.end(), [](const Occurrence& a, const Occurrence& b) {
        if (a.len != b.len) return a.len > b.len;
        if (a.id != b.id) return a.id < b.id;
        return a.pos < b.pos;
    });
    std::vector<bool> claimed(text.size(), false);
    std::vector<Occurrence> accepted;
    for (const Occurrence& o : found) {
        const auto first = claimed.begin() + static_cast<std::ptrdiff_t>(o.pos);
        const auto last = first + static_cast<std::ptrdiff_t>(o.len);
        if (std::find(first, last, true) != last) continue;
        std::fill(first, last, true);
        accepted.push_back(o);
    }
    std::sort(accepted.begin(), accepted.end(),
              [](const Occurrence& a, const Occurrence& b) { return a.pos < b.pos; });
    return accepted;
}

Vocab::Vocab(VocabSource source) {
    auto impl = std::make_shared<Impl>();
    if (source.model != "gpt2") {
        throw Error(
            ErrorCode::unsupported,
            "unsupported tokenizer: tokenizer.ggml.model is '" + source.model +
                "', but only byte-level BPE ('gpt2', as in LLaMA-3 and BitNet b1.58 2B4T) is supported");
    }
    impl->init_tables(source);
    impl->init_pre_type(source.pre);
    impl->init_merges(source.merges);
    impl->init_special(source);
    impl->init_specials_to_match();
    impl->init_bytes();
    impl_ = std::move(impl);
}

int32_t Vocab::n_tokens() const {
    return static_cast<int32_t>(impl_->texts.size());
}

const std::string& Vocab::pre() const {
    static const std::string names[] = {pre_type_name(PreType::llama3), pre_type_name(PreType::default_),
                                        pre_type_name(PreType::gpt2), pre_type_name(PreType::starcoder)};
    return names[static_cast<int>(impl_->pre_type)];
}

const SpecialTokens& Vocab::special() const {
    return impl_->special;
}

bool Vocab::add_bos() const {
    return impl_->add_bos;
}

int32_t Vocab::n_merges_skipped() const {
    return impl_->n_merges_skipped;
}

std::vector<int32_t> Vocab::tokenize(std::string_view text, bool add_bos, bool parse_special) const {
    const Impl& v = *impl_;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (add_bos && v.special.bos >= 0) out.push_back(v.special.bos);
    size_t begin = 0;
    for (const Impl::Occurrence& o : v.find_specials(text, parse_special)) {
        if (o.pos > begin) v.tokenize_fragment(text.substr(begin, o.pos - begin), out);
        out.push_back(o.id);
        begin = o.pos + o.len;
    }
    if (begin < text.size()) v.tokenize_fragment(text.substr(begin), out);
    return out;
}

const std::string& Vocab::token_bytes(int32_t id) const {
    if (id < 0 || id >= n_tokens()) {
        throw Error(ErrorCode::argument, "token id " + std::to_string(id) + " is outside the vocabulary (" +
                                             std::to_string(n_tokens()) + " tokens)");
    }
    return impl_->bytes[id];
}

bool Vocab::is_control(int32_t id) const {
    return id >= 0 && id < n_tokens() && impl_->types[id] == TokenType::control;
}

bool Vocab::is_eog(int32_t id) const {
    return id >= 0 && id < n_tokens() && impl_->eog[id];
}

// Concatenates the tokens' bytes. Unlike llama.cpp's detokenize, no "clean-up" of spaces before punctuation
// is applied: the result is exactly what streaming the tokens one by one produces, which code needs.
std::string Vocab::detokenize(const int32_t* ids, size_t n, bool render_special) const {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        const std::string& b = token_bytes(ids[i]);
        const TokenType type = impl_->types[ids[i]];
        if (!render_special && (type == TokenType::control || type == TokenType::unknown)) continue;
        out += b;
    }
    return out;
}

}  // namespace trit
