// Feature detection with raw cpuid + xgetbv: __builtin_cpu_supports does not
// know every feature on every compiler we build with, and cpuid lets us also
// check that the OS saves the wide registers (a CPU with AVX-512 under an OS
// that does not enable it must count as "no AVX-512").
#include "cpu-features.h"

#include "text.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define KILN_X86 1
#endif

namespace kiln {
namespace {

struct Feature {
  const char* name;
  uint64_t bit;
};

constexpr Feature kFeatures[] = {
    {"sse4.1", isa::kSse41},       {"sse4.2", isa::kSse42},         {"avx", isa::kAvx},
    {"avx2", isa::kAvx2},          {"fma", isa::kFma},              {"f16c", isa::kF16c},
    {"avx512f", isa::kAvx512f},    {"avx512bw", isa::kAvx512bw},    {"avx512dq", isa::kAvx512dq},
    {"avx512vl", isa::kAvx512vl},  {"avx512vnni", isa::kAvx512vnni}, {"avx512bf16", isa::kAvx512bf16},
    {"avxvnni", isa::kAvxvnni},    {"avx512fp16", isa::kAvx512fp16},
};

#ifdef KILN_X86
uint64_t readXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

bool bitSet(uint32_t reg, int bit) { return (reg >> bit) & 1u; }

uint64_t detect() {
  uint32_t a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  uint64_t mask = 0;
  if (bitSet(c, 19)) mask |= isa::kSse41;
  if (bitSet(c, 20)) mask |= isa::kSse42;

  const bool osxsave = bitSet(c, 27);
  const uint64_t xcr0 = osxsave ? readXcr0() : 0;
  const bool osAvx = (xcr0 & 0x6) == 0x6;            // XMM + YMM state
  const bool osAvx512 = (xcr0 & 0xE6) == 0xE6;       // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!osAvx) return mask;

  if (bitSet(c, 28)) mask |= isa::kAvx;
  if (bitSet(c, 12)) mask |= isa::kFma;
  if (bitSet(c, 29)) mask |= isa::kF16c;

  uint32_t maxLeaf = __get_cpuid_max(0, nullptr);
  if (maxLeaf < 7) return mask;
  __cpuid_count(7, 0, a, b, c, d);
  const uint32_t leaf7Subleaves = a;
  if (bitSet(b, 5)) mask |= isa::kAvx2;
  if (osAvx512 && bitSet(b, 16)) {
    mask |= isa::kAvx512f;
    if (bitSet(b, 17)) mask |= isa::kAvx512dq;
    if (bitSet(b, 30)) mask |= isa::kAvx512bw;
    if (bitSet(b, 31)) mask |= isa::kAvx512vl;
    if (bitSet(c, 11)) mask |= isa::kAvx512vnni;
    if (bitSet(d, 23)) mask |= isa::kAvx512fp16;
  }
  if (leaf7Subleaves >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    if (bitSet(a, 4)) mask |= isa::kAvxvnni;
    if ((mask & isa::kAvx512f) && bitSet(a, 5)) mask |= isa::kAvx512bf16;
  }
  return mask;
}
#else
uint64_t detect() { return 0; }
#endif

}  // namespace

uint64_t hostIsaMask() {
  static const uint64_t mask = detect();
  return mask;
}

uint64_t knownIsaMask() {
  uint64_t m = 0;
  for (const auto& f : kFeatures) m |= f.bit;
  return m;
}

std::vector<std::string> isaNames(uint64_t mask) {
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    uint64_t b = 1ull << bit;
    if (!(mask & b)) continue;
    const char* name = nullptr;
    for (const auto& f : kFeatures)
      if (f.bit == b) name = f.name;
    names.push_back(name ? std::string(name) : cat("bit", bit));
  }
  return names;
}

bool isaBitFromName(std::string_view name, uint64_t* bit) {
  for (const auto& f : kFeatures) {
    if (name == f.name) {
      *bit = f.bit;
      return true;
    }
  }
  return false;
}

std::string knownIsaNameList() { return joined(isaNames(knownIsaMask()), ", "); }

}  // namespace kiln
