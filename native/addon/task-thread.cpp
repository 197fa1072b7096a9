#include "task-thread.h"

#include <utility>

namespace trit::addon {

TaskThread::TaskThread() : thread_([this] { run(); }) {}

TaskThread::~TaskThread() {
    finish(nullptr);
    join();
}

void TaskThread::post(Task task) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (finishing_) return;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void TaskThread::finish(Task last) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (finishing_) return;
        if (last) tasks_.push_back(std::move(last));
        finishing_ = true;
    }
    wake_.notify_one();
}

void TaskThread::join() {
    if (thread_.joinable()) thread_.join();
}

void TaskThread::run() {
    for (;;) {
        Task task;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return finishing_ || !tasks_.empty(); });
            if (tasks_.empty()) return;  // finishing and drained
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
}

}  // namespace trit::addon
