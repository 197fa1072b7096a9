// Access to the BitNet fixture set in test/fixtures/bitnet (see its README.md): the manifest, model paths,
// golden logits, and the "same numerics" tolerance check of the fixture set's check_logits.py.
//
// Environment: TRIT_FIXTURES = the fixture directory (default test/fixtures/bitnet); TRIT_UNPACKED = a
// directory holding the gunzipped F32 masters (native/tests/run-tests.sh makes it).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "json.h"

namespace fixtures {

inline std::string dir() {
    const char* d = std::getenv("TRIT_FIXTURES");
    return d != nullptr ? d : "test/fixtures/bitnet";
}

inline const testjson::Value& manifest() {
    static const testjson::Value m = testjson::parse_file(dir() + "/manifest.json");
    return m;
}

inline const testjson::Value& model(const std::string& id) {
    for (const testjson::Value& m : manifest()["models"].arr) {
        if (m["id"].str == id) return m;
    }
    throw std::runtime_error("no fixture model " + id);
}

inline std::vector<int32_t> prompt(const std::string& id) {
    for (const testjson::Value& p : manifest()["prompts"].arr) {
        if (p["id"].str == id) return p["ids"].ints();
    }
    throw std::runtime_error("no fixture prompt " + id);
}

// Path of a model's GGUF; gzip'd masters are looked up, uncompressed, in TRIT_UNPACKED.
inline std::string model_path(const testjson::Value& m) {
    const std::string file = m["file"].str;
    if (file.size() > 3 && file.compare(file.size() - 3, 3, ".gz") == 0) {
        const char* unpacked = std::getenv("TRIT_UNPACKED");
        if (unpacked == nullptr)
            throw std::runtime_error("TRIT_UNPACKED is not set (run native/tests/run-tests.sh)");
        const std::string base = file.substr(file.rfind('/') + 1);
        return std::string(unpacked) + "/" + base.substr(0, base.size() - 3);
    }
    return dir() + "/" + file;
}

inline std::vector<float> read_f32(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("cannot open " + path);
    const std::streamsize n = in.tellg();
    std::vector<float> v(static_cast<size_t>(n) / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    return v;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("cannot open " + path);
    const std::streamsize n = in.tellg();
    std::vector<uint8_t> v(static_cast<size_t>(n));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), n);
    return v;
}

// The metrics and limits of check_logits.py for one window of rows.
struct WindowResult {
    double max_abs = 0, p99_abs = 0, mean_abs = 0, top1_agree = 0;
    int flips_above_guard = 0;
    bool ok = false;
    std::string report;
};

inline int32_t argmax_row(const float* row, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i) {
        if (row[i] > row[best]) best = i;
    }
    return best;
}

// numpy.quantile with the default linear interpolation.
inline double quantile(std::vector<double> v, double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(lo), v.end());
    const double a = v[lo];
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(hi), v.end());
    const double b = v[hi];
    return a + (b - a) * (pos - static_cast<double>(lo));
}

// Compares rows [row0, row1) of candidate and golden ([rows × n_vocab]) against `limits` (a window object of
// the manifest's same_numerics tolerances).
inline WindowResult compare_window(const float* cand, const float* gold, int32_t row0, int32_t row1,
                                   int32_t n_vocab, const testjson::Value& limits, const std::string& label) {
    WindowResult r;
    std::vector<double> d;
    d.reserve(static_cast<size_t>(row1 - row0) * static_cast<size_t>(n_vocab));
    int agree = 0;
    const double guard = limits["top1_must_match_where_golden_margin_above"].num;
    for (int32_t row = row0; row < row1; ++row) {
        const float* c = cand + static_cast<size_t>(row) * static_cast<size_t>(n_vocab);
        const float* g = gold + static_cast<size_t>(row) * static_cast<size_t>(n_vocab);
        for (int32_t i = 0; i < n_vocab; ++i) d.push_back(std::fabs(static_cast<double>(c[i]) - g[i]));
        const int32_t gc = argmax_row(c, n_vocab), gg = argmax_row(g, n_vocab);
        std::vector<float> sorted(g, g + n_vocab);
        std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(),
                          [](float a, float b) { return a > b; });
        const double margin = static_cast<double>(sorted[0]) - sorted[1];
        if (gc == gg) {
            ++agree;
        } else if (margin > guard) {
            ++r.flips_above_guard;
        }
    }
    double sum = 0;
    for (double x : d) {
        sum += x;
        r.max_abs = std::max(r.max_abs, x);
    }
    r.mean_abs = sum / static_cast<double>(d.size());
    r.p99_abs = quantile(d, 0.99);
    r.top1_agree = static_cast<double>(agree) / static_cast<double>(row1 - row0);
    r.ok = r.max_abs <= limits["max_abs_logit_diff"].num && r.p99_abs <= limits["p99_abs_logit_diff"].num &&
           r.mean_abs <= limits["mean_abs_logit_diff"].num &&
           r.top1_agree >= limits["top1_agreement_min"].num && r.flips_above_guard == 0;
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "%s: max %.4g (≤ %g) p99 %.4g (≤ %g) mean %.4g (≤ %g) top1 %.4f (≥ %g) flips>guard %d %s",
                  label.c_str(), r.max_abs, limits["max_abs_logit_diff"].num, r.p99_abs,
                  limits["p99_abs_logit_diff"].num, r.mean_abs, limits["mean_abs_logit_diff"].num,
                  r.top1_agree, limits["top1_agreement_min"].num, r.flips_above_guard, r.ok ? "ok" : "FAIL");
    r.report = buf;
    return r;
}

}  // namespace fixtures
