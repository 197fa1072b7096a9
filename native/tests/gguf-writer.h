// A GGUF v3 writer for tests: builds valid files (and, through raw entries and overrides, invalid ones) and
// records where every section starts, so tests can truncate or corrupt a file at exact boundaries.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gguf.h"

namespace testgguf {

struct Bytes {
    std::vector<uint8_t> v;
    template <typename T>
    void put(T x) {
        const size_t n = v.size();
        v.resize(n + sizeof(T));
        std::memcpy(v.data() + n, &x, sizeof(T));
    }
    void str(const std::string& s) {
        put<uint64_t>(s.size());
        v.insert(v.end(), s.begin(), s.end());
    }
    void raw(const void* p, size_t n) {
        const uint8_t* b = static_cast<const uint8_t*>(p);
        v.insert(v.end(), b, b + n);
    }
};

struct Kv {
    std::string key;
    uint32_t type;
    std::vector<uint8_t> value;  // serialized value (for arrays: element type, count, elements)
};

struct Tensor {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    std::vector<uint8_t> data;
    int64_t offset_override = -1;  // write this data offset instead of the computed one
};

struct Layout {
    size_t header_end = 0;
    std::vector<size_t> kv_starts;
    size_t kv_end = 0;
    std::vector<size_t> tensor_info_starts;
    size_t tensor_info_end = 0;
    size_t data_start = 0;
    std::vector<size_t> tensor_data_starts;
    size_t end = 0;
};

class Writer {
  public:
    std::vector<Kv> kvs;
    std::vector<Tensor> tensors;
    uint32_t version = 3;
    uint32_t magic = 0x46554747;  // "GGUF"
    int64_t n_kv_override = -1, n_tensors_override = -1;
    uint64_t alignment = 32;

    void u32(const std::string& k, uint32_t v) { scalar(k, trit::GgufType::u32, v); }
    void i32(const std::string& k, int32_t v) { scalar(k, trit::GgufType::i32, v); }
    void f32(const std::string& k, float v) { scalar(k, trit::GgufType::f32, v); }
    void boolean(const std::string& k, bool v) {
        scalar(k, trit::GgufType::boolean, static_cast<uint8_t>(v));
    }
    void str(const std::string& k, const std::string& v) {
        Bytes b;
        b.str(v);
        kvs.push_back({k, static_cast<uint32_t>(trit::GgufType::string), b.v});
    }
    void str_array(const std::string& k, const std::vector<std::string>& v) {
        Bytes b;
        b.put<uint32_t>(static_cast<uint32_t>(trit::GgufType::string));
        b.put<uint64_t>(v.size());
        for (const std::string& s : v) b.str(s);
        kvs.push_back({k, static_cast<uint32_t>(trit::GgufType::array), b.v});
    }
    void i32_array(const std::string& k, const std::vector<int32_t>& v) {
        Bytes b;
        b.put<uint32_t>(static_cast<uint32_t>(trit::GgufType::i32));
        b.put<uint64_t>(v.size());
        for (int32_t x : v) b.put(x);
        kvs.push_back({k, static_cast<uint32_t>(trit::GgufType::array), b.v});
    }
    template <typename T>
    void scalar(const std::string& k, trit::GgufType t, T v) {
        Bytes b;
        b.put(v);
        kvs.push_back({k, static_cast<uint32_t>(t), b.v});
    }
    Kv* find(const std::string& k) {
        for (Kv& kv : kvs) {
            if (kv.key == k) return &kv;
        }
        return nullptr;
    }
    Tensor* tensor(const std::string& name) {
        for (Tensor& t : tensors) {
            if (t.name == name) return &t;
        }
        return nullptr;
    }
    void remove_tensor(const std::string& name) {
        for (size_t i = 0; i < tensors.size(); ++i) {
            if (tensors[i].name == name) {
                tensors.erase(tensors.begin() + static_cast<ptrdiff_t>(i));
                return;
            }
        }
    }

