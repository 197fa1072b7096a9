// UTF-8 decoding and the code point classes used by the pre-tokenizers.
//
// The class tables are generated (unicode-data.cpp, by scripts/gen-unicode.mjs); this file only reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trit {

// Class bits of a code point (a code point may have none, e.g. a symbol like '+' or an unassigned one).
enum CptClass : uint8_t {
    cpt_letter = 1,       // \p{L}
    cpt_number = 2,       // \p{N}
    cpt_punctuation = 4,  // \p{P}
    cpt_space = 8,        // \p{White_Space}
};

constexpr uint32_t k_replacement_cpt = 0xFFFD;

// The classes of `cpt`; 0 for anything above U+10FFFF.
uint8_t cpt_class(uint32_t cpt);

// The Unicode version the class tables were generated from, e.g. "17.0".
const char* unicode_version();

// Decodes one UTF-8 sequence at the start of [p, p + n), n >= 1, following the WHATWG/Unicode "maximal
// subpart" rule. Returns the number of bytes of a complete, valid sequence (and sets `cpt`), or 0 when the
// bytes are a valid but incomplete prefix that more input could complete (only possible when the prefix
// reaches the end), or -k when the first k bytes (k >= 1) are an invalid sequence that must be replaced by
// one U+FFFD.
int utf8_decode_one(const uint8_t* p, size_t n, uint32_t& cpt);

// Appends the UTF-8 encoding of `cpt` (which must be a Unicode scalar value).
void utf8_append(std::string& out, uint32_t cpt);

// Decodes `text`; invalid or truncated sequences become U+FFFD (one per maximal subpart, as TextDecoder
// does).
std::vector<uint32_t> utf8_to_cpts(std::string_view text);

}  // namespace trit
