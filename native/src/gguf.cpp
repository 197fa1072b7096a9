#include "gguf.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "trit/engine.h"

#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace trit {

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE float and double required");

// ---------------------------------------------------------------------------------------------------------------
// Tensor types
// ---------------------------------------------------------------------------------------------------------------

std::string tensor_type_name(uint32_t type) {
    static const char* const names[] = {
        "F32",      "F16",      "Q4_0",    "Q4_1",  "Q4_2",   "Q4_3",  "Q5_0",  "Q5_1",
        "Q8_0",     "Q8_1",     "Q2_K",    "Q3_K",  "Q4_K",   "Q5_K",  "Q6_K",  "Q8_K",
        "IQ2_XXS",  "IQ2_XS",   "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS",
        "I8",       "I16",      "I32",     "I64",   "F64",    "IQ1_M", "BF16",  "Q4_0_4_4",
        "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",   "TQ2_0", "I2_S",   "I8_S",  "TL1",   "TL2",
    };
    if (type < sizeof(names) / sizeof(names[0])) return names[type];
    return "type " + std::to_string(type);
}

bool tensor_type_supported(uint32_t type) {
    switch (static_cast<TensorType>(type)) {
        case TensorType::F32:
        case TensorType::F16:
        case TensorType::Q8_0:
        case TensorType::Q6_K:
        case TensorType::BF16:
        case TensorType::TQ1_0:
        case TensorType::TQ2_0:
        case TensorType::I2_S:
            return true;
    }
    return false;
}

int64_t tensor_type_block(TensorType type) {
    switch (type) {
        case TensorType::F32:
        case TensorType::F16:
        case TensorType::BF16:
            return 1;
        case TensorType::Q8_0:
            return 32;
        case TensorType::Q6_K:
        case TensorType::TQ1_0:
        case TensorType::TQ2_0:
            return 256;
        case TensorType::I2_S:
            return 128;
    }
    return 1;
}

