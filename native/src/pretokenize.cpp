#include "pretokenize.h"

#include "unicode.h"

namespace trit {

namespace {

constexpr uint8_t k_space_letter_number = cpt_space | cpt_letter | cpt_number;

struct NamedType {
    const char* name;
    PreType type;
};

// tokenizer.ggml.pre values that llama.cpp maps to the same splitter (and the same ignore_merges setting).
constexpr NamedType k_pre_names[] = {
    {"llama-bpe", PreType::llama3},
    {"llama3", PreType::llama3},
    {"llama-v3", PreType::llama3},
    {"falcon3", PreType::llama3},
    {"falcon-h1", PreType::llama3},
    {"pixtral", PreType::llama3},
    {"default", PreType::default_},
    {"gpt2", PreType::gpt2},
    {"gpt-2", PreType::gpt2},
    {"phi-2", PreType::gpt2},
    {"mpt", PreType::gpt2},
    {"olmo", PreType::gpt2},
    {"jais", PreType::gpt2},
    {"exaone4", PreType::gpt2},
    {"trillion", PreType::gpt2},
    {"mellum", PreType::gpt2},
    {"starcoder", PreType::starcoder},
    {"refact", PreType::starcoder},
    {"command-r", PreType::starcoder},
    {"smollm", PreType::starcoder},
    {"codeshell", PreType::starcoder},
    {"exaone", PreType::starcoder},
    {"minerva-7b", PreType::starcoder},
    {"mellum2", PreType::starcoder},
};

uint32_t ascii_lower(uint32_t c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool is_cr_or_lf(uint32_t c) {
    return c == '\r' || c == '\n';
}

// Splits [begin, end) at the contractions matched by 's|'t|'re|'ve|'m|'ll|'d, ASCII case-insensitively when
// `fold` is set. Returns the match length (2 or 3) at `pos`, or 0.
size_t match_contraction(const CptText& t, size_t pos, size_t end, bool fold) {
    if (t.cpts[pos] != '\'' || pos + 1 >= end) return 0;
    const uint32_t c1 = fold ? ascii_lower(t.cpts[pos + 1]) : t.cpts[pos + 1];
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
    if (pos + 2 >= end) return 0;
    const uint32_t c2 = fold ? ascii_lower(t.cpts[pos + 2]) : t.cpts[pos + 2];
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
    return 0;
}

// Length of the whitespace run at `pos` and, through `last_newline_end`, the index just after its last \r or
// \n (0 when it has none).
size_t whitespace_run(const CptText& t, size_t pos, size_t end, size_t& last_newline_end) {
    size_t n = 0;
    last_newline_end = 0;
    while (pos + n < end && (t.classes[pos + n] & cpt_space)) {
        if (is_cr_or_lf(t.cpts[pos + n])) last_newline_end = pos + n + 1;
        ++n;
    }
    return n;
}

// LLaMA-3:
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ The case-insensitive group only needs ASCII folding: no
// other code point folds to s, t, r, e, v, m, l or d in the simple case mappings that llama.cpp and the
// Hugging Face tokenizers apply.
void split_llama3(const CptText& t, size_t begin, size_t end, std::vector<size_t>& ends) {
    auto classes_at = [&](size_t i) -> uint8_t { return i < end ? t.classes[i] : 0; };
    size_t pos = begin;
    while (pos < end) {
        const uint32_t c = t.cpts[pos];
        const uint8_t cls = t.classes[pos];

        if (const size_t n = match_contraction(t, pos, end, true)) {
            pos += n;
        } else if (!is_cr_or_lf(c) && !(cls & cpt_number) &&
                   ((cls & cpt_letter) || (classes_at(pos + 1) & cpt_letter))) {
            // [^\r\n\p{L}\p{N}]?\p{L}+ : one leading non-letter (or the first letter), then letters.
            ++pos;
            while (classes_at(pos) & cpt_letter) ++pos;
        } else if (cls & cpt_number) {
            // \p{N}{1,3}
            const size_t limit = pos + 3;
            while (pos < limit && (classes_at(pos) & cpt_number)) ++pos;
        } else if (const size_t p = pos + (c == ' ' ? 1 : 0);
                   p < end && !(t.classes[p] & k_space_letter_number)) {
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            pos = p;
            while (pos < end && !(t.classes[pos] & k_space_letter_number)) ++pos;
            while (pos < end && is_cr_or_lf(t.cpts[pos])) ++pos;
        } else {
            size_t last_newline_end = 0;
            const size_t n_space = whitespace_run(t, pos, end, last_newline_end);
            if (last_newline_end > 0) {
                pos = last_newline_end;  // \s*[\r\n]+
            } else if (n_space > 1 && pos + n_space < end) {
                pos += n_space - 1;  // \s+(?!\S): leave the last space to the word that follows
            } else if (n_space > 0) {
                pos += n_space;  // \s+
            } else {
                ++pos;  // unreachable with the classes above; keeps the loop total
            }
        }
        ends.push_back(pos);
    }
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const CptText& t, size_t begin, size_t end, std::vector<size_t>& ends) {
    auto classes_at = [&](size_t i) -> uint8_t { return i < end ? t.classes[i] : 0; };
    size_t pos = begin;
    while (pos < end) {
        const uint32_t c = t.cpts[pos];
        // The class of the first code point after an optional leading space.
        const size_t first = pos + (c == ' ' ? 1 : 0);
        const uint8_t cls = classes_at(first);

        if (const size_t n = match_contraction(t, pos, end, false)) {
            pos += n;
        } else if (cls & cpt_letter) {
            pos = first;
            while (classes_at(pos) & cpt_letter) ++pos;
        } else if (cls & cpt_number) {
            pos = first;
            while (classes_at(pos) & cpt_number) ++pos;
        } else if (first < end && !(cls & k_space_letter_number)) {
            pos = first;
            while (pos < end && !(t.classes[pos] & k_space_letter_number)) ++pos;
        } else {
            size_t last_newline_end = 0;
            const size_t n_space = whitespace_run(t, pos, end, last_newline_end);
            if (n_space > 1 && pos + n_space < end) {
                pos += n_space - 1;
            } else if (n_space > 0) {
                pos += n_space;
            } else {
                ++pos;
            }
        }
        ends.push_back(pos);
    }
}

// Splits [begin, end) into maximal runs of code points that do / do not satisfy `member`: the pieces a regex
// `[class]+` produces together with the unmatched text between its matches.
template <typename Member>
void split_runs(const CptText& t, size_t begin, size_t end, std::vector<size_t>& ends, Member member) {
    size_t pos = begin;
    while (pos < end) {
        const bool in = member(pos);
        ++pos;
        while (pos < end && member(pos) == in) ++pos;
        ends.push_back(pos);
    }
    (void)t;
}

// [\p{P}\$\+<=>\^~\|]+ : runs of punctuation and the ASCII symbols $ + < = > ^ ~ | (not the backtick).
bool is_default_punct(const CptText& t, size_t i) {
    if (t.classes[i] & cpt_punctuation) return true;
    switch (t.cpts[i]) {
        case '$':
        case '+':
        case '<':
        case '=':
        case '>':
        case '^':
        case '~':
        case '|':
            return true;
        default:
            return false;
    }
}

bool is_ascii_digit(uint32_t c) {
    return c >= '0' && c <= '9';
}

// [0-9][0-9][0-9] : leftmost non-overlapping triples of ASCII digits; the text between them stays in pieces.
void split_digit_triples(const CptText& t, size_t begin, size_t end, std::vector<size_t>& ends) {
    size_t gap_begin = begin;
    size_t pos = begin;
    while (pos + 3 <= end) {
        if (is_ascii_digit(t.cpts[pos]) && is_ascii_digit(t.cpts[pos + 1]) &&
            is_ascii_digit(t.cpts[pos + 2])) {
            if (pos > gap_begin) ends.push_back(pos);
            pos += 3;
            ends.push_back(pos);
            gap_begin = pos;
        } else {
            ++pos;
        }
    }
    if (end > gap_begin) ends.push_back(end);
}

// \p{N} : every number code point alone; the text between them stays in pieces.
void split_each_number(const CptText& t, size_t begin, size_t end, std::vector<size_t>& ends) {
    size_t pos = begin;
    while (pos < end) {
        if (t.classes[pos] & cpt_number) {
            ++pos;
        } else {
            while (pos < end && !(t.classes[pos] & cpt_number)) ++pos;
        }
        ends.push_back(pos);
    }
}

// Applies `split` inside each piece of `ends` (piece ends over [0, n)), replacing `ends` with the finer
// pieces.
template <typename Split>
void refine(std::vector<size_t>& ends, std::vector<size_t>& scratch, Split split) {
    scratch.clear();
    size_t begin = 0;
    for (const size_t end : ends) {
        split(begin, end, scratch);
        begin = end;
    }
    ends.swap(scratch);
}

}  // namespace

bool pre_type_from_name(std::string_view name, PreType& type) {
    for (const NamedType& n : k_pre_names) {
        if (name == n.name) {
            type = n.type;
            return true;
        }
    }
    return false;
}

const char* pre_type_name(PreType type) {
    switch (type) {
        case PreType::llama3:
            return "llama-bpe";
        case PreType::default_:
            return "default";
        case PreType::gpt2:
            return "gpt2";
        case PreType::starcoder:
            return "starcoder";
    }
    return "?";
}

bool pre_type_ignores_merges(PreType type) {
    return type == PreType::llama3;
}

void pretokenize(PreType type, const CptText& text, std::vector<size_t>& ends, std::vector<size_t>& scratch) {
    const size_t n = text.cpts.size();
    ends.clear();
    if (n == 0) return;
    switch (type) {
        case PreType::llama3:
            split_llama3(text, 0, n, ends);
            break;
        case PreType::gpt2:
            split_gpt2(text, 0, n, ends);
            break;
        case PreType::starcoder:
            split_each_number(text, 0, n, ends);
            refine(ends, scratch,
                   [&](size_t b, size_t e, std::vector<size_t>& out) { split_gpt2(text, b, e, out); });
            break;
        case PreType::default_:
            // llama.cpp's default sequence: [\p{P}\$\+<=>\^~\|]+ , then GPT-2's regex, then \p{N}+ , then
            // [0-9][0-9][0-9], each applied inside the pieces of the previous step.
            split_runs(text, 0, n, ends, [&](size_t i) { return is_default_punct(text, i); });
            refine(ends, scratch,
                   [&](size_t b, size_t e, std::vector<size_t>& out) { split_gpt2(text, b, e, out); });
            refine(ends, scratch, [&](size_t b, size_t e, std::vector<size_t>& out) {
                split_runs(text, b, e, out, [&](size_t i) { return (text.classes[i] & cpt_number) != 0; });
            });
            refine(ends, scratch, [&](size_t b, size_t e, std::vector<size_t>& out) {
                split_digit_triples(text, b, e, out);
            });
            break;
    }
}

}  // namespace trit
