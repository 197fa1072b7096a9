// Token sampling: greedy, temperature, top-k, top-p, with the engine's own seeded RNG so that a seed gives
// the same tokens on every platform (std:: distributions are implementation-defined).
//
// Order (as Hugging Face's logits warpers): temperature scales the logits, top-k keeps the k largest,
// softmax, top-p keeps the smallest prefix of the sorted probabilities whose mass reaches p, then one draw.
#pragma once

#include <cstdint>
#include <vector>

#include "trit/engine.h"

namespace trit {

// splitmix64: tiny, fast, and statistically sound enough for sampling.
class Rng {
  public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next();
    double uniform();  // in [0, 1), 53 random bits

  private:
    uint64_t state_;
};

class Sampler {
  public:
    explicit Sampler(const SamplerParams& params);

    // Picks a token from logits[0..n_vocab). Greedy (temperature <= 0) returns the argmax, lowest id on ties.
    int32_t sample(const float* logits, int32_t n_vocab);

  private:
    SamplerParams params_;
    Rng rng_;
    std::vector<int32_t> ids_;
    std::vector<float> probs_;
};

// Argmax with the lowest id winning ties.
int32_t argmax(const float* logits, int32_t n);

}  // namespace trit
