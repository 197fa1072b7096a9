// The engine behind trit::Engine on a real fixture model: prefix reuse and truncation, LRU eviction under the
// KV budget, cancellation (between tokens and between layers), time budget, context end, stop strings and
// streaming, sampling, request validation, info/stats, thread-count independence, and the thread pool itself.
#include <cstring>
#include <thread>

#include "check.h"
#include "fixtures.h"
#include "forward.h"
#include "sampler.h"
#include "stop-filter.h"
#include "threadpool.h"
#include "trit/engine.h"
#include "vocab.h"

namespace {

using trit::CompleteRequest;
using trit::CompleteResult;
using trit::StopReason;

const std::string kModel = "fixture-b158-i2_s";

std::unique_ptr<trit::Engine> load(int32_t n_threads = 1, int32_t n_ctx = 512, int64_t kv_budget = 0) {
    trit::LoadOptions opt;
    opt.n_threads = n_threads;
    opt.n_ctx = n_ctx;
    opt.kv_budget_bytes = kv_budget;
    return trit::Engine::load(fixtures::model_path(fixtures::model(kModel)), opt);
}

CompleteResult run(trit::Engine& e, const std::string& slot, const std::vector<int32_t>& prompt,
                   int32_t n_predict = 0, bool logits_last = true) {
    CompleteRequest req;
    req.slot = slot;
    req.prompt = prompt;
    req.n_predict = n_predict;
    req.logits_last = logits_last;
    req.ignore_eog = true;
    std::atomic<bool> cancel{false};
    return e.complete(req, cancel, nullptr);
}

std::vector<int32_t> head(const std::vector<int32_t>& v, size_t n) {
    return std::vector<int32_t>(v.begin(), v.begin() + static_cast<ptrdiff_t>(n));
}

bool same(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ---------------------------------------------------------------------------------------------------------------

TEST(prefix_reuse) {
    std::unique_ptr<trit::Engine> e = load();
    const std::vector<int32_t> p = fixtures::prompt("p94");
    const CompleteResult scratch = run(*e, "", p);  // from scratch (the scratch slot never reuses)
    CHECK(scratch.n_reused == 0 && scratch.n_evaluated == 94);

    // A, then A+B: only B is evaluated and the logits equal the from-scratch ones bit for bit.
    const CompleteResult a = run(*e, "doc", head(p, 50));
    CHECK(a.n_reused == 0 && a.n_evaluated == 50);
    const CompleteResult ab = run(*e, "doc", p);
    CHECK(ab.n_reused == 50 && ab.n_evaluated == 44);
    CHECK(same(ab.logits, scratch.logits));

    // The same prompt again: everything but the last token is reused (its logits are needed).
    const CompleteResult again = run(*e, "doc", p);
    CHECK(again.n_reused == 93 && again.n_evaluated == 1);
    CHECK(same(again.logits, scratch.logits));

    // A prefix of what the slot holds: truncated back, one token evaluated.
    const CompleteResult shorter = run(*e, "doc", head(p, 30));
    CHECK(shorter.n_reused == 29 && shorter.n_evaluated == 1);
    CHECK(same(shorter.logits, run(*e, "", head(p, 30)).logits));

    // An edit in the middle: keep the common prefix, re-evaluate from the edit on.
    run(*e, "doc", p);
    std::vector<int32_t> edited = p;
    edited[40] = 300;
    edited.insert(edited.begin() + 60, {301, 302});
    const CompleteResult ed = run(*e, "doc", edited);
    CHECK(ed.n_reused == 40 && ed.n_evaluated == static_cast<int32_t>(edited.size()) - 40);
    CHECK(same(ed.logits, run(*e, "", edited).logits));

    // logits_all evaluates from scratch and returns every row; its last row equals logits_last.
    CompleteRequest req;
    req.slot = "doc";
    req.prompt = p;
    req.n_predict = 0;
    req.logits_all = true;
    std::atomic<bool> cancel{false};
    const CompleteResult all = e->complete(req, cancel, nullptr);
    CHECK(all.n_reused == 0 && all.n_evaluated == 94);
    REQUIRE(all.logits.size() == 94u * 509u);
    CHECK(std::memcmp(all.logits.data() + 93 * 509, scratch.logits.data(), 509 * sizeof(float)) == 0);
}

TEST(generation_continues_from_cache) {
    std::unique_ptr<trit::Engine> e = load();
    const std::vector<int32_t> p = fixtures::prompt("p7");
    const CompleteResult g = run(*e, "chat", p, 16, false);
    REQUIRE(g.tokens.size() == 16);
    // The slot holds the prompt and the generated tokens it evaluated (all but the last one).
    std::vector<int32_t> next = p;
    next.insert(next.end(), g.tokens.begin(), g.tokens.end());
    const CompleteResult cont = run(*e, "chat", next, 8, false);
    CHECK(cont.n_reused == static_cast<int32_t>(next.size()) - 1 && cont.n_evaluated == 1);
    // Greedy generation is deterministic: 16 then 8 more tokens equal 24 in one go.
    const CompleteResult once = run(*e, "other", p, 24, false);
    std::vector<int32_t> joined = g.tokens;
    joined.insert(joined.end(), cont.tokens.begin(), cont.tokens.end());
    CHECK(once.tokens == joined);
    const trit::EngineStats st = e->stats();
    CHECK(st.n_jobs == 3);
    bool found = false;
    for (const trit::SlotStats& s : st.slots) {
        if (s.name == "chat") {
            found = true;
            CHECK(s.n_tokens == static_cast<int32_t>(next.size()) + 7);
            CHECK(s.kv_bytes > 0);
        }
    }
    CHECK(found);
}

TEST(lru_eviction) {
    // Budget: 3 slots of 256 positions (the cache grows in steps of 256).
    const int64_t per_256 = 2LL * 2 /*layers*/ * 128 /*n_embd_kv*/ * 256 * 2 /*bytes*/;
    std::unique_ptr<trit::Engine> e = load(1, 512, 3 * per_256);
    const std::vector<int32_t> p = head(fixtures::prompt("p438"), 200);
    run(*e, "a", p);
    run(*e, "b", p);
    run(*e, "c", p);
    CHECK(e->stats().slots.size() == 3);
    CHECK(run(*e, "a", p).n_reused == 199);  // touch a: b is now the least recently used
    run(*e, "d", p);                         // needs room: evicts b
    trit::EngineStats st = e->stats();
    std::vector<std::string> names;
    for (const trit::SlotStats& s : st.slots) names.push_back(s.name);
    CHECK((names == std::vector<std::string>{"a", "c", "d"}));
    CHECK(st.kv_bytes <= st.kv_budget_bytes);
    CHECK(run(*e, "b", p).n_reused == 0);  // b was evicted and starts over (evicting c)
    // A request that cannot fit the budget even alone is a memory error, not a crash.
    std::unique_ptr<trit::Engine> tiny = load(1, 512, per_256 / 4);
    CHECK_THROWS_CODE(run(*tiny, "x", p), trit::ErrorCode::memory);
    // slot_drop frees the slot.
    e->slot_drop("a");
    for (const trit::SlotStats& s : e->stats().slots) CHECK(s.name != "a");
}

TEST(cancellation) {
    std::unique_ptr<trit::Engine> e = load();
    const std::vector<int32_t> p = fixtures::prompt("p94");
    // Cancelled from the streaming callback after the 3rd piece: no further token is produced.
    CompleteRequest req;
    req.slot = "s";
    req.prompt = p;
    req.n_predict = 200;
    req.ignore_eog = true;
    std::atomic<bool> cancel{false};
    int pieces = 0;
    const CompleteResult r = e->complete(req, cancel, [&](std::string_view) {
        if (++pieces == 3) cancel = true;
    });
    CHECK(r.stop_reason == StopReason::cancelled);
    CHECK(pieces == 3);
    CHECK(r.n_generated >= 3 && r.n_generated <= 4);
    CHECK(e->stats().n_cancelled == 1);
    // Cancelled before it starts: no prompt token is evaluated and the slot stays usable.
    std::atomic<bool> pre{true};
    req.slot = "t";
    const CompleteResult r2 = e->complete(req, pre, nullptr);
    CHECK(r2.stop_reason == StopReason::cancelled && r2.n_evaluated == 0 && r2.tokens.empty());
    const CompleteResult after = run(*e, "t", p);
    CHECK(after.n_reused == 0 && same(after.logits, run(*e, "", p).logits));
    // The slot of the first job holds what was evaluated before the cancel; reusing it gives correct logits.
    std::vector<int32_t> cont = p;
    cont.insert(cont.end(), r.tokens.begin(), r.tokens.end());
    const CompleteResult c = run(*e, "s", cont);
    CHECK(c.n_reused >= static_cast<int32_t>(p.size()));
    CHECK(same(c.logits, run(*e, "", cont).logits));
}

TEST(cancellation_between_layers) {
    // The forward pass polls its interrupt hook before every layer and stops right there.
    trit::LoadOptions opt;
    const trit::KernelTable& kt = *trit::kernels_select("");
    std::unique_ptr<trit::Model> m =
        trit::Model::load(fixtures::model_path(fixtures::model(kModel)), opt, kt);
    trit::ThreadPool pool(1);
    trit::Forward fwd(*m, kt, pool, 64, 128);
    trit::KvCache kv(m->hparams().n_layer, m->hparams().n_head_kv, m->hparams().head_dim);
    kv.reserve(64, 0);
    const std::vector<int32_t> p = head(fixtures::prompt("p94"), 64);
    std::vector<float> logits(509);
    int polls = 0;
    CHECK(!fwd.eval(kv, p.data(), 64, 0, trit::Forward::Logits::last, logits.data(),
                    [&] { return ++polls == 2; }));
    CHECK(polls == 2);  // layer 0 ran, stopped before layer 1
    polls = 0;
    CHECK(fwd.eval(kv, p.data(), 64, 0, trit::Forward::Logits::last, logits.data(),
                   [&] { return ++polls > 100; }));
    CHECK(polls == m->hparams().n_layer + 1);
}

TEST(time_budget_and_context_end) {
    std::unique_ptr<trit::Engine> e = load(1, 64);
    const std::vector<int32_t> p = head(fixtures::prompt("p94"), 60);
    // Context end: 60 prompt tokens in a 64-token context leave room to evaluate 4 generated tokens, and a
    // 5th is sampled from the last logits.
    CompleteResult r = run(*e, "s", p, 100, false);
    CHECK(r.stop_reason == StopReason::context);
    CHECK(r.n_generated == 5);
    // A prompt longer than the context is an argument error naming both numbers.
    try {
        run(*e, "s", fixtures::prompt("p94"));
        CHECK(false);
    } catch (const trit::Error& err) {
        CHECK(err.code() == trit::ErrorCode::argument);
        CHECK(std::string(err.what()).find("94 tokens") != std::string::npos);
    }
    // Time budget.
    std::unique_ptr<trit::Engine> big = load(1, 512);
    CompleteRequest req;
    req.slot = "t";
    req.prompt = fixtures::prompt("p7");
    req.n_predict = 500;
    req.ignore_eog = true;
    req.time_budget_ms = 5;
    std::atomic<bool> cancel{false};
    r = big->complete(req, cancel, nullptr);
    CHECK(r.stop_reason == StopReason::time);
    CHECK(r.n_generated < 500);
}

TEST(request_validation) {
    std::unique_ptr<trit::Engine> e = load();
    std::atomic<bool> cancel{false};
    CompleteRequest req;
    CHECK_THROWS_CODE(e->complete(req, cancel, nullptr), trit::ErrorCode::argument);  // empty prompt
    req.prompt = {506, 509};
    CHECK_THROWS_CODE(e->complete(req, cancel, nullptr), trit::ErrorCode::argument);  // id out of range
    req.prompt = {506, -1};
    CHECK_THROWS_CODE(e->complete(req, cancel, nullptr), trit::ErrorCode::argument);
    req.prompt = {506};
    req.n_predict = -1;
    CHECK_THROWS_CODE(e->complete(req, cancel, nullptr), trit::ErrorCode::argument);
    CHECK_THROWS_CODE(e->detokenize({1, 9999}, false), trit::ErrorCode::argument);
}

TEST(stop_strings_and_streaming) {
    std::unique_ptr<trit::Engine> e = load();
    const std::vector<int32_t> p = fixtures::prompt("p94");
    CompleteRequest req;
    req.slot = "s";
    req.prompt = p;
    req.n_predict = 48;
    req.ignore_eog = true;
    std::atomic<bool> cancel{false};
    std::string streamed;
    const CompleteResult full = e->complete(req, cancel, [&](std::string_view s) { streamed += s; });
    CHECK(streamed == full.text);
    CHECK(full.stop_reason == StopReason::length);
    trit::Utf8Stream utf8;  // the text is the tokens' bytes as complete UTF-8 (invalid bytes become U+FFFD)
    CHECK(utf8.push(e->detokenize(full.tokens, false)) + utf8.flush() == full.text);
    REQUIRE(full.text.size() > 12);
    // Stop at a string taken from the middle of that text: the text ends right before it, the streamed pieces
    // never contained any of it, and generation stopped early.
    const size_t at = full.text.size() / 2;
    const std::string stop = full.text.substr(at, 4);
    const size_t first = full.text.find(stop);
    req.stop = {"never-appears", stop};
    streamed.clear();
    const CompleteResult r = e->complete(req, cancel, [&](std::string_view s) { streamed += s; });
    CHECK(r.stop_reason == StopReason::stop);
    CHECK(r.text == full.text.substr(0, first));
    CHECK(streamed == r.text);
    CHECK(r.n_generated < full.n_generated);
}

TEST(stop_filter) {
    trit::StopFilter f({"abc", "xyz", ""});
    std::string out = f.push("hello a");
    CHECK(out == "hello ");  // "a" could start "abc"
    out = f.push("b");
    CHECK(out.empty());  // "ab" still could
    out = f.push("d and x");
    CHECK(out == "abd and ");
    out = f.push("yz tail");
    CHECK(out.empty() && f.stopped());
    CHECK(f.push("more").empty());
    trit::StopFilter g({"END"});
    CHECK(g.push("the E") == "the ");
    CHECK(g.flush() == "E");  // generation ended for another reason: release what was held
    trit::StopFilter h({"aab"});
    CHECK(h.push("aaaab") == "aa" && h.stopped());
}

TEST(sampling) {
    // Greedy: argmax with the lowest id on ties.
    const float tie[5] = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f};
    CHECK(trit::argmax(tie, 5) == 1);
    trit::SamplerParams greedy;
    CHECK(trit::Sampler(greedy).sample(tie, 5) == 1);
    // top_k = 1 and a tiny top_p are greedy too, whatever the temperature.
    trit::SamplerParams k1;
    k1.temperature = 5.0f;
    k1.top_k = 1;
    CHECK(trit::Sampler(k1).sample(tie, 5) == 1);
    trit::SamplerParams p0;
    p0.temperature = 1.0f;
    p0.top_p = 0.0f;
    for (int i = 0; i < 20; ++i) CHECK(trit::Sampler(p0).sample(tie, 5) == 1);
    // The same seed gives the same sequence; the draws follow softmax(logits / T).
    const float logits[4] = {0.0f, std::log(2.0f), std::log(3.0f), std::log(4.0f)};  // p = 0.1, 0.2, 0.3, 0.4
    trit::SamplerParams sp;
    sp.temperature = 1.0f;
    sp.seed = 42;
    trit::Sampler s1(sp), s2(sp);
    int counts[4] = {0, 0, 0, 0};
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        const int32_t a = s1.sample(logits, 4);
        CHECK(a == s2.sample(logits, 4));
        ++counts[a];
    }
    for (int i = 0; i < 4; ++i) CHECK(std::fabs(counts[i] / double(n) - 0.1 * (i + 1)) < 0.015);
    // top_k = 2 keeps only the two largest; top_p = 0.65 keeps {0.4, 0.3} (0.7 ≥ 0.65).
    trit::SamplerParams tk = sp;
    tk.top_k = 2;
    trit::SamplerParams tp = sp;
    tp.top_p = 0.65f;
    trit::Sampler sk(tk), spp(tp);
    for (int i = 0; i < 2000; ++i) {
        CHECK(sk.sample(logits, 4) >= 2);
        CHECK(spp.sample(logits, 4) >= 2);
    }
    // Through the engine: a seed reproduces a sampled continuation.
    std::unique_ptr<trit::Engine> e = load();
    CompleteRequest req;
    req.prompt = fixtures::prompt("p7");
    req.n_predict = 20;
    req.ignore_eog = true;
    req.sampling.temperature = 0.9f;
    req.sampling.top_k = 40;
    req.sampling.top_p = 0.95f;
    req.sampling.seed = 7;
    std::atomic<bool> cancel{false};
    const CompleteResult a = e->complete(req, cancel, nullptr);
    const CompleteResult b = e->complete(req, cancel, nullptr);
    CHECK(a.tokens == b.tokens && a.tokens.size() == 20);
}

