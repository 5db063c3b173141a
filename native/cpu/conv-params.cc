// See conv-params.h. Messages name the layer's own kernel, so a tactic's
// refusal reads like any other kernel's.
#include "conv-params.h"

#include <algorithm>

#include "epilogue.h"

namespace kiln::cpu {

bool isPointwise(const Window3& w) {
  for (int i = 0; i < 3; ++i)
    if (w.kernel[i] != 1 || w.stride[i] != 1 || w.padBegin[i] != 0 || w.padEnd[i] != 0) return false;
  return true;
}

PhaseBands phaseBands(const ConvDims& d, int64_t stageFloats) {
  const Window3& w = d.win;
  const int64_t sw = w.stride[2];
  PhaseBands b;
  b.phaseLen = (w.out[2] + 7) / 8 * 8 + (w.kernel[2] - 1) * w.dilation[2] / sw + 1;
  b.rowStride = b.phaseLen * sw;
  b.halo = (w.kernel[1] - 1) * w.dilation[1] + 1;
  const int64_t perRow = d.channels * b.rowStride * w.stride[1];
  const int64_t want = (w.out[1] * d.batch + 31) / 32;
  b.band = std::clamp<int64_t>(std::min(stageFloats / std::max<int64_t>(perRow, 1), want), 1, w.out[1]);
  b.bandRows = (b.band - 1) * w.stride[1] + b.halo;
  for (int64_t ci = 0; ci < d.channels; ++ci)
    for (int64_t ky = 0; ky < w.kernel[1]; ++ky)
      for (int64_t kx = 0; kx < w.kernel[2]; ++kx) {
        const int64_t tx = kx * w.dilation[2];
        b.off.push_back(long((ci * b.bandRows + ky * w.dilation[1]) * b.rowStride + tx % sw * b.phaseLen + tx / sw));
      }
  return b;
}

ConvLayer readWinograd3x3Layer(const LayerCheck& c) {
  const ConvLayer L = readConvLayer(c, true);
  const Window3& w = L.d.win;
  const bool fits = L.d.nSpatial == 2 && L.d.groups == 1 && w.kernel[1] == 3 && w.kernel[2] == 3 &&
                    w.stride[1] == 1 && w.stride[2] == 1 && w.dilation[1] == 1 && w.dilation[2] == 1;
  if (!fits)
    c.fail(cat("kernel ", c.layer().kernel, " needs a 2-D 3x3 convolution with stride 1, dilation 1 and groups 1"));
  if (c.input(1).location != Location::weights) c.fail(cat("kernel ", c.layer().kernel, " needs constant weights"));
  return L;
}

ConvLayer readConvLayer(const LayerCheck& c, bool withResidual) {
  const std::string& kernel = c.layer().kernel;
  c.inputs(2, 4);
  c.outputs(1);
  if (c.ints().empty())
    c.fail(cat("kernel ", kernel, " expects ints [nSpatial, groups, activationCode, strides[n], ...], got []"));
  const size_t n = size_t(c.intIn(0, 1, 3, "nSpatial"));
  if (c.ints().size() != 4 + 4 * n)  // hasResidual is optional
    c.intCount(3 + 4 * n, "[nSpatial, groups, activationCode, strides[n], padsBegin[n], padsEnd[n], dilations[n]]");
  c.floatCount(2, "[alpha, beta]");
  c.allF32();
  ConvLayer L;
  L.act = c.activation(2);
  L.x = c.inputId(0);
  L.w = c.inputId(1);
  L.residual = readResidual(c, 3 + 4 * n);
  if (L.residual >= 0 && !withResidual)
    c.fail(cat("kernel ", kernel, " has no residual input (kernels conv, convWide and convWinograd do)"));
  const size_t operands = c.inputCount() - (L.residual >= 0 ? 1 : 0);
  if (operands < 2 || operands > 3)
    c.fail(cat("kernel ", kernel, " expects x, w, an optional bias", L.residual >= 0 ? " and the residual" : "", ", got ",
               c.inputCount(), " inputs"));
  L.b = operands == 3 ? int64_t(c.inputId(2)) : -1;
  L.y = c.outputId(0);
  const TensorDesc &x = c.input(0), &w = c.input(1), &y = c.output(0);
  const size_t rank = n + 2;
  if (x.shape.size() != rank)
    c.fail(cat("kernel ", kernel, " with ", n, " spatial dims expects an input of rank ", rank, ", got ",
               LayerCheck::describe(x)));
  if (y.shape.size() != rank)
    c.fail(cat("kernel ", kernel, " with ", n, " spatial dims expects an output of rank ", rank, ", got ",
               LayerCheck::describe(y)));
  ConvDims& d = L.d;
  d.nSpatial = int64_t(n);
  d.batch = x.shape[0];
  d.channels = x.shape[1];
  d.outChannels = y.shape[1];
  d.groups = c.intIn(1, 1, d.channels, "groups");
  if (d.channels % d.groups || d.outChannels % d.groups)
    c.fail(cat("groups ", d.groups, " must divide input channels ", d.channels, " and output channels ", d.outChannels));

  Shape expectW = {d.outChannels, d.channels / d.groups};
  for (size_t i = 0; i < n; ++i) expectW.push_back(w.shape.size() == rank ? w.shape[2 + i] : 1);
  if (w.shape != expectW)
    c.fail(cat("kernel ", kernel, " expects weights ", typeString(DType::f32, expectW), " for input ",
               typeString(x.dtype, x.shape), " with groups ", d.groups, ", got ", typeString(w.dtype, w.shape)));
  if (L.b >= 0 && c.input(2).shape != Shape{d.outChannels})
    c.fail(cat("kernel ", kernel, " expects bias ", typeString(DType::f32, {d.outChannels}), ", got ",
               LayerCheck::describe(c.input(2))));

  Shape expectY = {d.batch, d.outChannels};
  for (size_t i = 0; i < n; ++i) {
    const size_t a = 3 - n + i;  // spatial dims are right-aligned in Window3
    d.win.in[a] = x.shape[2 + i];
    d.win.kernel[a] = w.shape[2 + i];
    d.win.stride[a] = c.intIn(3 + i, 1, 1 << 20, "stride");
    d.win.padBegin[a] = c.intIn(3 + n + i, 0, 1 << 20, "padBegin");
    d.win.padEnd[a] = c.intIn(3 + 2 * n + i, 0, 1 << 20, "padEnd");
    d.win.dilation[a] = c.intIn(3 + 3 * n + i, 1, 1 << 20, "dilation");
    if (d.win.in[a] >= (1 << 30) || d.win.kernel[a] >= (1 << 30))
      c.fail(cat("kernel ", kernel, " supports spatial sizes below 2^30"));
    d.win.out[a] = windowOutSize(d.win.in[a], d.win.kernel[a], d.win.stride[a], d.win.padBegin[a], d.win.padEnd[a],
                                 d.win.dilation[a]);
    expectY.push_back(d.win.out[a]);
  }
  const auto& ints = c.ints();
  bool fits = true;
  for (size_t i = 2; i < rank; ++i) fits = fits && expectY[i] >= 1;
  if (!fits || y.shape != expectY)
    c.fail(cat("kernel ", kernel, " expects output ",
               fits ? typeString(DType::f32, expectY) : std::string("(none: the window does not fit)"), " for input ",
               typeString(x.dtype, x.shape), ", weights ", typeString(w.dtype, w.shape), ", strides ",
               listString(slice(ints, 3, n)), ", pads ", listString(slice(ints, 3 + n, n)), "+",
               listString(slice(ints, 3 + 2 * n, n)), ", dilations ", listString(slice(ints, 3 + 3 * n, n)), "; got ",
               typeString(y.dtype, y.shape)));
  // The im2col tables hold one entry per reduction row and per output position.
  if (d.win.outVolume() > (int64_t(1) << 28))
    c.fail(cat("kernel ", kernel, " supports at most 2^28 output positions per image"));
  if (d.reduction() > (int64_t(1) << 24))
    c.fail(cat("kernel ", kernel, " supports at most 2^24 weights per output channel"));
  return L;
}

}  // namespace kiln::cpu
