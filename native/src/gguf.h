// GGUF v2/v3 reader over a memory-mapped file (bitnet-format.md §1).
//
// The file is untrusted. open() checks every count, length, dimension and offset against the file size before
// it is used, with overflow-safe arithmetic, and throws trit::Error naming the field or tensor at fault.
// After open() succeeds every tensor's bytes [data, data + nbytes) lie inside the mapping, tensors do not
// overlap, and every key-value entry can be read without further bounds checks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trit {

// GGUF metadata value types.
enum class GgufType : uint32_t {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
};

// ggml tensor type ids the engine runs (ggml's enum ggml_type; I2_S is bitnet.cpp's id 36).
enum class TensorType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
    Q6_K = 14,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    I2_S = 36,
};

// "Q4_K" for 12, "I2_S" for 36, "type 99" for an id nobody knows.
std::string tensor_type_name(uint32_t type);
// Whether the engine can run tensors of this type id.
bool tensor_type_supported(uint32_t type);
// Elements per block and bytes per block of a supported type (I2_S: 128 elements, 32 bytes, plus a 32-byte
// tail per tensor).
int64_t tensor_type_block(TensorType type);
int64_t tensor_type_block_bytes(TensorType type);

struct GgufKv {
    std::string key;
    GgufType type = GgufType::u8;
    GgufType elem_type = GgufType::u8;  // arrays only
    uint64_t count = 1;                 // number of array elements (1 for a scalar)
    uint64_t offset = 0;                // file offset of the value (arrays: of the first element)
};

struct GgufTensor {
    std::string name;
    uint32_t n_dims = 0;
    int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the contiguous dimension; unused dimensions are 1
    TensorType type = TensorType::F32;
    uint64_t offset = 0;  // relative to the start of the data section
    int64_t nbytes = 0;
    const uint8_t* data = nullptr;  // inside the mapping
    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
  public:
    // Maps (or, with use_mmap = false, reads) the file and validates its structure. Throws Error(io) when the
    // file cannot be opened or read, Error(format) for anything malformed, Error(unsupported) for a tensor
    // type the engine does not run.
    static std::unique_ptr<GgufFile> open(const std::string& path, bool use_mmap);
    // The same checks on bytes already in memory (tests, fuzzing). `label` names the source in messages.
    static std::unique_ptr<GgufFile> from_bytes(std::vector<uint8_t> bytes, const std::string& label);

    ~GgufFile();
    GgufFile(const GgufFile&) = delete;
    GgufFile& operator=(const GgufFile&) = delete;

    uint32_t version() const { return version_; }
    int64_t file_bytes() const { return static_cast<int64_t>(size_); }
    uint64_t alignment() const { return alignment_; }
    const uint8_t* bytes() const { return base_; }

    const std::vector<GgufKv>& kvs() const { return kvs_; }
    const GgufKv* find(std::string_view key) const;
    const std::vector<GgufTensor>& tensors() const { return tensors_; }
    const GgufTensor* tensor(std::string_view name) const;

    // Typed getters. They return false when the key is absent and throw Error(format) naming the key when it
    // has an incompatible type or an out-of-range value. Integers convert between widths when the value fits.
    bool get_u32(std::string_view key, uint32_t* out) const;
    bool get_i64(std::string_view key, int64_t* out) const;
    bool get_f32(std::string_view key, float* out) const;
    bool get_bool(std::string_view key, bool* out) const;
    bool get_string(std::string_view key, std::string* out) const;
    bool get_string_array(std::string_view key, std::vector<std::string>* out) const;
    bool get_i32_array(std::string_view key, std::vector<int32_t>* out) const;
    // Scalar values of any type rendered as text (for metadata passed through to the server).
    std::string value_text(const GgufKv& kv) const;

    // Prefetches the tensor data into memory, calling on_progress(fraction) as it goes (model load progress).
    void prefetch(const std::function<void(float)>& on_progress) const;

  private:
    GgufFile() = default;
    void parse(const std::string& label);
    std::string read_string_at(uint64_t offset) const;

    const uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
    void* map_ = nullptr;         // platform mapping handle when mmap'd
    std::vector<uint8_t> owned_;  // the file's bytes when not mmap'd
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    std::vector<GgufKv> kvs_;
    std::vector<GgufTensor> tensors_;
    std::unordered_map<std::string, size_t> kv_index_, tensor_index_;
};

}  // namespace trit
