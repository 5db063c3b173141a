// LayerCheck: the view of one layer a kernel's validate() gets, plus the
// checks every kernel needs (operand counts, parameter counts, dtypes), each
// throwing KILN_KERNEL with a message that starts "layer '<name>': ".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../error.h"
#include "../plan-model.h"
#include "../text.h"
#include "activation.h"

namespace kiln::cpu {

class LayerCheck {
 public:
  // `weights` is the engine's weight blob when the layer is being prepared
  // for execution, null when it is only validated (serialize, inspect).
  LayerCheck(const LayerDesc& layer, const std::vector<TensorDesc>& tensors, const uint8_t* weights)
      : layer_(layer), tensors_(tensors), weights_(weights) {}

  const LayerDesc& layer() const { return layer_; }
  const TensorDesc& input(size_t i) const { return tensors_[layer_.inputs[i]]; }
  const TensorDesc& output(size_t i) const { return tensors_[layer_.outputs[i]]; }
  uint32_t inputId(size_t i) const { return layer_.inputs[i]; }
  uint32_t outputId(size_t i) const { return layer_.outputs[i]; }
  size_t inputCount() const { return layer_.inputs.size(); }
  const std::vector<int64_t>& ints() const { return layer_.ints; }
  // The data of input i when it is a constant and the layer is being
  // prepared for execution (so kernels can prepack it); null otherwise.
  const float* constantF32(size_t i) const {
    const TensorDesc& t = input(i);
    if (!weights_ || t.location != Location::weights || t.dtype != DType::f32) return nullptr;
    return reinterpret_cast<const float*>(weights_ + t.offset);
  }
  const std::vector<double>& floats() const { return layer_.floats; }

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(codes::kKernel, cat("layer ", quoted(layer_.name), ": ", message));
  }

  // "kernel conv expects 2 or 3 inputs, got 4"
  void inputs(size_t min, size_t max) const;
  void outputs(size_t count) const;
  // Exact counts; `layoutHint` says what the list holds, for the message.
  void intCount(size_t count, const char* layoutHint) const;
  void floatCount(size_t count, const char* layoutHint) const;
  // Every operand in f32; names the first one that is not.
  void allF32() const;
  // Throws unless `value` is in [lo, hi]; `what` names the parameter.
  int64_t intIn(size_t index, int64_t lo, int64_t hi, const char* what) const;

  // Reads ints[codeIndex] as an activation code and floats [alpha, beta].
  Activation activation(size_t codeIndex) const;

  // "input 'x' f32[1,2,3]": how messages refer to an operand.
  static std::string describe(const TensorDesc& t) { return cat(quoted(t.name), " ", typeString(t.dtype, t.shape)); }

 private:
  const LayerDesc& layer_;
  const std::vector<TensorDesc>& tensors_;
  const uint8_t* weights_;
};

}  // namespace kiln::cpu
