// Malformed and hostile GGUF files: every one must end in a clear trit::Error (never a crash, never a huge
// allocation). Run under ASan+UBSan by native/tests/run-tests.sh. Covers truncation at every byte of the
// metadata and at every section boundary, wrong magic/version, huge counts and dimensions, bad type ids,
// absurd string lengths, offsets past the end, misaligned and overlapping tensors, duplicate keys/tensors,
// then model-level problems (missing tensors, wrong shapes, unknown architecture, inconsistent
// hyperparameters) and random corruption of a real model file.
#include <cstring>
#include <random>

#include "check.h"
#include "fixtures.h"
#include "gguf-writer.h"
#include "gguf.h"
#include "model.h"
#include "trit/engine.h"

namespace {

using testgguf::Writer;
using trit::ErrorCode;
using trit::GgufFile;

std::unique_ptr<GgufFile> parse(const std::vector<uint8_t>& bytes) {
    return GgufFile::from_bytes(bytes, "test.gguf");
}

std::unique_ptr<trit::Model> load_model(const std::vector<uint8_t>& bytes) {
    trit::LoadOptions opt;
    return trit::Model::from_gguf(parse(bytes), opt, *trit::kernels_ref());
}

// Expects an Error of `code` whose message contains `needle`.
void expect_error(const std::vector<uint8_t>& bytes, ErrorCode code, const std::string& needle,
                  bool model = false) {
    try {
        if (model) {
            load_model(bytes);
        } else {
            parse(bytes);
        }
        CHECK_MSG(false, "no error for a file that should fail with: " + needle);
    } catch (const trit::Error& e) {
        CHECK_MSG(e.code() == code, std::string("wrong error code for: ") + e.what());
        CHECK_MSG(std::string(e.what()).find(needle) != std::string::npos,
                  std::string("message '") + e.what() + "' does not mention '" + needle + "'");
    }
}

// A small valid file exercising every value type, with two tensors.
Writer small_file() {
    Writer w;
    w.str("general.architecture", "bitnet-b1.58");
    w.u32("a.u32", 7);
    w.i32("a.i32", -7);
    w.f32("a.f32", 1.5f);
    w.boolean("a.bool", true);
    w.scalar("a.u64", trit::GgufType::u64, uint64_t(1) << 40);
    w.scalar("a.i8", trit::GgufType::i8, int8_t(-3));
    w.scalar("a.f64", trit::GgufType::f64, 2.25);
    w.str_array("a.strs", {"x", "", "yz"});
    w.i32_array("a.ints", {1, -2, 3});
    testgguf::Tensor t1{"t.f32", {4, 2}, 0, std::vector<uint8_t>(32, 1)};
    testgguf::Tensor t2{"t.i2s", {128, 2}, 36, std::vector<uint8_t>(2 * 128 / 4 + 32, 0x55)};
    w.tensors = {t1, t2};
    return w;
}

TEST(valid_small_file) {
    testgguf::Layout l;
    const std::vector<uint8_t> bytes = small_file().build(&l);
    const std::unique_ptr<GgufFile> f = parse(bytes);
    CHECK(f->version() == 3);
    CHECK(f->kvs().size() == 10);
    uint32_t u = 0;
    int64_t i = 0;
    float x = 0;
    bool b = false;
    std::string s;
    std::vector<std::string> strs;
    std::vector<int32_t> ints;
    CHECK(f->get_u32("a.u32", &u) && u == 7);
    CHECK(f->get_i64("a.i32", &i) && i == -7);
    CHECK(f->get_i64("a.u64", &i) && i == (int64_t(1) << 40));
    CHECK(f->get_i64("a.i8", &i) && i == -3);
    CHECK(f->get_f32("a.f32", &x) && x == 1.5f);
    CHECK(f->get_f32("a.f64", &x) && x == 2.25f);
    CHECK(f->get_bool("a.bool", &b) && b);
    CHECK(f->get_string("general.architecture", &s) && s == "bitnet-b1.58");
    CHECK(f->get_string_array("a.strs", &strs) && strs == std::vector<std::string>({"x", "", "yz"}));
    CHECK(f->get_i32_array("a.ints", &ints) && ints == std::vector<int32_t>({1, -2, 3}));
    CHECK(!f->get_u32("missing", &u));
    CHECK_THROWS_CODE(f->get_u32("a.i32", &u), ErrorCode::format);     // negative into unsigned
    CHECK_THROWS_CODE(f->get_string("a.u32", &s), ErrorCode::format);  // wrong type
    CHECK_THROWS_CODE(f->get_u32("a.strs", &u), ErrorCode::format);
    CHECK_THROWS_CODE(f->get_i32_array("a.strs", &ints), ErrorCode::format);
    REQUIRE(f->tensors().size() == 2);
    const trit::GgufTensor* t = f->tensor("t.i2s");
    REQUIRE(t != nullptr);
    CHECK(t->nbytes == 2 * 128 / 4 + 32);
    CHECK(t->data == f->bytes() + l.tensor_data_starts[1]);
    CHECK(f->tensor("t.f32")->data == f->bytes() + l.data_start);
}

TEST(truncated_everywhere) {
    // Every prefix of the small file shorter than the whole fails cleanly.
    testgguf::Layout l;
    const std::vector<uint8_t> bytes = small_file().build(&l);
    for (size_t n = 0; n < bytes.size(); ++n) {
        const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
        CHECK_THROWS_CODE(parse(cut), ErrorCode::format);
    }
    // The real I2_S fixture: at every section boundary (±1) and at 300 random lengths.
    const std::vector<uint8_t> model =
        fixtures::read_bytes(fixtures::dir() + "/models/fixture-b158-i2_s.gguf");
    const std::unique_ptr<GgufFile> f = parse(model);
    std::vector<size_t> cuts = {0, 3, 4, 7, 8, 15, 16, 23, 24};
    for (const trit::GgufKv& kv : f->kvs())
        cuts.insert(cuts.end(), {kv.offset - 1, kv.offset, kv.offset + 1});
    for (const trit::GgufTensor& t : f->tensors()) {
        const size_t start = static_cast<size_t>(t.data - f->bytes());
        cuts.insert(cuts.end(), {start - 1, start, start + 1, start + static_cast<size_t>(t.nbytes) - 1});
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i)
        cuts.push_back(std::uniform_int_distribution<size_t>(0, model.size() - 1)(rng));
    for (size_t n : cuts) {
        if (n >= model.size()) continue;
        const std::vector<uint8_t> cut(model.begin(), model.begin() + static_cast<ptrdiff_t>(n));
        CHECK_THROWS_CODE(parse(cut), ErrorCode::format);
    }
}

TEST(header_and_counts) {
    Writer w = small_file();
    w.magic = 0x46554746;
    expect_error(w.build(), ErrorCode::format, "not a GGUF file");
    for (uint32_t v : {0u, 1u, 4u, 0xffffffffu}) {
        w = small_file();
        w.version = v;
        expect_error(w.build(), ErrorCode::format, "version " + std::to_string(v));
    }
    w = small_file();
    w.n_tensors_override = int64_t(1) << 62;
    expect_error(w.build(), ErrorCode::format, "tensor count");
    w = small_file();
    w.n_kv_override = int64_t(1) << 62;
    expect_error(w.build(), ErrorCode::format, "metadata count");
    w = small_file();
    w.n_kv_override = 11;  // one more than present: reads tensor infos as a key-value
    CHECK_THROWS_CODE(parse(w.build()), ErrorCode::format);
    expect_error(std::vector<uint8_t>{}, ErrorCode::format, "empty");
}

TEST(bad_metadata) {
    auto with_kv = [](const testgguf::Kv& kv) {
        Writer w = small_file();
        w.kvs.push_back(kv);
        return w.build();
    };
    testgguf::Bytes b;
    // A string value claiming 2^63 bytes; a key claiming 2^40.
    b.put<uint64_t>(uint64_t(1) << 63);
    expect_error(with_kv({"x.str", static_cast<uint32_t>(trit::GgufType::string), b.v}), ErrorCode::format,
                 "truncated");
    {
        Writer w = small_file();
        std::vector<uint8_t> bytes = w.build();
        testgguf::Layout l;
        w.build(&l);
        uint64_t huge = uint64_t(1) << 40;
        std::memcpy(&bytes[l.kv_starts[1]], &huge, 8);
        expect_error(bytes, ErrorCode::format, "absurd length");
    }
    // Unknown value types, nested arrays, arrays longer than the file, strings in arrays too long.
    expect_error(with_kv({"x.bad", 13, {0, 0, 0, 0}}), ErrorCode::format, "unknown value type 13");
    expect_error(with_kv({"x.bad", 0xffffffffu, {}}), ErrorCode::format, "unknown value type");
    testgguf::Bytes arr;
    arr.put<uint32_t>(99);
    arr.put<uint64_t>(1);
    expect_error(with_kv({"x.arr", 9, arr.v}), ErrorCode::format, "array of unknown type 99");
    testgguf::Bytes nested;
    nested.put<uint32_t>(9);
    nested.put<uint64_t>(1);
    expect_error(with_kv({"x.arr", 9, nested.v}), ErrorCode::format, "nested array");
    testgguf::Bytes long_arr;
    long_arr.put<uint32_t>(4);
    long_arr.put<uint64_t>(uint64_t(1) << 40);
    expect_error(with_kv({"x.arr", 9, long_arr.v}), ErrorCode::format, "more than the file holds");
    testgguf::Bytes long_strs;
    long_strs.put<uint32_t>(8);
    long_strs.put<uint64_t>(uint64_t(1) << 61);
    expect_error(with_kv({"x.arr", 9, long_strs.v}), ErrorCode::format, "more than the file holds");
    testgguf::Bytes bad_str_in_arr;
    bad_str_in_arr.put<uint32_t>(8);
    bad_str_in_arr.put<uint64_t>(2);
    bad_str_in_arr.put<uint64_t>(1);
    bad_str_in_arr.put<uint8_t>('a');
    bad_str_in_arr.put<uint64_t>(uint64_t(1) << 50);
    expect_error(with_kv({"x.arr", 9, bad_str_in_arr.v}), ErrorCode::format, "truncated");
    // Duplicate keys; an empty key.
    Writer w = small_file();
    w.u32("a.u32", 8);
    expect_error(w.build(), ErrorCode::format, "duplicate key 'a.u32'");
    w = small_file();
    w.u32("", 1);
    expect_error(w.build(), ErrorCode::format, "empty key");
    // Alignment must be a u32 power of two.
    for (uint32_t a : {0u, 3u, 48u}) {
        w = small_file();
        w.u32("general.alignment", a);
        expect_error(w.build(), ErrorCode::format, "power of two");
    }
    w = small_file();
    w.str("general.alignment", "32");
    expect_error(w.build(), ErrorCode::format, "general.alignment");
    w = small_file();
    w.u32("general.alignment", 64);
    w.alignment = 64;
    CHECK(parse(w.build())->alignment() == 64);
}

TEST(bad_tensor_infos) {
    auto expect_tensor_error = [](const std::function<void(Writer&)>& mutate, ErrorCode code,
                                  const std::string& needle) {
        Writer w = small_file();
        mutate(w);
        expect_error(w.build(), code, needle);
    };
    expect_tensor_error([](Writer& w) { w.tensors[0].type = 99; }, ErrorCode::unsupported, "type 99");
    expect_tensor_error([](Writer& w) { w.tensors[0].type = 12; }, ErrorCode::unsupported, "Q4_K");
    expect_tensor_error([](Writer& w) { w.tensors[0].type = 0xffffffffu; }, ErrorCode::unsupported, "t.f32");
    expect_tensor_error([](Writer& w) { w.tensors[0].ne = {}; }, ErrorCode::format, "0 dimensions");
    expect_tensor_error(
        [](Writer& w) {
            w.tensors[0].ne = {1, 1, 1, 1, 1};
        },
        ErrorCode::format, "5 dimensions");
    expect_tensor_error([](Writer& w) { w.tensors[0].ne = {8, 0}; }, ErrorCode::format, "impossible shape");
    expect_tensor_error(
        [](Writer& w) {
            w.tensors[0].ne = {uint64_t(1) << 40, uint64_t(1) << 40};
        },
        ErrorCode::format, "impossible shape");
    expect_tensor_error([](Writer& w) { w.tensors[0].ne = {~uint64_t(0)}; }, ErrorCode::format,
                        "impossible shape");
    expect_tensor_error(
        [](Writer& w) {
            w.tensors[1].ne = {100, 2};
        },
        ErrorCode::format, "not a multiple of its block");
    expect_tensor_error(
        [](Writer& w) {
            w.tensors[0].ne = {64, 64};
        },
        ErrorCode::format, "extends past the end");
    expect_tensor_error([](Writer& w) { w.tensors[1].offset_override = 1 << 20; }, ErrorCode::format,
                        "extends past the end");
    expect_tensor_error([](Writer& w) { w.tensors[1].offset_override = int64_t(1) << 62; }, ErrorCode::format,
                        "extends past the end");
    expect_tensor_error([](Writer& w) { w.tensors[1].offset_override = 4; }, ErrorCode::format, "misaligned");
    expect_tensor_error([](Writer& w) { w.tensors[1].offset_override = 0; }, ErrorCode::format, "overlap");
    expect_tensor_error([](Writer& w) { w.tensors[1].name = "t.f32"; }, ErrorCode::format,
                        "duplicate tensor 't.f32'");
    expect_tensor_error([](Writer& w) { w.tensors[1].name = ""; }, ErrorCode::format, "empty name");
    expect_tensor_error([](Writer& w) { w.tensors[1].name = std::string(300, 'x'); }, ErrorCode::format,
                        "absurd length");
}

// ---------------------------------------------------------------------------------------------------------------
// Model-level validation, on modified copies of the real I2_S fixture.
// ---------------------------------------------------------------------------------------------------------------

Writer fixture_copy() {
    static const std::vector<uint8_t> bytes =
        fixtures::read_bytes(fixtures::dir() + "/models/fixture-b158-i2_s.gguf");
    return testgguf::copy_of(*parse(bytes));
}

void set_u32(Writer& w, const std::string& key, uint32_t v) {
    testgguf::Kv* kv = w.find(key);
    REQUIRE(kv != nullptr);
    kv->type = static_cast<uint32_t>(trit::GgufType::u32);
    kv->value.assign(4, 0);
    std::memcpy(kv->value.data(), &v, 4);
}

TEST(model_validation) {
    // The unmodified copy loads and round-trips through the writer.
    {
        const std::unique_ptr<trit::Model> m = load_model(fixture_copy().build());
        CHECK(m->hparams().n_embd == 256 && m->hparams().n_layer == 2 && m->hparams().n_vocab == 509);
        CHECK(m->weight_type() == "I2_S");
        CHECK(m->output().data == m->tok_embd().data);  // tied LM head
    }
    auto expect_model_error = [](const std::function<void(Writer&)>& mutate, ErrorCode code,
                                 const std::string& needle) {
        Writer w = fixture_copy();
        mutate(w);
        expect_error(w.build(), code, needle, true);
    };
    expect_model_error([](Writer& w) { w.remove_tensor("blk.1.ffn_down.weight"); }, ErrorCode::format,
                       "tensor 'blk.1.ffn_down.weight' is missing");
    expect_model_error([](Writer& w) { w.remove_tensor("output_norm.weight"); }, ErrorCode::format,
                       "output_norm.weight");
    expect_model_error(
        [](Writer& w) {
            w.tensor("blk.0.attn_q.weight")->ne = {256, 128};
        },
        ErrorCode::format, "'blk.0.attn_q.weight' has shape [256, 128], expected [256, 256]");
    expect_model_error([](Writer& w) { w.tensor("blk.0.attn_norm.weight")->ne = {128}; }, ErrorCode::format,
                       "attn_norm.weight");
    expect_model_error(
        [](Writer& w) {
            testgguf::Tensor* t = w.tensor("blk.0.attn_norm.weight");
            t->type = 1;  // F16
            t->data.resize(t->data.size() / 2);
        },
        ErrorCode::unsupported, "Trit expects F32");
    expect_model_error(
        [](Writer& w) {
            testgguf::Tensor extra{"blk.0.attn_q.bias", {256}, 0, std::vector<uint8_t>(1024, 0)};
            w.tensors.push_back(extra);
        },
        ErrorCode::format, "unexpected tensor 'blk.0.attn_q.bias'");
    expect_model_error(
        [](Writer& w) {
            testgguf::Tensor* t = w.tensor("token_embd.weight");
            t->type = 35;  // TQ2_0
            t->data.assign(static_cast<size_t>(509 * 66), 0);
        },
        ErrorCode::unsupported, "token_embd.weight has type TQ2_0");
    expect_model_error(
        [](Writer& w) {
            testgguf::Tensor* t = w.tensor("blk.1.attn_v.weight");
            const float nan = NAN;
            std::memcpy(&t->data[256 * 128 / 4], &nan, 4);
        },
        ErrorCode::format, "invalid scale");
    expect_model_error(
        [](Writer& w) {
            w.find("general.architecture")->value = [] {
                testgguf::Bytes b;
                b.str("llama");
                return b.v;
            }();
        },
        ErrorCode::unsupported, "architecture 'llama'");
    expect_model_error([](Writer& w) { w.kvs.erase(w.kvs.begin()); }, ErrorCode::format,
                       "general.architecture");
    expect_model_error([](Writer& w) { set_u32(w, "bitnet-b1.58.attention.head_count", 3); },
                       ErrorCode::format, "does not divide embedding_length");
    expect_model_error([](Writer& w) { set_u32(w, "bitnet-b1.58.attention.head_count_kv", 3); },
                       ErrorCode::format, "does not divide head_count");
    expect_model_error([](Writer& w) { set_u32(w, "bitnet-b1.58.embedding_length", 1u << 30); },
                       ErrorCode::format, "embedding_length");
    expect_model_error([](Writer& w) { set_u32(w, "bitnet-b1.58.block_count", 3); }, ErrorCode::format,
                       "'blk.2.attn_norm.weight' is missing");
    expect_model_error([](Writer& w) { set_u32(w, "bitnet-b1.58.rope.dimension_count", 65); },
                       ErrorCode::format, "rope.dimension_count");
    expect_model_error([](Writer& w) { set_u32(w, "bitnet-b1.58.vocab_size", 510); }, ErrorCode::format,
                       "vocab_size");
    expect_model_error(
        [](Writer& w) {
            for (size_t i = 0; i < w.kvs.size(); ++i) {
                if (w.kvs[i].key == "bitnet-b1.58.block_count")
                    w.kvs.erase(w.kvs.begin() + static_cast<ptrdiff_t>(i));
            }
        },
        ErrorCode::format, "block_count");
    expect_model_error([](Writer& w) { set_u32(w, "tokenizer.ggml.bos_token_id", 9999); }, ErrorCode::format,
                       "bos_token_id");
    expect_model_error(
        [](Writer& w) {
            // One token more than the embedding has rows.
            const std::unique_ptr<GgufFile> f = parse(fixture_copy().build());
            std::vector<std::string> tokens;
            std::vector<int32_t> types;
            f->get_string_array("tokenizer.ggml.tokens", &tokens);
            f->get_i32_array("tokenizer.ggml.token_type", &types);
            tokens.push_back("extra");
            types.push_back(1);
            Writer tmp;
            tmp.str_array("tokenizer.ggml.tokens", tokens);
            tmp.i32_array("tokenizer.ggml.token_type", types);
            w.find("tokenizer.ggml.tokens")->value = tmp.kvs[0].value;
            w.find("tokenizer.ggml.token_type")->value = tmp.kvs[1].value;
            for (size_t i = 0; i < w.kvs.size(); ++i) {
                if (w.kvs[i].key == "bitnet-b1.58.vocab_size")
                    w.kvs.erase(w.kvs.begin() + static_cast<ptrdiff_t>(i));
            }
        },
        ErrorCode::format, "token_embd.weight");
    expect_model_error([](Writer& w) { w.find("bitnet-b1.58.block_count")->type = 6; }, ErrorCode::format,
                       "block_count' has type f32");
    // Non-finite weights: in an F32 norm, in the F16 embedding (infinity = 0x7c00, NaN = 0x7e00).
    expect_model_error(
        [](Writer& w) {
            const float inf = INFINITY;
            std::memcpy(&w.tensor("blk.1.ffn_norm.weight")->data[4 * 17], &inf, 4);
        },
        ErrorCode::format, "tensor 'blk.1.ffn_norm.weight' (F32) has a non-finite value (NaN or infinity) at element 17");
    for (const uint16_t h : {uint16_t(0x7c00), uint16_t(0x7e00), uint16_t(0xfc00)}) {
        expect_model_error(
            [h](Writer& w) { std::memcpy(&w.tensor("token_embd.weight")->data[2 * 1000], &h, 2); },
            ErrorCode::format, "tensor 'token_embd.weight' (F16) has a non-finite value (NaN or infinity) at element 1000");
    }
    // A legal general.alignment of 1 that puts the float tensors at odd addresses.
    {
        bool tested = false;
        for (int pad = 0; pad < 4 && !tested; ++pad) {
            Writer w = fixture_copy();
            w.alignment = 1;
            w.u32("general.alignment", 1);
            w.str("general.comment", std::string(static_cast<size_t>(pad), 'x'));
            testgguf::Layout layout;
            const std::vector<uint8_t> bytes = w.build(&layout);
            if (layout.data_start % 4 != 1) continue;
            expect_error(bytes, ErrorCode::format, "is not aligned to", true);
            tested = true;
        }
        CHECK(tested);
    }
}

TEST(random_corruption) {
    // Flip a few bytes of the real model (mostly in the metadata) and load the whole model; whatever happens
    // must be a trit::Error or a successful load.
    const std::vector<uint8_t> model =
        fixtures::read_bytes(fixtures::dir() + "/models/fixture-b158-i2_s.gguf");
    const std::unique_ptr<GgufFile> parsed = parse(model);
    size_t meta_end = model.size();
    for (const trit::GgufTensor& t : parsed->tensors())
        meta_end = std::min(meta_end, static_cast<size_t>(t.data - parsed->bytes()));
    std::mt19937 rng(99);
    int n_errors = 0, n_loaded = 0;
    for (int iter = 0; iter < 400; ++iter) {
        std::vector<uint8_t> bytes = model;
        const int n_flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n_flips; ++i) {
            const size_t limit = iter % 4 == 0 ? bytes.size() : meta_end;
            const size_t pos = std::uniform_int_distribution<size_t>(0, limit - 1)(rng);
            bytes[pos] = static_cast<uint8_t>(iter % 3 == 0 ? 0xff : rng());
        }
        try {
            load_model(bytes);
            ++n_loaded;
        } catch (const trit::Error&) {
            ++n_errors;
        }
    }
    std::fprintf(stderr, "    400 corrupted files: %d rejected with trit::Error, %d still loadable\n",
                 n_errors, n_loaded);
    CHECK(n_errors > 0);
}

