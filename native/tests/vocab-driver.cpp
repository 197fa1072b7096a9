// Test driver for the tokenizer: builds a Vocab from the tokenizer.* keys of a GGUF file and serves requests
// from the TypeScript tests (test/native/tokenizer*.test.ts) over stdin/stdout, or measures its speed.
//
//   vocab-driver MODEL.gguf info             one line of JSON: vocabulary size, pre-tokenizer, special tokens
//   vocab-driver MODEL.gguf serve            framed requests on stdin, framed replies on stdout (see serve())
//   vocab-driver MODEL.gguf bench FILE [N]   tokenizes FILE N times and prints tokens per second
//
// It reads GGUF with its own small reader (only the metadata, every read bounds-checked) so that the
// tokenizer can be tested on its own; the engine's loader does the same job for the product.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "../src/pretokenize.h"
#include "../src/unicode.h"
#include "../src/vocab.h"

namespace {

using trit::Error;
using trit::ErrorCode;

// Sequential bounds-checked reader over a byte buffer.
class Reader {
  public:
    explicit Reader(const std::string& data) : data_(data) {}

    template <typename T>
    T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, data_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    std::string str() {
        const uint64_t n = get<uint64_t>();
        need(n);
        std::string s(data_.data() + pos_, static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return s;
    }
    void skip(uint64_t n) {
        need(n);
        pos_ += static_cast<size_t>(n);
    }

  private:
    void need(uint64_t n) const {
        if (n > data_.size() - pos_) throw Error(ErrorCode::format, "GGUF metadata is truncated");
    }
    const std::string& data_;
    size_t pos_ = 0;
};

enum GgufType : uint32_t { u8 = 0, i8, u16, i16, u32, i32, f32, boolean, string, array, u64, i64, f64 };

size_t scalar_size(uint32_t type) {
    switch (type) {
        case u8:
        case i8:
        case boolean:
            return 1;
        case u16:
        case i16:
            return 2;
        case u32:
        case i32:
        case f32:
            return 4;
        case u64:
        case i64:
        case f64:
            return 8;
        default:
            return 0;
    }
}

int64_t read_int(Reader& r, uint32_t type) {
    switch (type) {
        case u8:
            return r.get<uint8_t>();
        case i8:
            return r.get<int8_t>();
        case u16:
            return r.get<uint16_t>();
        case i16:
            return r.get<int16_t>();
        case u32:
            return r.get<uint32_t>();
        case i32:
            return r.get<int32_t>();
        case u64:
            return static_cast<int64_t>(r.get<uint64_t>());
        case i64:
            return r.get<int64_t>();
        case boolean:
            return r.get<uint8_t>() != 0;
        default:
            throw Error(ErrorCode::format, "expected an integer value");
    }
}

void skip_value(Reader& r, uint32_t type) {
    if (type == string) {
        r.str();
    } else if (type == array) {
        const uint32_t elem = r.get<uint32_t>();
        const uint64_t n = r.get<uint64_t>();
        for (uint64_t i = 0; i < n; ++i) skip_value(r, elem);
    } else if (const size_t size = scalar_size(type)) {
        r.skip(size);
    } else {
        throw Error(ErrorCode::format, "bad GGUF value type " + std::to_string(type));
    }
}

trit::VocabSource read_vocab_source(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(ErrorCode::io, "cannot open " + path);
    const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    Reader r(data);
    if (r.get<uint32_t>() != 0x46554747) throw Error(ErrorCode::format, path + " is not a GGUF file");
    if (r.get<uint32_t>() != 3) throw Error(ErrorCode::unsupported, "only GGUF version 3 is supported");
    r.get<uint64_t>();  // tensor count
    const uint64_t n_kv = r.get<uint64_t>();

    trit::VocabSource src;
    for (uint64_t k = 0; k < n_kv; ++k) {
        const std::string key = r.str();
        const uint32_t type = r.get<uint32_t>();
        auto read_string_array = [&](std::vector<std::string>& out) {
            if (type != array || r.get<uint32_t>() != string)
                throw Error(ErrorCode::format, key + ": bad type");
            const uint64_t n = r.get<uint64_t>();
            for (uint64_t i = 0; i < n; ++i) out.push_back(r.str());
        };
        auto id = [&](int32_t& out) { out = static_cast<int32_t>(read_int(r, type)); };
        if (key == "tokenizer.ggml.model" && type == string) {
            src.model = r.str();
        } else if (key == "tokenizer.ggml.pre" && type == string) {
            src.pre = r.str();
        } else if (key == "tokenizer.ggml.tokens") {
            read_string_array(src.tokens);
        } else if (key == "tokenizer.ggml.merges") {
            read_string_array(src.merges);
        } else if (key == "tokenizer.ggml.token_type") {
            if (type != array || r.get<uint32_t>() != i32) throw Error(ErrorCode::format, key + ": bad type");
            const uint64_t n = r.get<uint64_t>();
            for (uint64_t i = 0; i < n; ++i) src.token_types.push_back(r.get<int32_t>());
        } else if (key == "tokenizer.ggml.add_bos_token" && type == boolean) {
            src.add_bos = r.get<uint8_t>() != 0;
        } else if (key == "tokenizer.ggml.bos_token_id") {
            id(src.special.bos);
        } else if (key == "tokenizer.ggml.eos_token_id") {
            id(src.special.eos);
        } else if (key == "tokenizer.ggml.eot_token_id") {
            id(src.special.eot);
        } else if (key == "tokenizer.ggml.padding_token_id") {
            id(src.special.pad);
        } else {
            skip_value(r, type);
        }
    }
    return src;
}

void print_ids(std::ostream& os, const char* name, const std::vector<int32_t>& ids) {
    os << ",\"" << name << "\":[";
    for (size_t i = 0; i < ids.size(); ++i) os << (i ? "," : "") << ids[i];
    os << "]";
}

int info(const trit::Vocab& v) {
    const trit::SpecialTokens& s = v.special();
    std::ostringstream os;
    os << "{\"n_tokens\":" << v.n_tokens() << ",\"pre\":\"" << v.pre()
       << "\",\"add_bos\":" << (v.add_bos() ? "true" : "false") << ",\"bos\":" << s.bos
       << ",\"eos\":" << s.eos << ",\"eot\":" << s.eot << ",\"pad\":" << s.pad << ",\"fim_pre\":" << s.fim_pre
       << ",\"fim_suf\":" << s.fim_suf << ",\"fim_mid\":" << s.fim_mid
       << ",\"n_merges_skipped\":" << v.n_merges_skipped() << ",\"unicode\":\"" << trit::unicode_version()
       << "\"";
    print_ids(os, "eog", s.eog);
    os << "}\n";
    std::cout << os.str();
    return 0;
}

// Frames (all integers little-endian):
//   'T' u8 add_bos u8 parse_special u32 n bytes[n]   -> u32 count, i32 ids[count]
//   'D' u8 render_special u32 count i32 ids[count]   -> u32 n, bytes[n]
//   'S' u32 n bytes[n]                               -> u32 count, u32 piece_byte_lengths[count]
//   (pre-tokenizer only) 'B' u32 count i32 ids[count]                     -> u32 count, then per token: u32
//   n, bytes[n] (token_bytes)
// An error replies u32 0xFFFFFFFF, u32 n, message[n].
int serve(const trit::Vocab& v, trit::PreType pre_type) {
    auto read_exact = [](void* p, size_t n) { return std::fread(p, 1, n, stdin) == n; };
    auto write = [](const void* p, size_t n) { std::fwrite(p, 1, n, stdout); };
    auto write_u32 = [&](uint32_t x) { write(&x, 4); };
    for (;;) {
        char op = 0;
        if (!read_exact(&op, 1)) return 0;
        try {
            if (op == 'T') {
                uint8_t flags[2];
                uint32_t n = 0;
                if (!read_exact(flags, 2) || !read_exact(&n, 4)) return 1;
                std::string text(n, '\0');
                if (n && !read_exact(&text[0], n)) return 1;
                const std::vector<int32_t> ids = v.tokenize(text, flags[0] != 0, flags[1] != 0);
                write_u32(static_cast<uint32_t>(ids.size()));
                write(ids.data(), ids.size() * 4);
            } else if (op == 'D' || op == 'B') {
                uint8_t render = 0;
                uint32_t count = 0;
                if ((op == 'D' && !read_exact(&render, 1)) || !read_exact(&count, 4)) return 1;
                std::vector<int32_t> ids(count);
                if (count && !read_exact(ids.data(), count * 4ull)) return 1;
                if (op == 'D') {
                    const std::string text = v.detokenize(ids.data(), ids.size(), render != 0);
                    write_u32(static_cast<uint32_t>(text.size()));
                    write(text.data(), text.size());
                } else {
                    std::string all;
                    for (const int32_t id : ids) {
                        const std::string& b = v.token_bytes(id);
                        const uint32_t len = static_cast<uint32_t>(b.size());
                        all.append(reinterpret_cast<const char*>(&len), 4).append(b);
                    }
                    write_u32(count);
                    write(all.data(), all.size());
                }
            } else if (op == 'S') {
                uint32_t n = 0;
                if (!read_exact(&n, 4)) return 1;
                std::string text(n, '\0');
                if (n && !read_exact(&text[0], n)) return 1;
                trit::CptText ct;
                ct.cpts = trit::utf8_to_cpts(text);
                for (const uint32_t c : ct.cpts) ct.classes.push_back(trit::cpt_class(c));
                std::vector<size_t> ends, scratch;
                trit::pretokenize(pre_type, ct, ends, scratch);
                std::vector<uint32_t> lengths;
                size_t begin = 0;
                for (const size_t end : ends) {
                    std::string piece;
                    for (size_t i = begin; i < end; ++i) trit::utf8_append(piece, ct.cpts[i]);
                    lengths.push_back(static_cast<uint32_t>(piece.size()));
                    begin = end;
                }
                write_u32(static_cast<uint32_t>(lengths.size()));
                write(lengths.data(), lengths.size() * 4);
            } else {
                throw Error(ErrorCode::argument, std::string("unknown request '") + op + "'");
            }
        } catch (const Error& e) {
            const std::string msg = e.what();
            write_u32(0xFFFFFFFFu);
            write_u32(static_cast<uint32_t>(msg.size()));
            write(msg.data(), msg.size());
        }
        std::fflush(stdout);
    }
}

int bench(const trit::Vocab& v, const std::string& file, int reps) {
    std::ifstream f(file, std::ios::binary);
    if (!f) throw Error(ErrorCode::io, "cannot open " + file);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t n_tokens = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) n_tokens = v.tokenize(text, true, false).size();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "{\"bytes\":%zu,\"tokens\":%zu,\"reps\":%d,\"seconds\":%.6f,\"tokens_per_s\":%.0f,"
        "\"ms_per_call\":%.4f}\n",
        text.size(), n_tokens, reps, s, static_cast<double>(n_tokens) * reps / s, s * 1000.0 / reps);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: vocab-driver MODEL.gguf info|serve|bench FILE [N]\n");
        return 2;
    }
    try {
        const auto t0 = std::chrono::steady_clock::now();
        trit::VocabSource src = read_vocab_source(argv[1]);
        const auto t1 = std::chrono::steady_clock::now();
        trit::PreType pre_type = trit::PreType::default_;
        const trit::Vocab v(std::move(src));
        const auto t2 = std::chrono::steady_clock::now();
        const double read_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        const double build_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
        trit::pre_type_from_name(v.pre(), pre_type);
        const std::string cmd = argv[2];
        if (cmd == "info") return info(v);
        if (cmd == "serve") return serve(v, pre_type);
        if (cmd == "bench" && argc >= 4) {
            std::fprintf(stderr, "GGUF metadata read in %.1f ms, Vocab built in %.1f ms\n", read_ms,
                         build_ms);
            return bench(v, argv[3], argc >= 5 ? std::atoi(argv[4]) : 20);
        }
        std::fprintf(stderr, "unknown command '%s'\n", cmd.c_str());
        return 2;
    } catch (const Error& e) {
        std::fprintf(stderr, "error (%d): %s\n", static_cast<int>(e.code()), e.what());
        return 1;
    }
}
