// Persistent worker pool: see thread-pool.h for the scheduling model.
#include "thread-pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#define KILN_CPU_RELAX() _mm_pause()
#else
#define KILN_CPU_RELAX() std::this_thread::yield()
#endif

namespace kiln {
namespace {

// Set while a thread runs a job, so nested parallelFor calls run inline
// instead of deadlocking on the pool they are already part of.
thread_local bool tInsideJob = false;

// Between two layers the gap is usually microseconds; spinning that long
// saves a futex round trip per layer, sleeping after it frees the core.
constexpr auto kSpinTime = std::chrono::microseconds(50);

template <typename Ready>
bool spinUntil(Ready ready) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    KILN_CPU_RELAX();
    if ((i & 63) == 0 && std::chrono::steady_clock::now() - start > kSpinTime) return false;
  }
}

}  // namespace

unsigned ThreadPool::hardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

ThreadPool::ThreadPool(unsigned threads) {
  unsigned workers = threads > 1 ? threads - 1 : 0;
  workers_.reserve(workers);
  try {
    for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { workerLoop(); });
  } catch (...) {
    // Thread creation can fail (resource limits); stop the ones we started.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    throw;
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::drain() {
  bool wasInside = tInsideJob;
  tInsideJob = true;
  for (;;) {
    size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= jobSize_) break;
    try {
      (*job_)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(errorMutex_);
      if (!error_) error_ = std::current_exception();
      next_.store(jobSize_, std::memory_order_relaxed);  // stop handing out work
    }
  }
  tInsideJob = wasInside;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    bool moved = spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
    if (!moved) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_acquire) != seen; });
      if (stop_) return;
    }
    seen = generation_.load(std::memory_order_acquire);
    drain();
    if (busyWorkers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(size_t n, FunctionRef<void(size_t)> fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1 || tInsideJob) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    jobSize_ = n;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    busyWorkers_.store(static_cast<unsigned>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  drain();
  if (!spinUntil([&] { return busyWorkers_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busyWorkers_.load(std::memory_order_acquire) == 0; });
  }
  job_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void ThreadPool::parallelRanges(size_t total, size_t grain, FunctionRef<void(size_t, size_t)> fn) {
  if (total == 0) return;
  grain = std::max<size_t>(grain, 1);
  size_t chunks = std::min<size_t>((total + grain - 1) / grain, size_t(threads()) * 4);
  if (chunks <= 1) {
    fn(0, total);
    return;
  }
  size_t step = (total + chunks - 1) / chunks;
  chunks = (total + step - 1) / step;
  parallelFor(chunks, [&](size_t c) { fn(c * step, std::min(total, (c + 1) * step)); });
}

}  // namespace kiln
