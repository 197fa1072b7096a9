#include "threadpool.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__linux__)
#include <sched.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#elif defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace trit {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(_M_X64)
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

// How long a worker keeps spinning for the next task before it goes to sleep.
constexpr auto kSpinTime = std::chrono::microseconds(200);

}  // namespace

ThreadPool::ThreadPool(int32_t n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int32_t i = 1; i < n_threads_; ++i) workers_.emplace_back(&ThreadPool::worker_main, this, i);
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(true);
        generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run(const std::function<void(int32_t, int32_t)>& task) {
    if (n_threads_ == 1) {
        task(0, 1);
        return;
    }
    task_ = &task;
    n_running_.store(n_threads_ - 1);
    // Publishing the generation after task_ and n_running_ makes both visible to a worker that sees it. The
    // sleeping count is read after the bump (both sequentially consistent): a worker that is about to sleep
    // either sees the new generation or is counted here and gets notified.
    generation_.fetch_add(1);
    if (n_sleeping_.load() > 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        wake_.notify_all();
    }
    // The workers hold a pointer to `task`: wait for them even if the caller's share throws.
    std::exception_ptr error;
    try {
        task(0, n_threads_);
    } catch (...) {
        error = std::current_exception();
    }
    uint32_t spins = 0;
    while (n_running_.load(std::memory_order_acquire) != 0) {
        if (++spins < 4096) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
    task_ = nullptr;
    if (error) std::rethrow_exception(error);
}

void ThreadPool::worker_main(int32_t ith) {
    uint64_t seen = 0;
    for (;;) {
        // Spin for a while, then sleep until the generation changes.
        auto spin_start = std::chrono::steady_clock::now();
        uint32_t spins = 0;
        uint64_t gen = generation_.load(std::memory_order_acquire);
        while (gen == seen) {
            cpu_relax();
            if ((++spins & 63) == 0 && std::chrono::steady_clock::now() - spin_start > kSpinTime) {
                std::unique_lock<std::mutex> lock(mutex_);
                n_sleeping_.fetch_add(1);
                while ((gen = generation_.load()) == seen) wake_.wait(lock);
                n_sleeping_.fetch_sub(1);
                break;
            }
            gen = generation_.load(std::memory_order_acquire);
        }
        seen = gen;
        if (stop_.load()) return;
        (*task_)(ith, n_threads_);
        n_running_.fetch_sub(1, std::memory_order_release);
    }
}

int32_t physical_core_count() {
    int32_t allowed = static_cast<int32_t>(std::thread::hardware_concurrency());
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        // Count distinct (package, core) pairs among the CPUs this process may run on.
        std::set<std::pair<int, int>> cores;
        int32_t n_allowed = 0;
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (!CPU_ISSET(cpu, &set)) continue;
            ++n_allowed;
            const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
            std::ifstream core_file(base + "core_id"), pkg_file(base + "physical_package_id");
            int core = -1, pkg = -1;
            if (!(core_file >> core) || !(pkg_file >> pkg)) {
                cores.clear();
                break;
            }
            cores.emplace(pkg, core);
        }
        if (!cores.empty()) return static_cast<int32_t>(cores.size());
        if (n_allowed > 0) allowed = n_allowed;
    }
#elif defined(__APPLE__)
    int32_t n = 0;
    size_t len = sizeof(n);
    if (sysctlbyname("hw.physicalcpu", &n, &len, nullptr, 0) == 0 && n > 0) return n;
#elif defined(_WIN32)
    DWORD bytes = 0;
    GetLogicalProcessorInformationEx(RelationProcessorCore, nullptr, &bytes);
    std::vector<uint8_t> buf(bytes);
    if (bytes > 0 && GetLogicalProcessorInformationEx(
                         RelationProcessorCore, reinterpret_cast<PSYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX>(buf.data()),
                         &bytes)) {
        int32_t n = 0;
        for (DWORD off = 0; off < bytes;) {
            const auto* info = reinterpret_cast<const SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX*>(buf.data() + off);
            ++n;
            off += info->Size;
        }
        if (n > 0) return n;
    }
#endif
    return allowed > 0 ? allowed : 1;
}

}  // namespace trit
