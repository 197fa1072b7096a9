// memory_read_bandwidth(): a streaming-read probe for the benchmark's decode roofline.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "threadpool.h"
#include "trit/engine.h"

namespace trit {

double memory_read_bandwidth(int32_t n_threads, int64_t buffer_bytes) {
    if (n_threads <= 0) n_threads = physical_core_count();
    buffer_bytes = std::max<int64_t>(buffer_bytes, int64_t(1) << 20);
    const size_t n_words = static_cast<size_t>(buffer_bytes) / sizeof(uint64_t);
    std::vector<uint64_t> buf;
    try {
        buf.resize(n_words);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorCode::memory,
                    "not enough memory for a " + std::to_string(buffer_bytes >> 20) + " MiB probe");
    }
    for (size_t i = 0; i < n_words; ++i) buf[i] = i * 0x9e3779b97f4a7c15ull;  // touch every page first

    ThreadPool pool(n_threads);
    std::vector<uint64_t> sums(static_cast<size_t>(n_threads) * 8, 0);  // one cache line per thread
    double best = 0.0;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run([&](int32_t ith, int32_t nth) {
            int64_t w0, w1;
            split_range(static_cast<int64_t>(n_words), ith, nth, 64, &w0, &w1);
            uint64_t a = 0, b = 0, c = 0, d = 0;
            int64_t i = w0;
            for (; i + 4 <= w1; i += 4) {
                a += buf[static_cast<size_t>(i)];
                b += buf[static_cast<size_t>(i + 1)];
                c += buf[static_cast<size_t>(i + 2)];
                d += buf[static_cast<size_t>(i + 3)];
            }
            for (; i < w1; ++i) a += buf[static_cast<size_t>(i)];
            sums[static_cast<size_t>(ith) * 8] += a + b + c + d;
        });
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (s > 0) best = std::max(best, static_cast<double>(n_words * sizeof(uint64_t)) / s);
    }
    volatile uint64_t sink = 0;
    for (uint64_t v : sums) sink = sink + v;
    (void)sink;
    return best;
}

}  // namespace trit
