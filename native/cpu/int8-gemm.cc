// The portable int8 dot rows and the ISA dispatch: AVX2 (and the VNNI tile) only
// after the host mask (cpuid + OS state) says it is there.
#include "int8-gemm.h"

#include <cstdlib>
#include <string>

#include "../cpu-features.h"
#include "int8-amx.h"

#if defined(__linux__) && defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace kiln::cpu {

void int8DotRowsGeneric(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out) {
  for (size_t j = 0; j < n; ++j) {
    const int16_t* wj = w + j * kp;
    int32_t s = 0;
    for (size_t k = 0; k < kp; ++k) s += int32_t(x[k]) * int32_t(wj[k]);
    out[j] = s;
  }
}

Int8DotRowsFn int8DotRows() {
  static const Int8DotRowsFn fn = [] {
#if defined(__x86_64__) || defined(_M_X64)
    if (hostIsaMask() & isa::kAvx2) return &int8DotRowsAvx2;
#endif
    return &int8DotRowsGeneric;
  }();
  return fn;
}

const Int8Tile* int8Tile() {
  static const Int8Tile* tile = []() -> const Int8Tile* {
    // KILN_INT8_TILE=none (or avx2) forces a slower path, so tests reach the fallbacks this CPU would skip.
    const char* force = std::getenv("KILN_INT8_TILE");
    const std::string want = force ? force : "";
    if (want == "none") return nullptr;
#if defined(__x86_64__) || defined(_M_X64)
    const uint64_t host = hostIsaMask();
    if (want == "avx2") return (host & isa::kAvx2) ? &kInt8TileAvx2 : nullptr;
    if ((host & isa::kAvx512vnni) && (host & isa::kAvx512vl) && (host & isa::kAvx2)) return &kInt8TileAvx512Vnni;
    if (host & isa::kAvx2) return &kInt8TileAvx2;
#endif
    return nullptr;
  }();
  return tile;
}

bool amxInt8Usable() {
  static const bool usable = [] {
    const char* env = std::getenv("KILN_INT8_AMX");
    if (env && std::string(env) == "0") return false;
#if defined(__linux__) && defined(__x86_64__) && defined(__GNUC__)
    const uint64_t host = hostIsaMask(), need = isa::kAvx512f | isa::kAvx512bw | isa::kAvx512vl | isa::kAvx512dq;
    if ((host & need) != need) return false;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const bool tile = (d >> 24) & 1, int8 = (d >> 25) & 1;
    if (!tile || !int8) return false;
    // Linux hands out the tile data state (8 KB a thread) only on request.
    constexpr long kReqXcompPerm = 0x1023, kXtileData = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
#else
    return false;
#endif
  }();
  return usable;
}

}  // namespace kiln::cpu
