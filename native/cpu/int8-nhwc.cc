// The portable cores of the NHWC int8 layers, the depthwise weight packing both
// cores read, and the dispatch (layouts: int8-nhwc.h).
#include "int8-nhwc.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../cpu-features.h"

namespace kiln::cpu {

bool packPixels(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a) {
  const size_t kp = 4 * kq;
  for (size_t r = 0; r < padded; ++r, a += kp) {
    size_t j = 0;
    if (r < rows)
      for (const int8_t* row = x + r * k; j < k; ++j) a[j] = uint8_t(row[j]) ^ 0x80;
    std::fill(a + j, a + kp, uint8_t(0));
  }
  return false;
}

// Where weight (c, tap) of channel c sits in packDepthwise's layout.
static size_t depthwiseIndex(size_t c, size_t tap, size_t channels, size_t pairs) {
  const size_t blocks = channels / 16, p = tap / 2, t = tap % 2;
  if (c >= blocks * 16) return blocks * 16 * pairs * 2 + ((c - blocks * 16) * pairs + p) * 2 + t;
  const size_t in = c % 16, half = (in / 4) % 2, lane = in < 8 ? in % 4 : in % 4 + 4;
  return ((c / 16 * pairs + p) * 2 + half) * 16 + lane * 2 + t;
}

void packDepthwise(const int8_t* w, size_t channels, size_t taps, int16_t* out) {
  const size_t pairs = depthwisePairs(taps);
  std::fill(out, out + channels * pairs * 2, int16_t(0));
  for (size_t c = 0; c < channels; ++c)
    for (size_t t = 0; t < taps; ++t) out[depthwiseIndex(c, t, channels, pairs)] = w[c * taps + t];
}

namespace {

void depthwiseGeneric(const int8_t* const* taps, size_t pairs, const int16_t* w, size_t channels, int32_t* acc) {
  for (size_t c = 0; c < channels; ++c) {
    int32_t s = 0;
    for (size_t t = 0; t < 2 * pairs; ++t) s += int32_t(taps[t][c]) * w[depthwiseIndex(c, t, channels, pairs)];
    acc[c] = s;
  }
}

void finishGeneric(const int32_t* acc, size_t n, const Int8ChannelEpilogue& e, void* out) {
  const float inv = e.outScale > 0 ? 1.f / e.outScale : 0.f;
  for (size_t c = 0; c < n; ++c) {
    float v = float(acc[c] - (e.comp ? e.comp[c] : 0)) * e.multiplier[c];
    if (e.bias) v += e.bias[c];
    if (e.residual) {
      if (e.residualScale > 0) v += float(static_cast<const int8_t*>(e.residual)[c]) * e.residualScale;
      else v += static_cast<const float*>(e.residual)[c];
    }
    if (e.act.kind != Act::none) applyActivation(e.act, &v, &v, 1);
    if (e.outScale > 0) static_cast<int8_t*>(out)[c] = int8_t(std::min(127.f, std::max(-128.f, std::nearbyint(v * inv))));
    else static_cast<float*>(out)[c] = v;
  }
}

// One output row's channels at a time: exact i32 sums from -comp, then finishGeneric.
void matmulGeneric(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1) {
  const size_t kp = 4 * m.kq, esize = m.outScale > 0 ? 1 : 4, rsize = m.residualScale > 0 ? 1 : 4;
  int32_t acc[kMatMulNr];
  for (size_t c = c0; c < c1; c += kMatMulNr) {
    const size_t width = std::min(kMatMulNr, m.n - c), stride = int8MatMulChannels(m.n) - c < kMatMulNr ? 8 : kMatMulNr;
    const int8_t* b = m.b + c * kp;
    for (size_t r = 0; r < rows; ++r) {
      const uint8_t* ar = a + r * kp;
      for (size_t j = 0; j < width; ++j) {
        int32_t s = m.negComp[c + j];
        for (size_t kk = 0; kk < kp; ++kk) s += int32_t(ar[kk]) * int32_t(b[(kk / 4 * stride + j) * 4 + kk % 4]);
        acc[j] = s;
      }
      const size_t at = (row0 + r) * m.n + c;
      const Int8ChannelEpilogue e{nullptr, m.multiplier + c, m.bias ? m.bias + c : nullptr,
                                  m.residual ? static_cast<const uint8_t*>(m.residual) + at * rsize : nullptr, m.residualScale, m.act, m.outScale};
      finishGeneric(acc, width, e, static_cast<uint8_t*>(m.y) + at * esize);
    }
  }
}

}  // namespace

const Int8NhwcCores kInt8NhwcGeneric = {"int8-nhwc-generic", false, matmulGeneric, packPixels, depthwiseGeneric, finishGeneric};

const Int8NhwcCores& int8NhwcCores() {
  static const Int8NhwcCores* cores = []() -> const Int8NhwcCores* {
    // KILN_INT8_TILE=none forces the portable cores (as for QConv), so tests reach them on
    // any CPU; =avx2 and =vnni256 the narrower vector cores.
    const char* force = std::getenv("KILN_INT8_TILE");
    const std::string want = force ? force : "";
    if (want == "none") return &kInt8NhwcGeneric;
#if defined(__x86_64__) || defined(_M_X64)
    const uint64_t host = hostIsaMask();
    const bool vnni = want != "avx2" && (host & isa::kAvx512vnni) && (host & isa::kAvx512vl) && (host & isa::kAvx2);
    if (vnni && want != "vnni256" && (host & isa::kAvx512f) && (host & isa::kAvx512bw) && (host & isa::kAvx512dq)) return &kInt8NhwcAvx512;
    if (vnni) return &kInt8NhwcVnni;
    if (host & isa::kAvx2) return &kInt8NhwcAvx2;
#endif
    return &kInt8NhwcGeneric;
  }();
  return *cores;
}

}  // namespace kiln::cpu