TEST(info_and_tokenizer) {
    std::unique_ptr<trit::Engine> e = load(2);
    const trit::ModelInfo& i = e->info();
    CHECK(i.arch == "bitnet-b1.58" && i.weight_type == "I2_S" && i.embd_type == "F16" &&
          i.lm_head_type == "F16");
    CHECK(i.n_vocab == 509 && i.n_embd == 256 && i.n_layer == 2 && i.n_head == 4 && i.n_head_kv == 2 &&
          i.n_ff == 512);
    CHECK(i.n_ctx == 512 && i.n_ctx_train == 512 && i.n_rot == 64 && i.rope_freq_base == 500000.0f);
    CHECK(i.special.bos == 506 && i.special.eos == 507);
    CHECK(i.n_threads == 2 && !i.kernels.empty());
    CHECK(i.file_bytes == 582784 && i.n_params > 0);
    CHECK(i.meta.count("general.architecture") == 1);
    CHECK(e->stats().weight_bytes > 0);
    // The model's tokenizer reproduces the fixture prompts' ids.
    for (const char* pid : {"p7", "p94"}) {
        const std::vector<uint8_t> text = fixtures::read_bytes(fixtures::dir() + "/prompts/" + pid + ".txt");
        const std::vector<int32_t> ids = e->tokenize(std::string(text.begin(), text.end()), true, true);
        CHECK_MSG(ids == fixtures::prompt(pid), pid);
    }
}

