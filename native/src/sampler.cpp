#include "sampler.h"

#include <algorithm>
#include <cmath>

namespace trit {

uint64_t Rng::next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double Rng::uniform() {
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

int32_t argmax(const float* logits, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i) {
        if (logits[i] > logits[best]) best = i;  // strict: the lowest id wins ties; NaN never wins
    }
    return best;
}

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::sample(const float* logits, int32_t n_vocab) {
    if (!(params_.temperature > 0.0f) || params_.top_k == 1) return argmax(logits, n_vocab);

    // Probabilities (unnormalized) of the tempered logits; NaN logits get none.
    const float inv_t = 1.0f / params_.temperature;
    float max = -INFINITY;
    for (int32_t i = 0; i < n_vocab; ++i) max = std::max(max, logits[i]);
    if (!std::isfinite(max)) return argmax(logits, n_vocab);
    probs_.resize(static_cast<size_t>(n_vocab));
    ids_.resize(static_cast<size_t>(n_vocab));
    for (int32_t i = 0; i < n_vocab; ++i) {
        const float l = logits[i];
        probs_[static_cast<size_t>(i)] = l == l ? std::exp((l - max) * inv_t) : 0.0f;
        ids_[static_cast<size_t>(i)] = i;
    }
    // A total order: higher probability first, then lower id.
    auto better = [this](int32_t a, int32_t b) {
        const float pa = probs_[static_cast<size_t>(a)], pb = probs_[static_cast<size_t>(b)];
        return pa > pb || (pa == pb && a < b);
    };

    auto keep_end = ids_.end();
    if (params_.top_k > 0 && params_.top_k < n_vocab) {
        keep_end = ids_.begin() + params_.top_k;
        std::partial_sort(ids_.begin(), keep_end, ids_.end(), better);
    }
    if (params_.top_p < 1.0f) {
        double total = 0.0;
        for (auto it = ids_.begin(); it != keep_end; ++it) total += probs_[static_cast<size_t>(*it)];
        const double target = static_cast<double>(std::max(params_.top_p, 0.0f)) * total;
        // Sort a growing prefix until it holds the mass wanted (usually a few dozen tokens).
        const ptrdiff_t n_keep = keep_end - ids_.begin();
        ptrdiff_t m = std::min<ptrdiff_t>(n_keep, 64);
        for (;;) {
            std::partial_sort(ids_.begin(), ids_.begin() + m, keep_end, better);
            double cum = 0.0;
            ptrdiff_t j = 0;
            while (j < m && cum < target) cum += probs_[static_cast<size_t>(ids_[static_cast<size_t>(j++)])];
            if (cum >= target || m == n_keep) {
                keep_end = ids_.begin() + std::max<ptrdiff_t>(j, 1);
                break;
            }
            m = std::min<ptrdiff_t>(n_keep, m * 4);
        }
    }

    double mass = 0.0;
    for (auto it = ids_.begin(); it != keep_end; ++it) mass += probs_[static_cast<size_t>(*it)];
    const double r = rng_.uniform() * mass;
    double acc = 0.0;
    for (auto it = ids_.begin(); it != keep_end; ++it) {
        acc += probs_[static_cast<size_t>(*it)];
        if (r < acc) return *it;
    }
    return *(keep_end - 1);
}

}  // namespace trit
