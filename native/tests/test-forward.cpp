// The forward pass against the reference engines' golden logits (test/fixtures/bitnet): for every fixture
// model, every prompt and every kernel table this CPU runs, the logits at every prompt position must be
// within the fixture set's "same numerics" tolerances, for the batched prefill AND the token-by-token path,
// and the 32 greedy tokens must equal the golden's up to its first low-margin step. Batched and
// token-by-token logits must also be bit-identical to each other (both run the same kernels per output
// element), and so must the logits after small batches (2–4 tokens share one pass over the cache).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "check.h"
#include "fixtures.h"
#include "trit/engine.h"

namespace {

using testjson::Value;

struct Run {
    std::vector<float> logits;  // [n_prompt × n_vocab]
    std::vector<int32_t> generated;
};

Run run_batch(trit::Engine& engine, const std::vector<int32_t>& prompt) {
    trit::CompleteRequest req;
    req.slot = "batch";
    req.prompt = prompt;
    req.n_predict = 32;
    req.ignore_eog = true;
    req.logits_all = true;
    std::atomic<bool> cancel{false};
    trit::CompleteResult res = engine.complete(req, cancel, nullptr);
    CHECK(res.n_prompt == static_cast<int32_t>(prompt.size()));
    CHECK(res.n_evaluated == static_cast<int32_t>(prompt.size()));
    CHECK(res.stop_reason == trit::StopReason::length);
    return {std::move(res.logits), std::move(res.tokens)};
}

// Token by token through the slot API: each request extends the previous prompt by one token, so the engine
// reuses the cache and evaluates exactly one token per call.
std::vector<float> run_seq(trit::Engine& engine, const std::vector<int32_t>& prompt, int32_t n_vocab) {
    std::vector<float> logits;
    logits.reserve(prompt.size() * static_cast<size_t>(n_vocab));
    std::atomic<bool> cancel{false};
    for (size_t i = 1; i <= prompt.size(); ++i) {
        trit::CompleteRequest req;
        req.slot = "seq";
        req.prompt.assign(prompt.begin(), prompt.begin() + static_cast<ptrdiff_t>(i));
        req.n_predict = 0;
        req.logits_last = true;
        const trit::CompleteResult res = engine.complete(req, cancel, nullptr);
        CHECK(res.n_reused == static_cast<int32_t>(i - 1));
        CHECK(res.n_evaluated == 1);
        CHECK(res.logits.size() == static_cast<size_t>(n_vocab));
        logits.insert(logits.end(), res.logits.begin(), res.logits.end());
    }
    return logits;
}

bool check_against_golden(const std::vector<float>& cand, const std::vector<float>& gold, int32_t n_rows,
                          int32_t n_vocab, const Value& tol, const std::string& label) {
    bool ok = true;
    const int32_t head = std::min(n_rows, 32);
    const fixtures::WindowResult first = fixtures::compare_window(cand.data(), gold.data(), 0, head, n_vocab,
                                                                  tol["first_32_positions"], "pos<32");
    const fixtures::WindowResult all = fixtures::compare_window(cand.data(), gold.data(), 0, n_rows, n_vocab,
                                                                tol["all_positions"], "all   ");
    std::fprintf(stderr, "    %s\n      %s\n      %s\n", label.c_str(), first.report.c_str(),
                 all.report.c_str());
    ok &= first.ok && all.ok;
    return ok;
}

// Small batches through the slot API (chunks of 2, 3, 4, 1 tokens, as a re-prompt after an edit evaluates
// them): the logits of each chunk's last token, which must equal the token-by-token ones bit for bit.
void check_small_batches(trit::Engine& engine, const std::vector<int32_t>& prompt, const std::vector<float>& seq,
                         int32_t n_vocab, const std::string& where) {
    std::atomic<bool> cancel{false};
    static const int32_t sizes[] = {2, 3, 4, 1};
    size_t end = 0;
    for (int i = 0; end < prompt.size(); ++i) {
        const size_t start = end;
        end = std::min(prompt.size(), end + static_cast<size_t>(sizes[i % 4]));
        trit::CompleteRequest req;
        req.slot = "chunks " + where;
        req.prompt.assign(prompt.begin(), prompt.begin() + static_cast<ptrdiff_t>(end));
        req.n_predict = 0;
        req.logits_last = true;
        const trit::CompleteResult res = engine.complete(req, cancel, nullptr);
        CHECK(res.n_evaluated == static_cast<int32_t>(end - start));
        REQUIRE(res.logits.size() == static_cast<size_t>(n_vocab));
        const float* want = seq.data() + (end - 1) * static_cast<size_t>(n_vocab);
        if (std::memcmp(res.logits.data(), want, res.logits.size() * sizeof(float)) != 0) {
            CHECK_MSG(false, where + ": logits after a batch of " + std::to_string(end - start) + " tokens ending at " +
                                 std::to_string(end) + " differ from token by token");
            return;
        }
    }
}

void test_model(const std::string& id) {
    const Value& m = fixtures::model(id);
    const int32_t n_vocab = static_cast<int32_t>(m["shapes"]["n_vocab"].num);
    const Value& tol = m["same_numerics"];
    // The best table runs every prompt with 2 threads; the others (bit-identical by design) run the two
    // shorter prompts on 1 thread, which keeps the suite fast on a small shared machine.
    const std::vector<std::string> tables = trit::available_kernels();
    for (const std::string& kernels : tables) {
        const bool best = kernels == tables.front();
        trit::LoadOptions opt;
        opt.kernels = kernels;
        opt.n_threads = best ? 2 : 1;
        opt.n_ctx = 512;
        std::unique_ptr<trit::Engine> engine = trit::Engine::load(fixtures::model_path(m), opt);
        REQUIRE(engine->info().n_vocab == n_vocab);
        REQUIRE(engine->info().kernels == kernels);
        for (const Value& g : m["goldens"].arr) {
            const std::string pid = g["prompt"].str;
            if (!best && pid == "p438") continue;
            const std::vector<int32_t> prompt = fixtures::prompt(pid);
            const int32_t n = static_cast<int32_t>(prompt.size());
            const std::vector<float> gold = fixtures::read_f32(fixtures::dir() + "/" + g["logits_file"].str);
            REQUIRE(gold.size() == static_cast<size_t>(n) * static_cast<size_t>(n_vocab));
            const std::string where = id + " / " + pid + " / " + kernels;

            const Run batch = run_batch(*engine, prompt);
            REQUIRE(batch.logits.size() == gold.size());
            CHECK_MSG(check_against_golden(batch.logits, gold, n, n_vocab, tol, where + " / batched prefill"),
                      where);

            const std::vector<float> seq = run_seq(*engine, prompt, n_vocab);
            REQUIRE(seq.size() == gold.size());
            CHECK_MSG(check_against_golden(seq, gold, n, n_vocab, tol, where + " / token by token"), where);
            CHECK_MSG(std::memcmp(seq.data(), batch.logits.data(), seq.size() * sizeof(float)) == 0,
                      where + ": batched and token-by-token logits differ");
            check_small_batches(*engine, prompt, seq, n_vocab, where);

            // Greedy: equal to the golden up to its first step whose top-2 margin is below the guard.
            const std::vector<int32_t> ref = g["generated"].ints();
            const std::vector<double> margins = g["gen_top2_margin"].numbers();
            const double guard = tol["all_positions"]["top1_must_match_where_golden_margin_above"].num;
            size_t must = 0;
            while (must < ref.size() && margins[must] >= guard) ++must;
            size_t same = 0;
            while (same < std::min(ref.size(), batch.generated.size()) && batch.generated[same] == ref[same])
                ++same;
            std::fprintf(stderr, "      greedy: %zu leading tokens equal, %zu required\n", same, must);
            CHECK_MSG(same >= must, where + ": greedy tokens diverge from the golden too early");
        }
    }
}

// The 8-bit LM head option: "q8" keeps the greedy token of the file's F16 head at every position (its top
// logits are recomputed from the F16 head, bit for bit), "q8-plain" is the Q8_0 head alone and stays close.
TEST(lm_head_q8) {
    for (const char* id : {"fixture-b158-i2_s", "fixture-bitnet-tq2_0"}) {
        const Value& m = fixtures::model(id);
        const int32_t n_vocab = static_cast<int32_t>(m["shapes"]["n_vocab"].num);
        auto load = [&](const char* head) {
            trit::LoadOptions opt;
            opt.n_threads = 2;
            opt.n_ctx = 512;
            opt.lm_head = head;
            return trit::Engine::load(fixtures::model_path(m), opt);
        };
        std::unique_ptr<trit::Engine> file = load("file"), q8 = load("q8"), plain = load("q8-plain");
        CHECK(file->info().lm_head_type == "F16");
        CHECK(q8->info().lm_head_type == "Q8_0");
        CHECK(plain->info().lm_head_type == "Q8_0");
        std::unique_ptr<trit::Engine> automatic = load("auto");  // a 509 × 256 head stays as in the file
        CHECK(automatic->info().lm_head_type == "F16");
        for (const Value& g : m["goldens"].arr) {
            const std::vector<int32_t> prompt = fixtures::prompt(g["prompt"].str);
            const int32_t n = static_cast<int32_t>(prompt.size());
            const Run a = run_batch(*file, prompt), b = run_batch(*q8, prompt), c = run_batch(*plain, prompt);
            int32_t plain_agree = 0;
            for (int32_t t = 0; t < n; ++t) {
                const float* ra = &a.logits[static_cast<size_t>(t) * static_cast<size_t>(n_vocab)];
                const float* rb = &b.logits[static_cast<size_t>(t) * static_cast<size_t>(n_vocab)];
                const float* rc = &c.logits[static_cast<size_t>(t) * static_cast<size_t>(n_vocab)];
                const int32_t top = fixtures::argmax_row(ra, n_vocab);
                CHECK(fixtures::argmax_row(rb, n_vocab) == top);
                CHECK(rb[top] == ra[top]);
                float mag = 0, diff = 0;
                for (int32_t i = 0; i < n_vocab; ++i) {
                    mag = std::max(mag, std::fabs(ra[i]));
                    diff = std::max(diff, std::fabs(ra[i] - rc[i]));
                }
                CHECK(diff <= 0.05f * mag);
                if (fixtures::argmax_row(rc, n_vocab) == top) ++plain_agree;
            }
            CHECK(a.generated == b.generated);
            std::fprintf(stderr, "      %s / %s: q8 top-1 %d/%d, q8-plain top-1 %d/%d\n", id, g["prompt"].str.c_str(),
                         n, n, plain_agree, n);
        }
    }
}

TEST(forward_b158_f32) {
    test_model("fixture-b158-f32");
}
TEST(forward_b158_i2_s) {
    test_model("fixture-b158-i2_s");
}
TEST(forward_bitnet_f32) {
    test_model("fixture-bitnet-f32");
}
TEST(forward_bitnet_tq2_0) {
    test_model("fixture-bitnet-tq2_0");
}
TEST(forward_bitnet_tq1_0) {
    test_model("fixture-bitnet-tq1_0");
}

}  // namespace

int main(int argc, char** argv) {
    return check::run_all(argc, argv);
}