TEST(threads_give_identical_results) {
    const std::vector<int32_t> p = fixtures::prompt("p438");
    std::unique_ptr<trit::Engine> one = load(1), two = load(2), three = load(3);
    const CompleteResult a = run(*one, "", p, 8), b = run(*two, "", p, 8), c = run(*three, "", p, 8);
    CHECK(same(a.logits, b.logits) && same(a.logits, c.logits));
    CHECK(a.tokens == b.tokens && a.tokens == c.tokens);
}

TEST(slot_drop_during_job) {
    std::unique_ptr<trit::Engine> e = load();
    CompleteRequest req;
    req.slot = "busy";
    req.prompt = fixtures::prompt("p94");
    req.n_predict = 10;
    req.ignore_eog = true;
    std::atomic<bool> cancel{false};
    // slot_drop from another thread while the job runs is deferred to the job's end.
    std::atomic<bool> dropped{false};
    const CompleteResult r = e->complete(req, cancel, [&](std::string_view) {
        if (!dropped.exchange(true)) {
            std::thread t([&] {
                e->slot_drop("busy");
                (void)e->stats();
            });
            t.join();
        }
    });
    CHECK(r.n_generated == 10);
    for (const trit::SlotStats& s : e->stats().slots) CHECK(s.name != "busy");
}