TEST(engine_load_errors) {
    trit::LoadOptions opt;
    CHECK_THROWS_CODE(trit::Engine::load("/nonexistent/model.gguf", opt), ErrorCode::io);
    CHECK_THROWS_CODE(trit::Engine::load("/", opt), ErrorCode::io);
    opt.kernels = "no-such-table";
    CHECK_THROWS_CODE(trit::Engine::load(fixtures::dir() + "/models/fixture-b158-i2_s.gguf", opt),
                      ErrorCode::argument);
    opt.kernels = "";
    opt.lm_head = "int3";
    CHECK_THROWS_CODE(trit::Engine::load(fixtures::dir() + "/models/fixture-b158-i2_s.gguf", opt),
                      ErrorCode::argument);
    opt.lm_head = "auto";
    opt.n_ctx = -1;
    CHECK_THROWS_CODE(trit::Engine::load(fixtures::dir() + "/models/fixture-b158-i2_s.gguf", opt),
                      ErrorCode::argument);
    // Reading without mmap gives the same model.
    opt.n_ctx = 0;
    opt.use_mmap = false;
    float last = -1.0f;
    int calls = 0;
    opt.on_progress = [&](float p) {
        CHECK(p >= last && p >= 0.0f && p <= 1.0f);
        last = p;
        ++calls;
    };
    std::unique_ptr<trit::Engine> e =
        trit::Engine::load(fixtures::dir() + "/models/fixture-b158-i2_s.gguf", opt);
    CHECK(e->info().n_vocab == 509);
    CHECK(calls >= 2 && last == 1.0f);
}

}  // namespace

int main(int argc, char** argv) {
    return check::run_all(argc, argv);
}
