// ThreadPool: persistent worker threads for one execution context.
// parallelFor(n, fn) runs fn(i) for i in [0, n) on the workers and the calling
// thread, handing out indices one at a time through an atomic counter, so callers
// pass coarse work items (GEMM tiles, channel blocks), not single elements.
// Workers spin briefly between jobs (layers follow each other within
// microseconds) and then sleep on a condition variable. Inside a run
// (beginRun .. endRun) they are woken at its start, so their wake-up overlaps
// the run's input copy instead of the first layer, keep spinning between its
// layers, and sleep as soon as it ends. A job is done when
// its items are done: the caller never waits for a worker that has not yet
// woken up (on a loaded machine that wait is a scheduler time slice), so
// workers claim items through one word that tags the index with the job's
// generation, and a late worker finds the job closed and does nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "function-ref.h"

namespace kiln {

class ThreadPool {
 public:
  // `threads` counts the calling thread: 1 means no workers at all.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Blocks until every index has run. A nested call from inside a job runs
  // inline on its thread. The first exception thrown by fn is rethrown here.
  void parallelFor(size_t n, FunctionRef<void(size_t)> fn);

  // Splits [0, total) into about `threads() * 4` ranges of at least `grain`
  // items and runs fn(begin, end) on each: the shape of elementwise kernels.
  void parallelRanges(size_t total, size_t grain, FunctionRef<void(size_t, size_t)> fn);

  // A run's bracket: beginRun wakes the workers and keeps them spinning
  // (yielding their core after a few hundred pauses) between jobs for up to
  // kRunSpin of idleness; endRun lets them sleep at once, so nothing spins
  // between runs. Both may be called from any thread; endRun is idempotent.
  void beginRun();
  void endRun();

  static unsigned hardwareThreads();

 private:
  void workerLoop();
  // Claims and runs items of job `generation` until none is left.
  void drain(uint64_t generation);

  std::vector<std::thread> workers_;
  std::mutex callMutex_;  // one parallelFor at a time per pool

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  bool stop_ = false;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> inRun_{false};
  std::atomic<uint64_t> runs_{0};  // beginRun calls, so a sleeping worker sees a new run

  // The job in flight. An item is claimed by moving next_ = (generation << 32)
  // | index forward with a CAS; a successful claim proves the job is still
  // open, so job_ and jobSize_ (written before next_ opens it) are its own.
  std::atomic<const FunctionRef<void(size_t)>*> job_{nullptr};
  std::atomic<size_t> jobSize_{0};
  std::atomic<uint64_t> next_{0};
  std::atomic<size_t> finished_{0};
  std::exception_ptr error_;
  std::mutex errorMutex_;
};

}  // namespace kiln