TEST(thread_pool) {
    for (int32_t n : {1, 2, 3, 8}) {
        trit::ThreadPool pool(n);
        std::vector<int64_t> hits(1000, 0);
        for (int rep = 0; rep < 200; ++rep) {
            pool.run([&](int32_t ith, int32_t nth) {
                int64_t a, b;
                trit::split_range(1000, ith, nth, 4, &a, &b);
                for (int64_t i = a; i < b; ++i) ++hits[static_cast<size_t>(i)];
            });
        }
        for (int64_t h : hits) CHECK(h == 200);
    }
    // split_range covers [0, n) exactly with aligned boundaries.
    for (int64_t n : {0, 1, 5, 64, 1001}) {
        for (int32_t nth : {1, 2, 3, 7}) {
            int64_t covered = 0, prev_end = 0;
            for (int32_t ith = 0; ith < nth; ++ith) {
                int64_t a, b;
                trit::split_range(n, ith, nth, 4, &a, &b);
                CHECK(a == prev_end && b >= a && (b == n || b % 4 == 0));
                covered += b - a;
                prev_end = b;
            }
            CHECK(covered == n);
        }
    }
    CHECK(trit::physical_core_count() >= 1);
    CHECK(trit::memory_read_bandwidth(1, 8 << 20) > 0);
}