int64_t tensor_type_block_bytes(TensorType type) {
    switch (type) {
        case TensorType::F32:
            return 4;
        case TensorType::F16:
        case TensorType::BF16:
            return 2;
        case TensorType::Q8_0:
            return 34;
        case TensorType::Q6_K:
            return 210;
        case TensorType::TQ1_0:
            return 54;
        case TensorType::TQ2_0:
            return 66;
        case TensorType::I2_S:
            return 32;
    }
    return 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Bounds-checked reading
// ---------------------------------------------------------------------------------------------------------------

namespace {

constexpr uint64_t kMaxKeyBytes = 65536;
constexpr uint64_t kMaxTensorNameBytes = 256;
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxAlignment = uint64_t(1) << 30;

int64_t value_size(GgufType t) {
    switch (t) {
        case GgufType::u8:
        case GgufType::i8:
        case GgufType::boolean:
            return 1;
        case GgufType::u16:
        case GgufType::i16:
            return 2;
        case GgufType::u32:
        case GgufType::i32:
        case GgufType::f32:
            return 4;
        case GgufType::u64:
        case GgufType::i64:
        case GgufType::f64:
            return 8;
        case GgufType::string:
        case GgufType::array:
            return 0;  // variable
    }
    return -1;
}

const char* value_type_name(GgufType t) {
    switch (t) {
        case GgufType::u8:
            return "u8";
        case GgufType::i8:
            return "i8";
        case GgufType::u16:
            return "u16";
        case GgufType::i16:
            return "i16";
        case GgufType::u32:
            return "u32";
        case GgufType::i32:
            return "i32";
        case GgufType::f32:
            return "f32";
        case GgufType::boolean:
            return "bool";
        case GgufType::string:
            return "string";
        case GgufType::array:
            return "array";
        case GgufType::u64:
            return "u64";
        case GgufType::i64:
            return "i64";
        case GgufType::f64:
            return "f64";
    }
    return "?";
}

bool valid_value_type(uint32_t t) {
    return t <= static_cast<uint32_t>(GgufType::f64);
}

// A cursor over [base, base + size). Every read checks the remaining length first.
class Reader {
  public:
    Reader(const uint8_t* base, uint64_t size, const std::string& label)
        : base_(base), size_(size), label_(label) {}

    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return size_ - pos_; }

    [[noreturn]] void fail(const std::string& detail) const {
        throw Error(ErrorCode::format, "invalid GGUF file '" + label_ + "': " + detail);
    }

    void need(uint64_t n, const char* what) const {
        if (n > remaining()) {
            fail(std::string("file is truncated: ") + what + " at offset " + std::to_string(pos_) +
                 " needs " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) + " remain");
        }
    }

    template <typename T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, base_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    void skip(uint64_t n, const char* what) {
        need(n, what);
        pos_ += n;
    }

    // A GGUF string: u64 length + bytes. `max_len` bounds strings that must be short (keys, names).
    std::string string(const char* what, uint64_t max_len) {
        const uint64_t len = read<uint64_t>(what);
        if (len > max_len)
            fail(std::string(what) + " has an absurd length of " + std::to_string(len) + " bytes");
        need(len, what);
        std::string s(reinterpret_cast<const char*>(base_ + pos_), static_cast<size_t>(len));
        pos_ += len;
        return s;
    }

    // Skips a GGUF string, checking its length.
    void skip_string(const char* what) {
        const uint64_t len = read<uint64_t>(what);
        need(len, what);
        pos_ += len;
    }

  private:
    const uint8_t* base_;
    uint64_t size_;
    uint64_t pos_ = 0;
    const std::string& label_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Opening and mapping
// ---------------------------------------------------------------------------------------------------------------

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path, bool use_mmap) {
    std::unique_ptr<GgufFile> f(new GgufFile());
#if defined(_WIN32)
    const int wlen = MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, nullptr, 0);
    std::wstring wpath(wlen > 0 ? static_cast<size_t>(wlen) : 0, L'\0');
    if (wlen > 0) MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, &wpath[0], wlen);
    HANDLE file = CreateFileW(wpath.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) {
        throw Error(ErrorCode::io,
                    "cannot open model file '" + path + "' (error " + std::to_string(GetLastError()) + ")");
    }
    LARGE_INTEGER size;
    if (!GetFileSizeEx(file, &size)) {
        CloseHandle(file);
        throw Error(ErrorCode::io, "cannot read the size of '" + path + "'");
    }
    f->size_ = static_cast<uint64_t>(size.QuadPart);
    if (f->size_ == 0) {
        CloseHandle(file);
        throw Error(ErrorCode::format, "invalid GGUF file '" + path + "': the file is empty");
    }
    if (use_mmap) {
        HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
        CloseHandle(file);
        if (mapping == nullptr) throw Error(ErrorCode::io, "cannot map '" + path + "' into memory");
        void* view = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
        CloseHandle(mapping);
        if (view == nullptr) throw Error(ErrorCode::io, "cannot map '" + path + "' into memory");
        f->map_ = view;
        f->base_ = static_cast<const uint8_t*>(view);
    } else {
        try {
            f->owned_.resize(static_cast<size_t>(f->size_));
        } catch (const std::bad_alloc&) {
            CloseHandle(file);
            throw Error(ErrorCode::memory, "not enough memory to read '" + path + "'");
        }
        uint64_t done = 0;
        while (done < f->size_) {
            const DWORD chunk = static_cast<DWORD>(std::min<uint64_t>(f->size_ - done, 1u << 30));
            DWORD got = 0;
            if (!ReadFile(file, f->owned_.data() + done, chunk, &got, nullptr) || got == 0) {
                CloseHandle(file);
                throw Error(ErrorCode::io, "cannot read '" + path + "'");
            }
            done += got;
        }
        CloseHandle(file);
        f->base_ = f->owned_.data();
    }
#else
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw Error(ErrorCode::io, "cannot open model file '" + path + "': " + std::strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorCode::io, "'" + path + "' is not a regular file");
    }
    f->size_ = static_cast<uint64_t>(st.st_size);
    if (f->size_ == 0) {
        ::close(fd);
        throw Error(ErrorCode::format, "invalid GGUF file '" + path + "': the file is empty");
    }
    if (use_mmap) {
        void* addr = mmap(nullptr, static_cast<size_t>(f->size_), PROT_READ, MAP_PRIVATE, fd, 0);
        const int err = errno;
        ::close(fd);
        if (addr == MAP_FAILED) {
            throw Error(ErrorCode::io, "cannot map '" + path + "' into memory: " + std::strerror(err));
        }
        f->map_ = addr;
        f->base_ = static_cast<const uint8_t*>(addr);
    } else {
        try {
            f->owned_.resize(static_cast<size_t>(f->size_));
        } catch (const std::bad_alloc&) {
            ::close(fd);
            throw Error(ErrorCode::memory, "not enough memory to read '" + path + "'");
        }
        uint64_t done = 0;
        while (done < f->size_) {
            const ssize_t got = ::read(fd, f->owned_.data() + done, static_cast<size_t>(f->size_ - done));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                ::close(fd);
                throw Error(ErrorCode::io,
                            "cannot read '" + path + "': " +
                                (got == 0 ? std::string("unexpected end of file") : std::strerror(errno)));
            }
            done += static_cast<uint64_t>(got);
        }
        ::close(fd);
        f->base_ = f->owned_.data();
    }
