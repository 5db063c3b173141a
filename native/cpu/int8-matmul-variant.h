// The epilogue variants of qmatmul's tiles (int8-matmul-avx2.cc and its VNNI build,
// int8-matmul-avx512.cc): residual kind x activation kind, each a template
// instantiation of the tile's loops, chosen once per call so the loops hold no branch.
// No intrinsics here: the header serves translation units of every ISA.
#pragma once

#include <cstddef>

#include "int8-nhwc.h"

namespace kiln::cpu {
namespace {

enum class Res { none, i8, f32 };
// bounded: a clamp whose range times 1 / outScale lies within the i8 codes (relu6
// with the usual scales), so the codes need no clamp of their own.
enum class Act2 { none, clamp, bounded, other };

struct Variant {
  size_t res, act;   // indices into the tables of KILN_INT8_MATMUL_TABLES
  ClampRange range;  // the activation's clamp
  float inv;         // 1 / outScale, 0 for f32 output
};

inline Variant variantOf(const Int8MatMulArgs& m) {
  const ClampRange range = clampOf(m.act);
  const float inv = m.outScale > 0 ? 1.f / m.outScale : 0.f;
  // |range * inv| within the codes: the f32 product of a value inside the range lies
  // between the products of its ends (rounding is monotonic).
  const bool bounded = range.on && range.lo * inv >= -128.f && range.hi * inv <= 127.f;
  return {size_t(!m.residual ? 0 : m.residualScale > 0 ? 1 : 2), size_t(m.act.kind == Act::none ? 0 : bounded ? 3 : range.on ? 1 : 2), range, inv};
}

}  // namespace
}  // namespace kiln::cpu

// kByRes<I8>[variant.res][variant.act]: the instantiations of a tile's function template
// `blocks<bool I8, Res, Act2>` (of type Fn); a bounded clamp matters to i8 output only.
#define KILN_INT8_MATMUL_TABLES(blocks, Fn)                                                                            \
  template <bool I8, Res R>                                                                                           \
  constexpr Fn kByAct[4] = {blocks<I8, R, Act2::none>, blocks<I8, R, Act2::clamp>, blocks<I8, R, Act2::other>,        \
                            blocks<I8, R, I8 ? Act2::bounded : Act2::clamp>};                                         \
  template <bool I8>                                                                                                  \
  constexpr const Fn* kByRes[3] = {kByAct<I8, Res::none>, kByAct<I8, Res::i8>, kByAct<I8, Res::f32>};
