// The parameters every pool kernel shares (pool, pool2d, poolNhwc): one reading and
// one set of checks of pool's ints, for NCHW tensors [N, C, spatial...] or NHWC ones
// [N, spatial..., C], with messages naming the layer's own kernel.
// ints: [nSpatial, modeCode (max 0, avg 1), countIncludePad (0/1), kernel[n],
//        strides[n], padsBegin[n], padsEnd[n]]; floats: none.
#pragma once

#include <string>

#include "layer-check.h"
#include "window.h"

namespace kiln::cpu {

struct PoolLayer {
  Window3 w;  // spatial dims right-aligned, as conv's
  bool isMax = true, includePad = false;
  int64_t batch = 0, channels = 0;
};

// Throws KILN_KERNEL naming the layer and kernel when the ints, the ranks or the
// output shape do not fit a pool of 1..maxSpatial spatial dims, or an operand is not
// of `dtype` (f32, or i8 for poolI8's max of codes).
inline PoolLayer readPoolLayer(const LayerCheck& c, size_t maxSpatial, bool nhwc, DType dtype = DType::f32) {
  static const char* kLayout = "[nSpatial, modeCode, countIncludePad, kernel[n], strides[n], padsBegin[n], padsEnd[n]]";
  const std::string& kernel = c.layer().kernel;
  c.inputs(1, 1);
  c.outputs(1);
  if (c.ints().empty()) c.fail(cat("kernel ", kernel, " expects ints ", kLayout, ", got []"));
  const size_t n = size_t(c.intIn(0, 1, int64_t(maxSpatial), "nSpatial"));
  c.intCount(3 + 4 * n, kLayout);
  c.floatCount(0, "(none)");
  for (const TensorDesc* t : {&c.input(0), &c.output(0)})
    if (t->dtype != dtype)
      c.fail(cat("kernel ", kernel, " supports ", dtypeName(dtype), " only; ", t == &c.input(0) ? "input " : "output ",
                 LayerCheck::describe(*t)));
  PoolLayer L;
  L.isMax = c.intIn(1, 0, 1, "pool mode code") == 0;
  L.includePad = c.intIn(2, 0, 1, "countIncludePad") == 1;
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.size() != n + 2)
    c.fail(cat("kernel ", kernel, " with ", n, " spatial dims expects an input of rank ", n + 2,
               nhwc ? " [N, spatial..., C]" : "", ", got ", LayerCheck::describe(x)));
  const size_t first = nhwc ? 1 : 2;  // the first spatial dim
  L.batch = x.shape[0];
  L.channels = nhwc ? x.shape[n + 1] : x.shape[1];
  Shape expect = nhwc ? Shape{L.batch} : Shape{L.batch, L.channels};
  bool fits = true;
  Window3& w = L.w;
  for (size_t i = 0; i < n; ++i) {
    const size_t a = 3 - n + i;
    w.in[a] = x.shape[first + i];
    w.kernel[a] = c.intIn(3 + i, 1, 1 << 20, "kernel size");
    w.stride[a] = c.intIn(3 + n + i, 1, 1 << 20, "stride");
    w.padBegin[a] = c.intIn(3 + 2 * n + i, 0, w.kernel[a] - 1, "padBegin (must be below the kernel size)");
    w.padEnd[a] = c.intIn(3 + 3 * n + i, 0, w.kernel[a] - 1, "padEnd (must be below the kernel size)");
    w.out[a] = windowOutSize(w.in[a], w.kernel[a], w.stride[a], w.padBegin[a], w.padEnd[a], 1);
    fits = fits && w.out[a] >= 1;
    expect.push_back(w.out[a]);
  }
  if (nhwc) expect.push_back(L.channels);
  if (!fits || y.shape != expect)
    c.fail(cat("kernel ", kernel, " expects output ",
               fits ? typeString(dtype, expect) : std::string("(none: the window does not fit)"), " for input ",
               typeString(x.dtype, x.shape), ", kernel ", listString(slice(c.ints(), 3, n)), ", strides ",
               listString(slice(c.ints(), 3 + n, n)), ", pads ", listString(slice(c.ints(), 3 + 2 * n, n)), "+",
               listString(slice(c.ints(), 3 + 3 * n, n)), "; got ", typeString(y.dtype, y.shape)));
  return L;
}

}  // namespace kiln::cpu