#endif
    f->parse(path);
    return f;
}

std::unique_ptr<GgufFile> GgufFile::from_bytes(std::vector<uint8_t> bytes, const std::string& label) {
    std::unique_ptr<GgufFile> f(new GgufFile());
    f->owned_ = std::move(bytes);
    f->size_ = f->owned_.size();
    f->base_ = f->owned_.data();
    if (f->size_ == 0) throw Error(ErrorCode::format, "invalid GGUF file '" + label + "': the file is empty");
    f->parse(label);
    return f;
}

GgufFile::~GgufFile() {
    if (map_ == nullptr) return;
#if defined(_WIN32)
    UnmapViewOfFile(map_);
#else
    munmap(map_, static_cast<size_t>(size_));
#endif
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

void GgufFile::parse(const std::string& label) {
    Reader r(base_, size_, label);

    // Header.
    r.need(4, "magic");
    if (std::memcmp(base_, "GGUF", 4) != 0) r.fail("not a GGUF file (the first 4 bytes are not \"GGUF\")");
    r.skip(4, "magic");
    version_ = r.read<uint32_t>("version");
    if (version_ != 2 && version_ != 3) {
        r.fail("GGUF version " + std::to_string(version_) + " is not supported (expected 2 or 3)");
    }
    const uint64_t n_tensors = r.read<uint64_t>("tensor count");
    const uint64_t n_kv = r.read<uint64_t>("metadata count");
    // Each entry needs at least a few bytes, so a count larger than the file allows is rejected before any
    // allocation: a key-value needs ≥ 13 bytes (key length, one key byte, type, one value byte), a tensor
    // ≥ 32.
    if (n_kv > r.remaining() / 13) {
        r.fail("metadata count " + std::to_string(n_kv) + " is impossible for a file of " +
               std::to_string(size_) + " bytes");
    }
    if (n_tensors > r.remaining() / 32) {
        r.fail("tensor count " + std::to_string(n_tensors) + " is impossible for a file of " +
               std::to_string(size_) + " bytes");
    }

    // Key-value metadata: record type and offset of every value, walking (and so bounds-checking) every byte.
    // Reserved up to a bound: the counts are only known to fit the file size, and each entry costs more memory
    // than its minimum size in the file.
    kvs_.reserve(static_cast<size_t>(std::min<uint64_t>(n_kv, 4096)));
    for (uint64_t i = 0; i < n_kv; ++i) {
        GgufKv kv;
        kv.key = r.string("metadata key", kMaxKeyBytes);
        if (kv.key.empty()) r.fail("metadata entry " + std::to_string(i) + " has an empty key");
        const uint32_t type = r.read<uint32_t>("metadata value type");
        if (!valid_value_type(type)) {
            r.fail("key '" + kv.key + "' has unknown value type " + std::to_string(type));
        }
        kv.type = static_cast<GgufType>(type);
        if (kv.type == GgufType::array) {
            const uint32_t elem = r.read<uint32_t>("array element type");
            if (!valid_value_type(elem)) {
                r.fail("key '" + kv.key + "' is an array of unknown type " + std::to_string(elem));
            }
            kv.elem_type = static_cast<GgufType>(elem);
            if (kv.elem_type == GgufType::array)
                r.fail("key '" + kv.key + "' is a nested array (not supported)");
            kv.count = r.read<uint64_t>("array length");
            kv.offset = r.pos();
            if (kv.elem_type == GgufType::string) {
                if (kv.count > r.remaining() / 8) {
                    r.fail("key '" + kv.key + "' claims " + std::to_string(kv.count) +
                           " strings, more than the file holds");
                }
                for (uint64_t j = 0; j < kv.count; ++j) r.skip_string("string in an array");
            } else {
                const uint64_t es = static_cast<uint64_t>(value_size(kv.elem_type));
                if (kv.count > r.remaining() / es) {
                    r.fail("key '" + kv.key + "' claims " + std::to_string(kv.count) +
                           " elements, more than the file holds");
                }
                r.skip(kv.count * es, "array data");
            }
        } else if (kv.type == GgufType::string) {
            kv.offset = r.pos();
            r.skip_string("string value");
        } else {
            kv.offset = r.pos();
            r.skip(static_cast<uint64_t>(value_size(kv.type)), "metadata value");
        }
        if (!kv_index_.emplace(kv.key, kvs_.size()).second) r.fail("duplicate key '" + kv.key + "'");
        kvs_.push_back(std::move(kv));
    }

    // Alignment of the data section and of every tensor.
    if (const GgufKv* a = find("general.alignment")) {
        if (a->type != GgufType::u32) r.fail("key 'general.alignment' must be a u32");
        uint32_t align = 0;
        std::memcpy(&align, base_ + a->offset, sizeof(align));
        if (align == 0 || (align & (align - 1)) != 0 || align > kMaxAlignment) {
            r.fail("general.alignment = " + std::to_string(align) + " is not a power of two");
        }
        alignment_ = align;
    }

    // Tensor infos.
    tensors_.reserve(static_cast<size_t>(std::min<uint64_t>(n_tensors, 4096)));
    for (uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensor t;
        t.name = r.string("tensor name", kMaxTensorNameBytes);
        if (t.name.empty()) r.fail("tensor " + std::to_string(i) + " has an empty name");
        t.n_dims = r.read<uint32_t>("tensor dimension count");
        if (t.n_dims < 1 || t.n_dims > kMaxDims) {
            r.fail("tensor '" + t.name + "' has " + std::to_string(t.n_dims) +
                   " dimensions (expected 1 to 4)");
        }
        uint64_t n_elements = 1;
        for (uint32_t d = 0; d < t.n_dims; ++d) {
            const uint64_t ne = r.read<uint64_t>("tensor dimension");
            // No tensor can have more elements than 8 per file byte (the densest type has 4 per byte).
            if (ne == 0 || ne > size_ * 8 || n_elements > (size_ * 8) / ne) {
                r.fail("tensor '" + t.name + "' has an impossible shape (dimension " + std::to_string(d) +
                       " = " + std::to_string(ne) + ")");
            }
            t.ne[d] = static_cast<int64_t>(ne);
            n_elements *= ne;
        }
        const uint32_t type = r.read<uint32_t>("tensor type");
        if (!tensor_type_supported(type)) {
            throw Error(ErrorCode::unsupported, "tensor '" + t.name + "' in '" + label + "' has type " +
                                                    std::to_string(type) + " (" + tensor_type_name(type) +
                                                    "), which Trit does not run");
        }
        t.type = static_cast<TensorType>(type);
        t.offset = r.read<uint64_t>("tensor data offset");
        const int64_t block = tensor_type_block(t.type);
        if (t.ne[0] % block != 0) {
            r.fail("tensor '" + t.name + "' of type " + tensor_type_name(type) + " has a row length of " +
                   std::to_string(t.ne[0]) + ", not a multiple of its block size " + std::to_string(block));
        }
        // n_elements ≤ 8·size, so this product cannot overflow.
        uint64_t nbytes = n_elements / static_cast<uint64_t>(block) *
                          static_cast<uint64_t>(tensor_type_block_bytes(t.type));
        if (t.type == TensorType::I2_S) nbytes += 32;  // f32 scale + 28 unused bytes after the packed weights
        t.nbytes = static_cast<int64_t>(nbytes);
        if (!tensor_index_.emplace(t.name, tensors_.size()).second)
            r.fail("duplicate tensor '" + t.name + "'");
        tensors_.push_back(std::move(t));
    }

    // The data section starts at the next multiple of the alignment.
    const uint64_t pad = (alignment_ - r.pos() % alignment_) % alignment_;
    if (tensors_.empty()) return;
    if (pad > r.remaining()) r.fail("file is truncated before the tensor data");
    const uint64_t data_start = r.pos() + pad;
    const uint64_t data_size = size_ - data_start;
    for (GgufTensor& t : tensors_) {
        if (t.offset % alignment_ != 0) {
            r.fail("tensor '" + t.name + "' has a misaligned data offset " + std::to_string(t.offset));
        }
        const uint64_t nbytes = static_cast<uint64_t>(t.nbytes);
        if (t.offset > data_size || nbytes > data_size - t.offset) {
            r.fail("tensor '" + t.name + "' (" + std::to_string(nbytes) + " bytes at data offset " +
                   std::to_string(t.offset) + ") extends past the end of the file (truncated?)");
        }
        t.data = base_ + data_start + t.offset;
    }
    std::vector<const GgufTensor*> by_offset;
    by_offset.reserve(tensors_.size());
    for (const GgufTensor& t : tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        const GgufTensor* prev = by_offset[i - 1];
        if (by_offset[i]->offset < prev->offset + static_cast<uint64_t>(prev->nbytes)) {
            r.fail("tensors '" + prev->name + "' and '" + by_offset[i]->name + "' overlap");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Lookups and typed getters
// ---------------------------------------------------------------------------------------------------------------

const GgufKv* GgufFile::find(std::string_view key) const {
    const auto it = kv_index_.find(std::string(key));
    return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

const GgufTensor* GgufFile::tensor(std::string_view name) const {
    const auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

[[noreturn]] void type_error(const GgufKv& kv, const char* expected) {
    const std::string actual = kv.type == GgufType::array
                                   ? std::string("array of ") + value_type_name(kv.elem_type)
                                   : std::string(value_type_name(kv.type));
    throw Error(ErrorCode::format,
                "metadata key '" + kv.key + "' has type " + actual + ", expected " + expected);
}

// Reads a scalar integer of any width at p as a signed 128-bit-safe pair (value fits int64 or is a large
// u64).
bool read_integer(GgufType type, const uint8_t* p, int64_t* out, bool* too_large) {
    *too_large = false;
    switch (type) {
        case GgufType::u8: {
            uint8_t v;
            std::memcpy(&v, p, 1);
            *out = v;
            return true;
        }
        case GgufType::i8: {
            int8_t v;
            std::memcpy(&v, p, 1);
            *out = v;
            return true;
        }
        case GgufType::u16: {
            uint16_t v;
            std::memcpy(&v, p, 2);
            *out = v;
            return true;
        }
        case GgufType::i16: {
            int16_t v;
            std::memcpy(&v, p, 2);
            *out = v;
            return true;
        }
        case GgufType::u32: {
            uint32_t v;
            std::memcpy(&v, p, 4);
            *out = v;
            return true;
        }
        case GgufType::i32: {
            int32_t v;
            std::memcpy(&v, p, 4);
            *out = v;
            return true;
        }
        case GgufType::i64: {
            int64_t v;
            std::memcpy(&v, p, 8);
            *out = v;
            return true;
        }
        case GgufType::u64: {
            uint64_t v;
            std::memcpy(&v, p, 8);
            if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) *too_large = true;
            *out = static_cast<int64_t>(v & 0x7fffffffffffffffull);
            return true;
        }
        default:
            return false;
    }
}

}  // namespace

bool GgufFile::get_i64(std::string_view key, int64_t* out) const {
    const GgufKv* kv = find(key);
    if (kv == nullptr) return false;
    bool too_large = false;
    if (kv->type == GgufType::array || !read_integer(kv->type, base_ + kv->offset, out, &too_large)) {
        type_error(*kv, "an integer");
    }
    if (too_large) throw Error(ErrorCode::format, "metadata key '" + kv->key + "' has an out-of-range value");
    return true;
}

bool GgufFile::get_u32(std::string_view key, uint32_t* out) const {
    int64_t v = 0;
    if (!get_i64(key, &v)) return false;
    if (v < 0 || v > static_cast<int64_t>(std::numeric_limits<uint32_t>::max())) {
        throw Error(ErrorCode::format,
                    "metadata key '" + std::string(key) + "' has an out-of-range value " + std::to_string(v));
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

bool GgufFile::get_f32(std::string_view key, float* out) const {
    const GgufKv* kv = find(key);
    if (kv == nullptr) return false;
    if (kv->type == GgufType::f32) {
        std::memcpy(out, base_ + kv->offset, 4);
    } else if (kv->type == GgufType::f64) {
        double d;
        std::memcpy(&d, base_ + kv->offset, 8);
        *out = static_cast<float>(d);
    } else {
        type_error(*kv, "f32");
    }
    return true;
}

bool GgufFile::get_bool(std::string_view key, bool* out) const {
    const GgufKv* kv = find(key);
    if (kv == nullptr) return false;
    if (kv->type != GgufType::boolean) type_error(*kv, "bool");
    *out = base_[kv->offset] != 0;
    return true;
}

std::string GgufFile::read_string_at(uint64_t offset) const {
    // Validated by parse(): the length and the bytes lie inside the file.
    uint64_t len;
    std::memcpy(&len, base_ + offset, 8);
    return std::string(reinterpret_cast<const char*>(base_ + offset + 8), static_cast<size_t>(len));
}

bool GgufFile::get_string(std::string_view key, std::string* out) const {
    const GgufKv* kv = find(key);
    if (kv == nullptr) return false;
    if (kv->type != GgufType::string) type_error(*kv, "string");
    *out = read_string_at(kv->offset);
    return true;
}

bool GgufFile::get_string_array(std::string_view key, std::vector<std::string>* out) const {
    const GgufKv* kv = find(key);
    if (kv == nullptr) return false;
    if (kv->type != GgufType::array || kv->elem_type != GgufType::string) type_error(*kv, "array of string");
    out->clear();
    out->reserve(static_cast<size_t>(kv->count));
    uint64_t offset = kv->offset;
    for (uint64_t i = 0; i < kv->count; ++i) {
        uint64_t len;
        std::memcpy(&len, base_ + offset, 8);
        out->emplace_back(reinterpret_cast<const char*>(base_ + offset + 8), static_cast<size_t>(len));
        offset += 8 + len;
    }
    return true;
}

bool GgufFile::get_i32_array(std::string_view key, std::vector<int32_t>* out) const {
    const GgufKv* kv = find(key);
    if (kv == nullptr) return false;
    if (kv->type != GgufType::array) type_error(*kv, "array of i32");
    const int64_t es = value_size(kv->elem_type);
    out->clear();
    out->reserve(static_cast<size_t>(kv->count));
    for (uint64_t i = 0; i < kv->count; ++i) {
        int64_t v = 0;
        bool too_large = false;
        if (kv->elem_type == GgufType::string ||
            !read_integer(kv->elem_type, base_ + kv->offset + i * es, &v, &too_large)) {
            type_error(*kv, "array of i32");
        }
        if (too_large || v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
            throw Error(ErrorCode::format, "metadata key '" + kv->key + "' has an out-of-range element");
        }
        out->push_back(static_cast<int32_t>(v));
    }
    return true;
}

std::string GgufFile::value_text(const GgufKv& kv) const {
    const uint8_t* p = base_ + kv.offset;
    switch (kv.type) {
        case GgufType::string:
            return read_string_at(kv.offset);
        case GgufType::boolean:
            return *p ? "true" : "false";
        case GgufType::f32: {
            float v;
            std::memcpy(&v, p, 4);
            return std::to_string(v);
        }
        case GgufType::f64: {
            double v;
            std::memcpy(&v, p, 8);
            return std::to_string(v);
        }
        case GgufType::u64: {
            uint64_t v;
            std::memcpy(&v, p, 8);
            return std::to_string(v);
        }
        case GgufType::array:
            return "";
        default: {
            int64_t v = 0;
            bool too_large = false;
            read_integer(kv.type, p, &v, &too_large);
            return std::to_string(v);
        }
    }
}

void GgufFile::prefetch(const std::function<void(float)>& on_progress) const {
    // Touch one byte per page so the first forward pass does not stall on page faults. Reported as load
    // progress.
    constexpr uint64_t kPage = 4096;
    constexpr uint64_t kStep = uint64_t(64) << 20;
    volatile uint8_t sink = 0;
    for (uint64_t start = 0; start < size_; start += kStep) {
        const uint64_t end = std::min(size_, start + kStep);
        uint8_t acc = 0;
        for (uint64_t off = start; off < end; off += kPage) acc ^= base_[off];
        sink = sink ^ acc;
        if (on_progress) on_progress(static_cast<float>(end) / static_cast<float>(size_));
    }
    (void)sink;
}

}  // namespace trit