TEST(lm_head_q8) {
    // The 8-bit LM head option: the F16 embedding is re-quantized to Q8_0 at load and used with Q8_0 activations.
    trit::LoadOptions opt;
    opt.n_threads = 1;
    opt.lm_head = "q8";
    std::unique_ptr<trit::Engine> q8 = trit::Engine::load(fixtures::model_path(fixtures::model(kModel)), opt);
    std::unique_ptr<trit::Engine> f16 = load();
    CHECK(q8->info().lm_head_type == "Q8_0" && q8->info().embd_type == "F16");
    CHECK(q8->stats().weight_bytes < f16->stats().weight_bytes);
    CompleteRequest req;
    req.prompt = fixtures::prompt("p438");
    req.logits_all = true;
    req.n_predict = 0;
    std::atomic<bool> cancel{false};
    const CompleteResult a = q8->complete(req, cancel, nullptr), b = f16->complete(req, cancel, nullptr);
    REQUIRE(a.logits.size() == b.logits.size());
    int agree = 0;
    double max_diff = 0;
    for (size_t row = 0; row < 438; ++row) {
        const float* la = &a.logits[row * 509];
        const float* lb = &b.logits[row * 509];
        agree += trit::argmax(la, 509) == trit::argmax(lb, 509);
        for (int i = 0; i < 509; ++i) max_diff = std::max(max_diff, static_cast<double>(std::fabs(la[i] - lb[i])));
    }
    std::fprintf(stderr, "    q8 head vs F16 head on p438: top-1 agreement %.1f %%, max |Δlogit| %.3f\n",
                 100.0 * agree / 438, max_diff);
    CHECK(agree >= 416);  // ≥ 95 %: a sanity bound (a broken head agrees by chance only); measured 97.7 %
    CHECK(max_diff < 0.5);
}

}  // namespace

int main(int argc, char** argv) {
    return check::run_all(argc, argv);
}
