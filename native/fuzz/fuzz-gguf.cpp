// libFuzzer target: the GGUF reader and the model loader on arbitrary bytes.
//
// Every input must either load or fail with a trit::Error that has a non-empty message; any other exception,
// a crash, a sanitizer report, a leak or an allocation beyond libFuzzer's limits is a finding. When the file
// parses, every metadata value is read back through the typed getters (which rely on parse() having checked
// every offset) and the model loader runs on it; a model that loads gets its tokenizer and embedding exercised.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "gguf.h"
#include "model.h"
#include "trit/engine.h"

namespace {

[[noreturn]] void finding(const char* what, const char* detail) {
    std::fprintf(stderr, "fuzz-gguf: %s: %s\n", what, detail);
    std::abort();
}

void check_error(const trit::Error& e) {
    if (e.what()[0] == '\0') finding("empty error message", "");
}

// Reads every metadata entry the way the loader and the addon do, ignoring type mismatches (they throw Error).
void read_all_metadata(const trit::GgufFile& f) {
    for (const trit::GgufKv& kv : f.kvs()) {
        (void)f.value_text(kv);
        try {
            if (kv.type == trit::GgufType::array && kv.elem_type == trit::GgufType::string) {
                std::vector<std::string> strings;
                f.get_string_array(kv.key, &strings);
                if (strings.size() != kv.count) finding("string array size", kv.key.c_str());
            } else if (kv.type == trit::GgufType::array) {
                std::vector<int32_t> ints;
                f.get_i32_array(kv.key, &ints);
            } else {
                int64_t i = 0;
                float x = 0;
                f.get_i64(kv.key, &i);
                f.get_f32(kv.key, &x);
            }
        } catch (const trit::Error& e) {
            check_error(e);
        }
    }
    for (const trit::GgufTensor& t : f.tensors()) {
        // parse() promises each tensor lies inside the file.
        const uint8_t* begin = f.bytes();
        if (t.data < begin || t.data + t.nbytes > begin + f.file_bytes()) finding("tensor outside file", t.name.c_str());
        if (t.nbytes > 0) {
            volatile uint8_t first = t.data[0];
            volatile uint8_t last = t.data[t.nbytes - 1];
            (void)first;
            (void)last;
        }
    }
}

void exercise_model(const trit::Model& m) {
    const trit::Vocab& v = m.vocab();
    const std::vector<int32_t> ids = v.tokenize("def f(x):\n    return x + 1  # é 中", true, true);
    for (int32_t id : ids) {
        if (id < 0 || id >= v.n_tokens()) finding("token id out of range", "");
    }
    (void)v.detokenize(ids.data(), ids.size(), true);
    // A model that loads has finite weights where the forward pass reads floats directly.
    std::vector<float> row(static_cast<size_t>(m.hparams().n_embd));
    for (const int32_t r : {0, m.hparams().n_vocab - 1}) {
        m.embedding_row(r, row.data());
        for (const float x : row) {
            if (!std::isfinite(x)) finding("a loaded model has a non-finite embedding value", std::to_string(r).c_str());
        }
    }
    auto finite_norm = [&](const float* p, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
            if (!std::isfinite(p[i])) finding("a loaded model has a non-finite norm weight", "");
        }
    };
    const trit::Hparams& hp = m.hparams();
    finite_norm(m.output_norm(), hp.n_embd);
    for (const trit::LayerWeights& L : m.layers()) {
        finite_norm(L.attn_norm, hp.n_embd);
        finite_norm(L.attn_sub_norm, hp.n_embd_q());
        finite_norm(L.ffn_norm, hp.n_embd);
        finite_norm(L.ffn_sub_norm, hp.n_ff);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    try {
        std::unique_ptr<trit::GgufFile> file = trit::GgufFile::from_bytes(std::move(bytes), "fuzz.gguf");
        read_all_metadata(*file);
        // The reference kernels and the best table of this CPU (which may repack I2_S weights at load), chosen by
        // one input byte so that each input always takes the same path.
        static const trit::KernelTable* const best = trit::kernels_select("");
        const trit::KernelTable& kernels = (size > 0 && (data[size / 2] & 1)) ? *best : *trit::kernels_ref();
        trit::LoadOptions options;
        std::unique_ptr<trit::Model> model = trit::Model::from_gguf(std::move(file), options, kernels);
        exercise_model(*model);
    } catch (const trit::Error& e) {
        check_error(e);
    } catch (const std::exception& e) {
        finding("exception other than trit::Error", e.what());
    }
    return 0;
}
