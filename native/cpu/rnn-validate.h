// Load-time checks of an rnn / gru / lstm layer: parameter counts and codes,
// which optional inputs are present, and every operand's dtype and shape
// against the sizes the layer implies. Returns the resolved configuration.
#pragma once

#include <cstdint>
#include <string>

#include "layer-check.h"
#include "rnn-cell.h"

namespace kiln::cpu {

// Tensor ids of a recurrent layer's operands; -1 marks an absent optional one.
struct RnnOperands {
  std::string layer;
  uint32_t x = 0, w = 0, r = 0, y = 0, yh = 0;
  int64_t b = -1, lens = -1, h0 = -1, c0 = -1, p = -1, yc = -1;
};

// Bits of ints[3], the optional inputs present (they follow x, w, r in this order).
enum RnnInputBits : int64_t { kRnnBias = 1, kRnnLens = 2, kRnnInitialH = 4, kRnnInitialC = 8, kRnnPeepholes = 16 };

RnnConfig validateRecurrent(const LayerCheck& c, RnnCell cell, RnnOperands* ops);

}  // namespace kiln::cpu
