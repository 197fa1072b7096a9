// A persistent thread pool for the forward pass: n_threads - 1 workers plus the calling thread.
//
// run(task) calls task(ith, nth) once on every thread (the caller is thread 0) and returns when all have
// finished; the work split (usually by output rows) is the task's business. Workers spin briefly between
// tasks, because the forward pass dispatches hundreds of short tasks per token, then sleep on a condition
// variable so an idle engine costs no CPU. No OpenMP.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trit {

class ThreadPool {
  public:
    explicit ThreadPool(int32_t n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int32_t n_threads() const { return n_threads_; }

    // Runs task(ith, nth) on all threads and waits. Not reentrant: call from one thread at a time. Tasks on
    // worker threads must not throw (the forward pass allocates nothing inside tasks); thread 0's exception
    // is rethrown after the workers finish.
    void run(const std::function<void(int32_t ith, int32_t nth)>& task);

  private:
    void worker_main(int32_t ith);

    int32_t n_threads_;
    std::vector<std::thread> workers_;
    const std::function<void(int32_t, int32_t)>* task_ = nullptr;
    std::atomic<uint64_t> generation_{0};  // bumped once per run(); workers wait for a new value
    std::atomic<int32_t> n_running_{0};    // workers still inside the current task
    std::atomic<int32_t> n_sleeping_{0};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

// Number of physical cores this process may use (SMT siblings counted once); at least 1.
int32_t physical_core_count();

// Splits [0, n) into nth nearly equal parts whose boundaries are multiples of `align` (except the end).
inline void split_range(int64_t n, int32_t ith, int32_t nth, int64_t align, int64_t* begin, int64_t* end) {
    const int64_t n_units = (n + align - 1) / align;
    const int64_t u0 = n_units * ith / nth;
    const int64_t u1 = n_units * (ith + 1) / nth;
    *begin = u0 * align < n ? u0 * align : n;
    *end = u1 * align < n ? u1 * align : n;
}

}  // namespace trit
