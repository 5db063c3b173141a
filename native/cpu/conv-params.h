// The parameters every conv tactic shares (conv, convDepthwise, convDirect,
// convWinograd): one layout of ints and floats, one validation, so a plan can
// switch a layer's tactic by changing only its kernel name.
// inputs: x [N, C, in...], w [Cout, C/groups, k...], optional b [Cout],
// optional residual (the output's type, last; see hasResidual).
// ints: [nSpatial, groups, activationCode, strides[n], padsBegin[n],
//        padsEnd[n], dilations[n], hasResidual (optional, appended: 0 when absent)].
// floats: [alpha, beta] of the activation.
#pragma once

#include <cstdint>
#include <vector>

#include "activation.h"
#include "layer-check.h"
#include "window.h"

namespace kiln::cpu {

struct ConvDims {
  int64_t batch, channels, outChannels, groups;
  Window3 win;
  int64_t nSpatial;
  int64_t groupChannels() const { return channels / groups; }
  int64_t groupOut() const { return outChannels / groups; }
  int64_t reduction() const { return groupChannels() * win.kernelVolume(); }
};

struct ConvLayer {
  ConvDims d;
  Activation act;
  uint32_t x, w, y;
  int64_t b;  // bias tensor, -1 when absent
  int64_t residual = -1;  // fused residual tensor, added before the activation; -1 when absent
};

// Throws KILN_KERNEL naming the layer (and its kernel) when the layer is not a
// well-formed convolution, or has a residual and the kernel takes none (withResidual).
ConvLayer readConvLayer(const LayerCheck& c, bool withResidual = false);

// readConvLayer(c, true) for the Winograd kernels: throws naming the layer's kernel
// unless it is a 2-D 3x3 convolution with stride 1, dilation 1, groups 1 and constant weights.
ConvLayer readWinograd3x3Layer(const LayerCheck& c);

// The staged input of the direct convs (kernel-conv-direct.cc, kernel-conv-small-c.cc):
// bands of `band` output rows, whose input rows are staged per channel split by stride
// phase (phase-split.h), each phase OW rounded up to 8 plus the taps' reach.
struct PhaseBands {
  int64_t phaseLen = 0, rowStride = 0, halo = 0, band = 1, bandRows = 0;
  std::vector<long> off;  // per (channel, ky, kx): the tap's offset in a staged band
};

// Bands within stageFloats (L2), and about 32 of them per batch (a thread preempted on
// a shared host leaves little behind); the rows two bands share are staged twice.
PhaseBands phaseBands(const ConvDims& d, int64_t stageFloats);

// True when every spatial dim has kernel 1, stride 1 and no padding.
bool isPointwise(const Window3& w);

}  // namespace kiln::cpu
