// Debugging aid: evaluates a token list in one batch and writes the logits of every position as little-endian
// float32 [n_tokens × n_vocab] (the layout of the fixture goldens and of `trit logits`).
//
//   dump-logits MODEL.gguf 1,2,3 OUT.bin [kernels]
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "trit/engine.h"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s MODEL.gguf TOKENS(1,2,3) OUT.bin [kernels]\n", argv[0]);
        return 2;
    }
    try {
        trit::LoadOptions opt;
        if (argc > 4) opt.kernels = argv[4];
        std::unique_ptr<trit::Engine> engine = trit::Engine::load(argv[1], opt);
        trit::CompleteRequest req;
        std::stringstream ss(argv[2]);
        for (std::string item; std::getline(ss, item, ',');) req.prompt.push_back(std::stoi(item));
        req.n_predict = 0;
        req.logits_all = true;
        std::atomic<bool> cancel{false};
        const trit::CompleteResult res = engine->complete(req, cancel, nullptr);
        FILE* f = std::fopen(argv[3], "wb");
        if (f == nullptr) throw std::runtime_error(std::string("cannot write ") + argv[3]);
        std::fwrite(res.logits.data(), sizeof(float), res.logits.size(), f);
        std::fclose(f);
        std::fprintf(stderr, "%s: %d tokens × %d logits, kernels %s\n", argv[3], res.n_prompt,
                     engine->info().n_vocab, engine->info().kernels.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
