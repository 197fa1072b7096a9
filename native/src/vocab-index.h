// Hash tables of the tokenizer's hot path (internal to vocab.cpp): BPE merges by token pair, and an index of
// strings owned elsewhere. Open addressing with linear probing and power-of-two capacities: lookups touch one
// or two cache lines, which matters when tokenizing a prompt on every keystroke.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace trit {

// Open-addressing hash table (pair of token ids) -> (merge rank, merged token id).
class MergeTable {
  public:
    struct Entry {
        uint64_t key = k_empty;
        int32_t rank = 0;
        int32_t merged = 0;
    };

    void reserve(size_t n) {
        size_t cap = 16;
        while (cap < n * 2) cap <<= 1;
        slots_.assign(cap, Entry{});
        mask_ = cap - 1;
    }

    // Inserts unless the pair is already present (the first, lowest-ranked merge wins). Returns false if
    // present.
    bool insert(int32_t left, int32_t right, int32_t rank, int32_t merged) {
        const uint64_t key = pack(left, right);
        for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
            Entry& e = slots_[i];
            if (e.key == key) return false;
            if (e.key == k_empty) {
                e = Entry{key, rank, merged};
                return true;
            }
        }
    }

    const Entry* find(int32_t left, int32_t right) const {
        const uint64_t key = pack(left, right);
        for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
            const Entry& e = slots_[i];
            if (e.key == key) return &e;
            if (e.key == k_empty) return nullptr;
        }
    }

  private:
    static constexpr uint64_t k_empty = ~uint64_t{0};
    static uint64_t pack(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    static size_t hash(uint64_t x) {  // splitmix64 finalizer
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBull;
        x ^= x >> 31;
        return static_cast<size_t>(x);
    }

    std::vector<Entry> slots_;
    size_t mask_ = 0;
};

// Open-addressing hash index of strings owned elsewhere (keys[id]), for the lookups on the hot path: token
// text
// -> id, and piece bytes -> id. Empty keys are not indexed.
class StringIndex {
  public:
    // Indexes keys[0..n). Returns -1, or the first id whose key repeats an earlier one (which stays indexed).
    int32_t build(const std::vector<std::string>* keys) {
        keys_ = keys;
        size_t cap = 16;
        while (cap < keys->size() * 2) cap <<= 1;
        slots_.assign(cap, Slot{0, -1});
        mask_ = cap - 1;
        int32_t duplicate = -1;
        for (size_t id = 0; id < keys->size(); ++id) {
            const std::string& k = (*keys)[id];
            if (k.empty()) continue;
            const uint64_t h = hash(k.data(), k.size());
            for (size_t i = h & mask_;; i = (i + 1) & mask_) {
                Slot& s = slots_[i];
                if (s.id < 0) {
                    s = Slot{static_cast<uint32_t>(h >> 32), static_cast<int32_t>(id)};
                    break;
                }
                if (s.tag == static_cast<uint32_t>(h >> 32) && (*keys)[s.id] == k) {
                    if (duplicate < 0) duplicate = static_cast<int32_t>(id);
                    break;
                }
            }
        }
        return duplicate;
    }

    int32_t find(std::string_view key) const {
        if (slots_.empty()) return -1;
        const uint64_t h = hash(key.data(), key.size());
        const uint32_t tag = static_cast<uint32_t>(h >> 32);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.id < 0) return -1;
            if (s.tag != tag) continue;
            const std::string& k = (*keys_)[s.id];
            if (k.size() == key.size() && std::memcmp(k.data(), key.data(), key.size()) == 0) return s.id;
        }
    }

  private:
    struct Slot {
        uint32_t tag;  // high half of the hash, compared before the bytes
        int32_t id;    // -1 = empty
    };
    static uint64_t hash(const char* p, size_t n) {  // FNV-1a, then a multiply to spread the low bits
        uint64_t h = 0xCBF29CE484222325ull;
        for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<uint8_t>(p[i])) * 0x100000001B3ull;
        return h * 0x9E3779B97F4A7C15ull;
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    const std::vector<std::string>* keys_ = nullptr;
};

}  // namespace trit
