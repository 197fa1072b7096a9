#include "unicode.h"

#include <array>
#include <unordered_map>

namespace trit {

// From unicode-data.cpp (generated).
extern const char k_unicode_version[];
extern const uint32_t k_unicode_runs[];
extern const size_t k_unicode_n_runs;

namespace {

constexpr uint32_t k_max_cpt = 0x110000;
constexpr uint32_t k_block_bits = 8;
constexpr uint32_t k_block_size = 1u << k_block_bits;
constexpr uint32_t k_n_blocks = k_max_cpt >> k_block_bits;

// Two-level lookup table built once from the generated runs: block_index[cpt >> 8] selects a 256-entry block
// of class bytes. Identical blocks (most of the code space) are stored once.
struct ClassTable {
    std::array<uint16_t, k_n_blocks> block_index{};
    std::vector<uint8_t> blocks;

    ClassTable() {
        std::vector<uint8_t> flat(k_max_cpt, 0);
        for (size_t i = 0; i < k_unicode_n_runs; ++i) {
            const uint32_t start = k_unicode_runs[i] >> 4;
            const uint32_t end = i + 1 < k_unicode_n_runs ? k_unicode_runs[i + 1] >> 4 : k_max_cpt;
            const uint8_t bits = static_cast<uint8_t>(k_unicode_runs[i] & 0xF);
            for (uint32_t c = start; c < end && c < k_max_cpt; ++c) flat[c] = bits;
        }
        std::unordered_map<std::string, uint16_t> seen;
        for (uint32_t b = 0; b < k_n_blocks; ++b) {
            const char* block =
                reinterpret_cast<const char*>(flat.data()) + static_cast<size_t>(b) * k_block_size;
            const auto ins = seen.emplace(std::string(block, k_block_size),
                                          static_cast<uint16_t>(blocks.size() / k_block_size));
            if (ins.second) blocks.insert(blocks.end(), block, block + k_block_size);
            block_index[b] = ins.first->second;
        }
    }
};

const ClassTable& class_table() {
    static const ClassTable table;
    return table;
}

}  // namespace

uint8_t cpt_class(uint32_t cpt) {
    if (cpt >= k_max_cpt) return 0;
    const ClassTable& t = class_table();
    return t.blocks[static_cast<size_t>(t.block_index[cpt >> k_block_bits]) * k_block_size +
                    (cpt & (k_block_size - 1))];
}

const char* unicode_version() {
    return k_unicode_version;
}

int utf8_decode_one(const uint8_t* p, size_t n, uint32_t& cpt) {
    const uint8_t b0 = p[0];
    if (b0 < 0x80) {
        cpt = b0;
        return 1;
    }
    // Length of the sequence and the allowed range of its second byte (WHATWG encoding standard, UTF-8
    // decoder).
    int len;
    uint8_t lo = 0x80, hi = 0xBF;
    uint32_t value;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        value = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        value = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
        if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        value = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;  // no overlong forms
        if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        return -1;  // a continuation byte, C0, C1 or F5..FF
    }
    for (int i = 1; i < len; ++i) {
        if (static_cast<size_t>(i) >= n) return 0;  // valid so far, truncated by the end of the input
        const uint8_t b = p[i];
        if (b < lo || b > hi) return -i;  // the bytes before this one form the maximal subpart
        value = (value << 6) | (b & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    cpt = value;
    return len;
}

void utf8_append(std::string& out, uint32_t cpt) {
    if (cpt < 0x80) {
        out.push_back(static_cast<char>(cpt));
    } else if (cpt < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cpt >> 6)));
        out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    } else if (cpt < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cpt >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cpt >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    }
}

std::vector<uint32_t> utf8_to_cpts(std::string_view text) {
    std::vector<uint32_t> cpts;
    cpts.reserve(text.size());
    const auto* p = reinterpret_cast<const uint8_t*>(text.data());
    size_t i = 0;
    while (i < text.size()) {
        uint32_t cpt = 0;
        const int r = utf8_decode_one(p + i, text.size() - i, cpt);
        if (r > 0) {
            cpts.push_back(cpt);
            i += static_cast<size_t>(r);
        } else {
            // r == 0: a truncated sequence at the very end is one maximal subpart.
            cpts.push_back(k_replacement_cpt);
            i = r == 0 ? text.size() : i + static_cast<size_t>(-r);
        }
    }
    return cpts;
}

}  // namespace trit
