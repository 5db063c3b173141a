// A CPU stand-in for the few CUDA features kiln's generated kernels use, so CI
// without a GPU can run every emitted kernel and compare it with the interpreter.
// Each block runs as blockDim real threads (std::thread) meeting at a
// std::barrier for __syncthreads; warp shuffles exchange through a block-wide
// slot array; __shared__ becomes a function-static array (blocks run one at a
// time). Threads that leave early drop out of the barrier, as on the GPU.
// Not a simulator of timing or of memory races: a test of index math and logic.
#pragma once

#include <barrier>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
thread_local uint3 threadIdx, blockIdx;
uint3 blockDim, gridDim;
thread_local unsigned emuTid;
std::barrier<>* emuBarrier = nullptr;
float emuSlots[1024];

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __restrict__ __restrict
#define __shared__ static

inline void __syncthreads() { emuBarrier->arrive_and_wait(); }

inline float __int_as_float(unsigned bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float __shfl_xor_sync(unsigned, float v, int lane) {
  emuSlots[emuTid] = v;
  __syncthreads();
  const float r = emuSlots[emuTid ^ unsigned(lane)];
  __syncthreads();
  return r;
}

// Runs `body` (a kernel call with its arguments bound) over the whole grid.
template <typename Body>
void emuLaunch(const unsigned grid[3], const unsigned block[3], Body body) {
  gridDim = {grid[0], grid[1], grid[2]};
  blockDim = {block[0], block[1], block[2]};
  const unsigned threads = block[0] * block[1] * block[2];
  for (unsigned bz = 0; bz < grid[2]; ++bz)
    for (unsigned by = 0; by < grid[1]; ++by)
      for (unsigned bx = 0; bx < grid[0]; ++bx) {
        std::barrier<> bar(threads);
        emuBarrier = &bar;
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            blockIdx = {bx, by, bz};
            threadIdx = {t % block[0], t / block[0] % block[1], t / (block[0] * block[1])};
            emuTid = t;
            body();
            bar.arrive_and_drop();
          });
        for (auto& th : pool) th.join();
      }
}
