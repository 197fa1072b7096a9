// One dedicated thread that runs tasks in the order they were posted.
//
// The model wrapper owns one of these and runs every engine job on it, so jobs never occupy libuv's thread
// pool (which file I/O and DNS share) and run strictly one after another. Plain C++: no Node-API here.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace trit::addon {

class TaskThread {
  public:
    using Task = std::function<void()>;

    TaskThread();
    ~TaskThread();  // finishes (without a last task) and joins if the owner has not
    TaskThread(const TaskThread&) = delete;
    TaskThread& operator=(const TaskThread&) = delete;

    // Queues a task. Ignored after finish(). A task must not throw (the thread would end the process).
    void post(Task task);

    // Runs every task already queued, then `last` (may be empty), then ends the thread. Later posts are
    // dropped.
    void finish(Task last);

    // Waits for the thread to end; finish() must have been called. Idempotent.
    void join();

  private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Task> tasks_;  // guarded by mutex_
    bool finishing_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace trit::addon
