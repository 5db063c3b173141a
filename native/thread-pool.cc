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
// After the first few hundred pauses a waiter yields its core instead: on a
// machine with more runnable threads than cores (other tenants), a spinning
// caller otherwise keeps the core its own preempted worker needs to finish the
// job (encoder at seq 64 beside a loaded host: 0.92 -> 1.05-1.10 of onnxruntime's
// speed), and on an idle core the yield returns at once.
constexpr auto kSpinTime = std::chrono::microseconds(50);
constexpr unsigned kPauseSpins = 256;
// Inside a run a worker waits this long for the next job before sleeping: the
// gaps are single-threaded layers and copies, and a gap of a millisecond makes
// the ~50 us wake-up that follows it cheap in proportion.
constexpr auto kRunSpin = std::chrono::milliseconds(1);

// next_ packs the job generation (high 32 bits) and the next index (low 32).
constexpr uint64_t kIndexMask = 0xffffffffull;
uint64_t jobTag(uint64_t generation) { return (generation & kIndexMask) << 32; }

// Spins until ready() (true) or until giveUp(elapsed time) says so (false).
template <typename Ready, typename GiveUp>
bool spinUntil(Ready ready, GiveUp giveUp) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    if (i > kPauseSpins) std::this_thread::yield();
    else KILN_CPU_RELAX();
    if ((i & 63) == 0 && giveUp(std::chrono::steady_clock::now() - start)) return false;
  }
}

template <typename Ready>
bool spinUntil(Ready ready) {
  return spinUntil(ready, [](auto elapsed) { return elapsed > kSpinTime; });
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

void ThreadPool::drain(uint64_t generation) {
  const uint64_t tag = jobTag(generation);
  const bool wasInside = tInsideJob;
  tInsideJob = true;
  for (;;) {
    uint64_t v = next_.load(std::memory_order_acquire);
    if ((v & ~kIndexMask) != tag) break;
    const size_t n = jobSize_.load(std::memory_order_acquire);
    const uint64_t i = v & kIndexMask;
    if (i >= n) break;
    // A claim succeeds only while this job is open, so job_ below is its own.
    if (!next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
    try {
      (*job_.load(std::memory_order_acquire))(size_t(i));
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(errorMutex_);
        if (!error_) error_ = std::current_exception();
      }
      // Stop handing out work: unclaimed items count as finished.
      uint64_t w = next_.load(std::memory_order_acquire);
      while ((w & ~kIndexMask) == tag && (w & kIndexMask) < n) {
        if (next_.compare_exchange_weak(w, tag | n, std::memory_order_acq_rel)) {
          finished_.fetch_add(size_t(n - (w & kIndexMask)), std::memory_order_acq_rel);
          break;
        }
      }
    }
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_all();
    }
  }
  tInsideJob = wasInside;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    // In a run: until the job comes, the run ends or kRunSpin passes. Outside
    // one (profiling, tuning): kSpinTime. The run count is read first: a run
    // that begins after it wakes this worker from the sleep below.
    const uint64_t runsSeen = runs_.load(std::memory_order_acquire);
    const bool inRun = inRun_.load(std::memory_order_acquire);
    const auto jobOrRunEnd = [&] {
      return generation_.load(std::memory_order_acquire) != seen || (inRun && !inRun_.load(std::memory_order_acquire));
    };
    const bool moved =
        spinUntil(jobOrRunEnd, [&](auto elapsed) { return elapsed > (inRun ? kRunSpin : kSpinTime); }) &&
        generation_.load(std::memory_order_acquire) != seen;
    if (!moved) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return stop_ || generation_.load(std::memory_order_acquire) != seen ||
               runs_.load(std::memory_order_acquire) != runsSeen;
      });
      if (stop_) return;
      if (generation_.load(std::memory_order_acquire) == seen) continue;  // a run began: spin in it
    }
    seen = generation_.load(std::memory_order_acquire);
    drain(seen);
  }
}

void ThreadPool::beginRun() {
  if (workers_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inRun_.store(true, std::memory_order_release);
    runs_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
}

void ThreadPool::endRun() {
  if (workers_.empty()) return;
  inRun_.store(false, std::memory_order_release);
}

void ThreadPool::parallelFor(size_t n, FunctionRef<void(size_t)> fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1 || tInsideJob) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  if (n >= kIndexMask) {  // the claim word holds 32-bit indices
    for (size_t base = 0; base < n; base += kIndexMask - 1)
      parallelFor(std::min<size_t>(kIndexMask - 1, n - base), [&](size_t i) { fn(base + i); });
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation = generation_.load(std::memory_order_relaxed) + 1;
    error_ = nullptr;
    job_.store(&fn, std::memory_order_relaxed);
    // Release: a worker that reads this size also sees the previous job closed.
    jobSize_.store(n, std::memory_order_release);
    finished_.store(0, std::memory_order_relaxed);
    next_.store(jobTag(generation), std::memory_order_release);
    generation_.store(generation, std::memory_order_release);
  }
  wake_.notify_all();
  drain(generation);
  // Done when every item is, whether or not each worker has woken up yet.
  if (!spinUntil([&] { return finished_.load(std::memory_order_acquire) == n; })) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_.load(std::memory_order_acquire) == n; });
  }
  // Closed before the next job's fields change, so a late claim of this one fails.
  next_.store(jobTag(generation) | kIndexMask, std::memory_order_release);
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
