// See kernel-registry.h. The list is built on first use and checked for
// duplicate names, so adding a kernel is one line here plus its file.
#include "kernel-registry.h"

#include <unordered_map>

#include "../error.h"
#include "../plan-view.h"
#include "../text.h"
#include "kernels.h"
#include "lowp-bf16-fp16.h"
#include "int8-kernels.h"
#include "gemm-packed.h"
#include "conv-direct.h"
#include "conv-1x1.h"
#include "layer-check.h"

namespace kiln {
namespace {

using cpu::KernelDef;

std::unordered_map<std::string, KernelDef> buildRegistry() {
  const KernelDef all[] = {
      cpu::copyKernel(), cpu::transposeKernel(), cpu::unaryKernel(),   cpu::binaryKernel(), cpu::scaleKernel(),
      cpu::convKernel(), cpu::poolKernel(),      cpu::gemmKernel(), cpu::gemmWideKernel(),    cpu::softmaxKernel(), cpu::concatKernel(),
      cpu::deconvKernel(), cpu::rnnKernel(), cpu::gruKernel(), cpu::lstmKernel(),
      cpu::convDepthwiseKernel(), cpu::pool2dKernel(), cpu::gemvKernel(), cpu::gemmRowsKernel(), cpu::gemmPackedKernel(), cpu::gemmBatchedKernel(), cpu::softmaxRowsKernel(), cpu::transposeTiledKernel(), cpu::convWinogradKernel(), cpu::convWideKernel(), cpu::convWinogradWideKernel(),
      cpu::convDepthwise8cKernel(), cpu::convDepthwiseNhwcKernel(), cpu::convNhwcKernel(), cpu::convDirectKernel(), cpu::conv1x1Kernel(), cpu::conv1x1StreamKernel(), cpu::convWinogradFusedKernel(), cpu::convWinogradF43Kernel(), cpu::poolNhwcKernel(),
      cpu::convSmallCKernel(),
      cpu::poolI8Kernel(),
      cpu::reduceKernel(), cpu::argmaxKernel(), cpu::hardmaxKernel(), cpu::topkKernel(), cpu::cumsumKernel(), cpu::logSoftmaxKernel(), cpu::layerNormKernel(), cpu::instanceNormKernel(), cpu::batchNormKernel(),
      cpu::mathKernel(), cpu::compareKernel(), cpu::whereKernel(), cpu::preluKernel(), cpu::castKernel(), cpu::modKernel(),
      cpu::quantizeKernel(), cpu::dequantizeKernel(), cpu::qconvKernel(), cpu::qgemmKernel(), cpu::qmatmulKernel(), cpu::qconvNhwcKernel(),
      cpu::pointwiseKernel(),
      cpu::lowpConvKernel(), cpu::lowpConvWideKernel(), cpu::lowpConvWinogradKernel(), cpu::lowpConvWinogradWideKernel(), cpu::lowpConvDepthwiseKernel(), cpu::lowpGemmKernel(), cpu::lowpGemmRowsKernel(), cpu::lowpGemvKernel(), cpu::gemvBf16Kernel(),  // lowp-bf16-fp16.h
      cpu::sliceKernel(), cpu::splitKernel(), cpu::tileKernel(), cpu::expandKernel(), cpu::depthToSpaceKernel(), cpu::spaceToDepthKernel(), cpu::gatherKernel(), cpu::gatherElementsKernel(), cpu::padKernel(), cpu::resizeKernel(), cpu::triluKernel(), cpu::fillKernel(), cpu::rangeKernel(), cpu::shapeKernel(),
  };
  std::unordered_map<std::string, KernelDef> registry;
  for (const KernelDef& k : all)
    if (!registry.emplace(k.name, k).second)
      throw Error(codes::kInternal, cat("kernel registry lists ", quoted(k.name), " twice"));
  return registry;
}

const std::unordered_map<std::string, KernelDef>& registry() {
  static const std::unordered_map<std::string, KernelDef> r = buildRegistry();
  return r;
}

// Outputs may share memory with inputs only as an exact alias, and only for
// kernels that read each element before writing it.
void checkOperandOverlap(const LayerDesc& layer, const KernelDef& kernel, const std::vector<TensorDesc>& tensors) {
  for (uint32_t out : layer.outputs) {
    const Extent o = extentOf(tensors[out]);
    for (uint32_t in : layer.inputs) {
      if (tensors[in].location != Location::arena) continue;
      const Extent i = extentOf(tensors[in]);
      if (!extentsOverlap(o, i)) continue;
      const bool exact = extentsEqual(o, i);
      if (exact && kernel.inPlace) continue;
      if (kernel.inputsInOutput && o.offset <= i.offset && i.end() <= o.end()) continue;
      const std::string what = cat("layer ", quoted(layer.name), ": output ", quoted(tensors[out].name));
      if (exact)
        throw Error(codes::kKernel, cat(what, " shares its memory with input ", quoted(tensors[in].name),
                                        ", but kernel ", kernel.name, " cannot run in place"));
      throw Error(codes::kKernel,
                  cat(what, " partially overlaps input ", quoted(tensors[in].name), " in the arena"));
    }
  }
}

// A strided view (concat elimination at batch > 1) is written only by kernels that
// honour an output image stride and read only by a kernel that skips its inputs in
// place (concat, whose validate() checks each sits at its slice).
void checkStridedOperands(const LayerDesc& layer, const KernelDef& kernel, const std::vector<TensorDesc>& tensors) {
  auto refuse = [&](const char* role, uint32_t t, const char* ability) {
    throw Error(codes::kKernel, cat("layer ", quoted(layer.name), ": ", role, " ", quoted(tensors[t].name), " ",
                                    typeString(tensors[t].dtype, tensors[t].shape), " is a strided view (image stride ",
                                    tensors[t].imageStride, " elements), but kernel ", kernel.name, " cannot ", ability));
  };
  for (uint32_t t : layer.outputs)
    if (isStrided(tensors[t]) && !kernel.stridedOutput) refuse("output", t, "write strided outputs");
  for (uint32_t t : layer.inputs)
    if (isStrided(tensors[t]) && !kernel.inputsInOutput) refuse("input", t, "read strided inputs");
}

}  // namespace

const cpu::KernelDef* findKernel(std::string_view name) {
  const auto& r = registry();
  auto it = r.find(std::string(name));
  return it == r.end() ? nullptr : &it->second;
}

std::vector<std::unique_ptr<cpu::LayerOp>> prepareLayers(const PlanModel& plan, const uint8_t* weights) {
  std::vector<std::unique_ptr<cpu::LayerOp>> ops;
  ops.reserve(plan.layers.size());
  for (const LayerDesc& layer : plan.layers) {
    const KernelDef* kernel = findKernel(layer.kernel);
    if (!kernel)
      throw Error(codes::kKernel, cat("layer ", quoted(layer.name), " uses kernel ", quoted(layer.kernel),
                                      " that this runtime does not have"));
    checkOperandOverlap(layer, *kernel, plan.tensors);
    checkStridedOperands(layer, *kernel, plan.tensors);
    ops.push_back(kernel->validate(cpu::LayerCheck(layer, plan.tensors, weights)));
  }
  return ops;
}

}  // namespace kiln
