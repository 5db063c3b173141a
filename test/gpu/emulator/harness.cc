// Runs a plan's CUDA launches on the CPU (cuda-emu.h). Reads the job file written
// by test/gpu/emulate.ts (arena and weight sizes, the weight blob, the inputs, the
// outputs to return, the launches with their argument places) and writes the
// outputs, in order, to the second file.
// module.cc (the emitted source) and table.inc (one call per launch) are included.
#include "cuda-emu.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <utility>

#include "module.cc"

template <typename... A, size_t... I>
void callWith(void (*f)(A...), void** p, std::index_sequence<I...>) {
  f(static_cast<A>(p[I])...);
}
template <typename... A>
void call(void (*f)(A...), void** p) {
  callWith(f, p, std::index_sequence_for<A...>{});
}

#include "table.inc"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::ifstream in(argv[1], std::ios::binary);
  auto u32 = [&] { uint32_t v = 0; in.read(reinterpret_cast<char*>(&v), 4); return v; };
  auto u64 = [&] { uint64_t v = 0; in.read(reinterpret_cast<char*>(&v), 8); return v; };
  auto bytes = [&](uint8_t* to, uint64_t n) { in.read(reinterpret_cast<char*>(to), std::streamsize(n)); };
  // Poison the arena so a kernel that reads what nobody wrote shows up as NaN.
  std::vector<uint8_t> arena(u64() + 64, 0xff), weights(u64() + 64);
  bytes(weights.data(), weights.size() - 64);
  for (uint32_t n = u32(); n > 0; --n) {
    const uint64_t off = u64(), size = u64();
    bytes(arena.data() + off, size);
  }
  std::vector<std::pair<uint64_t, uint64_t>> outputs(u32());
  for (auto& o : outputs) o = {u64(), u64()};
  for (uint32_t n = u32(), i = 0; i < n; ++i) {
    unsigned grid[3], block[3];
    for (auto& g : grid) g = u32();
    for (auto& b : block) b = u32();
    std::vector<void*> args(u32());
    for (auto& a : args) {
      const uint32_t loc = u32();
      a = (loc == 0 ? arena.data() : weights.data()) + u64();
    }
    kLaunches[i](grid, block, args.data());
  }
  if (!in) return 3;
  std::ofstream out(argv[2], std::ios::binary);
  for (auto& [off, size] : outputs) out.write(reinterpret_cast<const char*>(arena.data() + off), std::streamsize(size));
  return 0;
}
