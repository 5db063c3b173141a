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
#include <mutex>
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

// Half storage and tensor-core helpers: the generated module leaves its own PTX
// versions out when KILN_EMULATOR is defined.
#define KILN_EMULATOR 1

// The module's 16-bit format: IEEE half unless a bf16 module sets this at start-up.
bool emuBf16 = false;

inline float kiln_h2f(unsigned short h) {
  if (emuBf16) return __int_as_float(unsigned(h) << 16);
  const unsigned sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  unsigned bits;
  if (exp == 0x1f) bits = sign | 0x7f800000u | (mant << 13);
  else if (exp != 0) bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (mant == 0) bits = sign;
  else {  // subnormal: normalize
    int e = -1;
    unsigned m = mant;
    do { m <<= 1; ++e; } while (!(m & 0x400));
    bits = sign | (unsigned(112 - e) << 23) | ((m & 0x3ff) << 13);
  }
  return __int_as_float(bits);
}

inline unsigned short kiln_f2h(float f) {
  unsigned bits;
  std::memcpy(&bits, &f, 4);
  if (emuBf16) {  // round to nearest even on the dropped half-word; NaN stays quiet NaN
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu)) return (unsigned short)((bits >> 16) | 0x40u);
    return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  }
  const unsigned sign = (bits >> 16) & 0x8000u, exp = (bits >> 23) & 0xff;
  unsigned mant = bits & 0x7fffff;
  if (exp == 0xff) return (unsigned short)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  const int e = int(exp) - 127 + 15;
  if (e >= 0x1f) return (unsigned short)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (unsigned short)sign;
    mant |= 0x800000u;
    const unsigned shift = unsigned(14 - e), rest = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    unsigned h = mant >> shift;
    if (rest > halfway || (rest == halfway && (h & 1))) ++h;
    return (unsigned short)(sign | h);
  }
  unsigned h = (unsigned(e) << 10) | (mant >> 13);
  const unsigned rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return (unsigned short)(sign | h);
}

inline unsigned kiln_pack2(unsigned short lo, unsigned short hi) { return unsigned(lo) | (unsigned(hi) << 16); }

// Byte i of the result is byte (s >> 4i) & 7 of the pair {y:x} (x the low four bytes).
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  const unsigned long long both = (static_cast<unsigned long long>(y) << 32) | x;
  unsigned r = 0;
  for (int i = 0; i < 4; ++i) r |= unsigned((both >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
  return r;
}

// mma.sync (row.col, f32 accumulate): every lane of the warp publishes its fragments,
// then computes its four outputs (rows gid, gid + 8; columns 2 tig, 2 tig + 1) from the
// whole tiles; A(base, r, k) and B(base, k, n) read an element of the published tiles.
unsigned emuMmaA[1024][4], emuMmaB[1024][2];

template <typename ReadA, typename ReadB>
inline void emuMma(float* c, const unsigned* a, const unsigned* b, int depth, ReadA A, ReadB B) {
  for (int q = 0; q < 4; ++q) emuMmaA[emuTid][q] = a[q];
  emuMmaB[emuTid][0] = b[0];
  emuMmaB[emuTid][1] = b[1];
  __syncthreads();
  const unsigned base = emuTid & ~31u, lane = emuTid & 31u, gid = lane >> 2, tig = lane & 3u;
  for (int q = 0; q < 4; ++q) {
    const int r = int(gid) + (q >> 1) * 8, n = int(tig) * 2 + (q & 1);
    float sum = 0.f;
    for (int k = 0; k < depth; ++k) sum += A(base, r, k) * B(base, k, n);
    c[q] += sum;
  }
  __syncthreads();
}

// m16n8k16, f16 (or bf16) pairs: a word holds k and k + 1.
inline void kiln_mma16816(float* c, const unsigned* a, const unsigned* b) {
  auto half = [](unsigned w, int k) { return kiln_h2f((unsigned short)(k & 1 ? w >> 16 : w & 0xffff)); };
  emuMma(c, a, b, 16,
         [&](unsigned base, int r, int k) { return half(emuMmaA[base + (r % 8) * 4 + (k % 8) / 2][(r >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0)], k); },
         [&](unsigned base, int k, int n) { return half(emuMmaB[base + n * 4 + (k % 8) / 2][k >= 8 ? 1 : 0], k); });
}

// cp.async: the copy happens at once (one thread's own copies need no ordering beyond
// program order here; __syncthreads still publishes them to the block).
inline void kiln_cp16(void* dst, const void* src, bool full) {
  if (full) std::memcpy(dst, src, 16);
  else std::memset(dst, 0, 16);
}
inline void kiln_cp_commit() {}
template <int N>
inline void kiln_cp_wait() {}

// cvt.rna.tf32.f32: round to the nearest tf32 (10-bit mantissa), ties away from zero.
inline unsigned kiln_to_tf32(unsigned bits) {
  if ((bits & 0x7f800000u) == 0x7f800000u) return bits;
  return (bits + 0x1000u) & 0xffffe000u;
}

// mma.sync m16n8k8 tf32 (row.col): A (16x8) a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
// B (8x8) b0 (k t, n g), b1 (k t+4, n g); the operands' low 13 mantissa bits are dropped.
inline void kiln_mma1688tf32(float* c, const unsigned* a, const unsigned* b) {
  auto tf32 = [](unsigned w) { return __int_as_float(w & 0xffffe000u); };
  emuMma(c, a, b, 8,
         [&](unsigned base, int r, int k) { return tf32(emuMmaA[base + (r % 8) * 4 + k % 4][(r >= 8 ? 1 : 0) + (k >= 4 ? 2 : 0)]); },
         [&](unsigned base, int k, int n) { return tf32(emuMmaB[base + n * 4 + k % 4][k >= 4 ? 1 : 0]); });
}

inline float atomicAdd(float* at, float v) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  const float old = *at;
  *at = old + v;
  return old;
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