    std::vector<uint8_t> build(Layout* layout = nullptr) const {
        Layout l;
        Bytes b;
        b.put<uint32_t>(magic);
        b.put<uint32_t>(version);
        b.put<uint64_t>(n_tensors_override >= 0 ? static_cast<uint64_t>(n_tensors_override) : tensors.size());
        b.put<uint64_t>(n_kv_override >= 0 ? static_cast<uint64_t>(n_kv_override) : kvs.size());
        l.header_end = b.v.size();
        for (const Kv& kv : kvs) {
            l.kv_starts.push_back(b.v.size());
            b.str(kv.key);
            b.put<uint32_t>(kv.type);
            b.raw(kv.value.data(), kv.value.size());
        }
        l.kv_end = b.v.size();
        uint64_t offset = 0;
        std::vector<uint64_t> offsets;
        for (const Tensor& t : tensors) {
            l.tensor_info_starts.push_back(b.v.size());
            b.str(t.name);
            b.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
            for (uint64_t ne : t.ne) b.put<uint64_t>(ne);
            b.put<uint32_t>(t.type);
            const uint64_t off = t.offset_override >= 0 ? static_cast<uint64_t>(t.offset_override) : offset;
            b.put<uint64_t>(off);
            offsets.push_back(offset);
            offset += (t.data.size() + alignment - 1) / alignment * alignment;
        }
        l.tensor_info_end = b.v.size();
        while (b.v.size() % alignment != 0) b.v.push_back(0);
        l.data_start = b.v.size();
        for (size_t i = 0; i < tensors.size(); ++i) {
            l.tensor_data_starts.push_back(b.v.size());
            b.raw(tensors[i].data.data(), tensors[i].data.size());
            while ((b.v.size() - l.data_start) % alignment != 0) b.v.push_back(0);
        }
        l.end = b.v.size();
        if (layout != nullptr) *layout = l;
        return b.v;
    }
};

// Size in bytes of the value of `kv` in a parsed file (scalars, strings, arrays), for copying files entry by
// entry.
inline size_t kv_value_bytes(const trit::GgufFile& f, const trit::GgufKv& kv) {
    const uint8_t* p = f.bytes() + kv.offset;
    auto scalar_size = [](trit::GgufType t) -> size_t {
        switch (t) {
            case trit::GgufType::u8:
            case trit::GgufType::i8:
            case trit::GgufType::boolean:
                return 1;
            case trit::GgufType::u16:
            case trit::GgufType::i16:
                return 2;
            case trit::GgufType::u32:
            case trit::GgufType::i32:
            case trit::GgufType::f32:
                return 4;
            default:
                return 8;
        }
    };
    if (kv.type == trit::GgufType::string) {
        uint64_t len;
        std::memcpy(&len, p, 8);
        return 8 + static_cast<size_t>(len);
    }
    if (kv.type != trit::GgufType::array) return scalar_size(kv.type);
    size_t n = 0;
    if (kv.elem_type == trit::GgufType::string) {
        for (uint64_t i = 0; i < kv.count; ++i) {
            uint64_t len;
            std::memcpy(&len, p + n, 8);
            n += 8 + static_cast<size_t>(len);
        }
    } else {
        n = static_cast<size_t>(kv.count) * scalar_size(kv.elem_type);
    }
    return n;
}

// A writer holding every entry and tensor of a parsed file (so a test can modify and rebuild it).
inline Writer copy_of(const trit::GgufFile& f) {
    Writer w;
    w.version = f.version();
    for (const trit::GgufKv& kv : f.kvs()) {
        Kv out;
        out.key = kv.key;
        out.type = static_cast<uint32_t>(kv.type);
        const uint8_t* p = f.bytes() + kv.offset;
        if (kv.type == trit::GgufType::array) {
            Bytes b;
            b.put<uint32_t>(static_cast<uint32_t>(kv.elem_type));
            b.put<uint64_t>(kv.count);
            b.raw(p, kv_value_bytes(f, kv));
            out.value = b.v;
        } else {
            out.value.assign(p, p + kv_value_bytes(f, kv));
        }
        w.kvs.push_back(out);
    }
    for (const trit::GgufTensor& t : f.tensors()) {
        Tensor out;
        out.name = t.name;
        for (uint32_t d = 0; d < t.n_dims; ++d) out.ne.push_back(static_cast<uint64_t>(t.ne[d]));
        out.type = static_cast<uint32_t>(t.type);
        out.data.assign(t.data, t.data + t.nbytes);
        w.tensors.push_back(out);
    }
    return w;
}

}  // namespace testgguf
