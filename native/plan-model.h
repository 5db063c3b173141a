// PlanModel: the in-memory form of a plan, shared by both directions.
// The binding fills one from a JS PlanDesc and the writer serializes it; the
// reader fills one from bytes and the engine is built from it. Either way it
// goes through validatePlan() (plan-validate.h) before anyone trusts it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/cuda-section.h"
#include "dim-program.h"
#include "dtype.h"

namespace kiln {

enum class Location : uint8_t { arena = 0, weights = 1 };

struct TensorDesc {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
  Location location = Location::arena;
  uint64_t offset = 0;
  // Elements between consecutive indices of dim 0 when the tensor is a view of
  // its slice in a larger buffer (concat elimination at batch > 1: each image's
  // channels inside the concatenated image); 0 for a dense tensor. Only kernels
  // that declare it (KernelDef::stridedOutput) may write one (plan-view.h).
  uint64_t imageStride = 0;
};

struct LayerDesc {
  std::string name;
  std::string kernel;
  std::vector<uint32_t> inputs;   // tensor indices
  std::vector<uint32_t> outputs;  // tensor indices
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string info;  // opaque JSON, kept for inspection only
};

// Borrowed bytes: the weight blob lives in the caller's buffer (JS Uint8Array
// or the plan file) while a model is being written or validated.
struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// Dynamic shapes (section DYNS, absent from static plans). A symbol takes its
// value from one dim of one input; a profile gives every input dim a range;
// a dynamic tensor has one dim program per dim, and its TNSR shape is its
// capacity: the largest shape the arena holds for it.
struct ShapeSymbol {
  std::string name;
  uint32_t input = 0;  // index into PlanModel::inputs
  uint32_t dim = 0;
};

struct ShapeProfile {
  std::vector<Shape> min, opt, max;  // per plan input, in PlanModel::inputs order
};

struct DynamicTensor {
  uint32_t tensor = 0;
  std::vector<DimProgram> dims;  // one per dim of the tensor
};

struct DynamicSection {
  bool present = false;
  std::vector<ShapeSymbol> symbols;
  std::vector<ShapeProfile> profiles;
  std::vector<DynamicTensor> tensors;
};

struct PlanModel {
  uint32_t formatVersion = 4;
  std::string kilnVersion;
  std::array<uint8_t, 32> buildDigest{};
  uint64_t isaMask = 0;
  uint64_t arenaBytes = 0;
  ByteView weights;
  std::vector<TensorDesc> tensors;
  std::vector<uint32_t> inputs;
  std::vector<uint32_t> outputs;
  std::vector<LayerDesc> layers;
  DynamicSection dynamic;  // present only when some dims are symbolic
  cuda::CudaSection cuda;  // present only in plans built for a GPU
};

// Byte size of a validated tensor.
inline uint64_t tensorBytes(const TensorDesc& t) { return elementCount(t.shape) * dtypeSize(t.dtype); }

}  // namespace kiln
