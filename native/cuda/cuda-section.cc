// See cuda-section.h. Launch limits mirror the hardware's (grid y/z at most
// 65535, 1024 threads a block, 48 KiB of static shared memory), so a plan that
// could never launch is refused at load with the launch named.
#include "cuda-section.h"

#include "../byte-cursor.h"
#include "../byte-writer.h"
#include "../error.h"
#include "../plan-limits.h"
#include "../plan-model.h"
#include "../text.h"

#include <algorithm>
#include <vector>

namespace kiln::cuda {
namespace {

constexpr uint64_t kMaxLaunches = 1u << 24;
constexpr uint64_t kMaxArgs = 256;
constexpr uint32_t kMaxSharedBytes = 48 * 1024;

bool validFunctionName(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace

std::string archName(uint32_t arch) { return cat("sm_", arch); }

CudaSection readCudaSection(ByteCursor& c, const StringOf& string) {
  CudaSection s;
  s.present = true;
  c.setItem("the CUDA target");
  c.need(12);
  s.arch = c.u32();
  s.compiler = string(c.u32(), "the CUDA compiler name");
  const uint32_t count = c.u32();
  if (count > kMaxLaunches) throw Error(codes::kPlanCorrupt, cat("plan has too many CUDA launches (", count, ")"));
  c.needItems(count, 40);
  s.launches.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    CudaLaunch& l = s.launches[i];
    c.setItem(cat("CUDA launch ", i));
    c.need(40);
    l.layer = c.u32();
    l.function = string(c.u32(), cat("CUDA launch ", i, " function"));
    for (uint32_t& g : l.grid) g = c.u32();
    for (uint32_t& b : l.block) b = c.u32();
    l.sharedBytes = c.u32();
    const uint32_t nArgs = c.u32();
    if (nArgs > kMaxArgs) throw Error(codes::kPlanCorrupt, cat("plan CUDA launch ", i, " has too many arguments (", nArgs, ")"));
    c.need(uint64_t(nArgs) * 4);
    l.args.resize(nArgs);
    for (uint32_t& a : l.args) a = c.u32();
  }
  c.setItem("the cubin size");
  s.cubinBytes = c.u64();
  c.setItem(cat("the cubin of ", s.cubinBytes, " bytes"));
  s.cubin = c.bytes(s.cubinBytes);
  return s;
}

void writeCudaSection(ByteWriter& w, const CudaSection& s, const StringId& id) {
  w.u32(s.arch);
  w.u32(id(s.compiler));
  w.u32(static_cast<uint32_t>(s.launches.size()));
  for (const CudaLaunch& l : s.launches) {
    w.u32(l.layer);
    w.u32(id(l.function));
    for (uint32_t g : l.grid) w.u32(g);
    for (uint32_t b : l.block) w.u32(b);
    w.u32(l.sharedBytes);
    w.u32(static_cast<uint32_t>(l.args.size()));
    for (uint32_t a : l.args) w.u32(a);
  }
  w.u64(s.cubinBytes);
  w.bytes(s.cubin, s.cubinBytes);
}

void validateCudaSection(const PlanModel& plan, const char* errorCode) {
  const CudaSection& s = plan.cuda;
  if (!s.present) return;
  auto fail = [&](const std::string& m) { throw Error(errorCode, m); };
  if (s.arch < 30 || s.arch > 1000) fail(cat("plan CUDA target ", archName(s.arch), " is not a compute capability"));
  if (s.cubinBytes == 0) fail("plan CUDA target has no cubin");
  // Tensors the layers (or the plan's inputs and outputs) use, and where their arena bytes end.
  std::vector<bool> used(plan.tensors.size(), false);
  for (const LayerDesc& layer : plan.layers) {
    for (uint32_t t : layer.inputs) used[t] = true;
    for (uint32_t t : layer.outputs) used[t] = true;
  }
  for (uint32_t t : plan.inputs) used[t] = true;
  for (uint32_t t : plan.outputs) used[t] = true;
  uint64_t usedEnd = 0;
  for (size_t t = 0; t < plan.tensors.size(); ++t)
    if (used[t] && plan.tensors[t].location == Location::arena) usedEnd = std::max(usedEnd, plan.tensors[t].offset + tensorBytes(plan.tensors[t]));
  auto workspace = [&](uint32_t a) {
    const TensorDesc& d = plan.tensors[a];
    return !used[a] && d.location == Location::arena && d.offset >= usedEnd;
  };
  uint32_t lastLayer = 0;
  for (size_t i = 0; i < s.launches.size(); ++i) {
    const CudaLaunch& l = s.launches[i];
    const std::string label = cat("CUDA launch ", i, " ", quoted(l.function));
    if (!validFunctionName(l.function)) fail(cat("plan ", label, ": the function name must be 1..255 of [A-Za-z0-9_]"));
    if (l.layer >= plan.layers.size())
      fail(cat("plan ", label, " belongs to layer ", l.layer, " but the plan has ", plan.layers.size(), " layers"));
    if (l.layer < lastLayer) fail(cat("plan ", label, " is out of order: layer ", l.layer, " after layer ", lastLayer));
    lastLayer = l.layer;
    const LayerDesc& layer = plan.layers[l.layer];
    const std::string where = cat(label, " of layer ", quoted(layer.name));
    const uint64_t threads = uint64_t(l.block[0]) * l.block[1] * l.block[2];
    if (l.block[0] == 0 || l.block[1] == 0 || l.block[2] == 0 || threads > 1024)
      fail(cat("plan ", where, ": block ", l.block[0], "x", l.block[1], "x", l.block[2], " is not 1..1024 threads"));
    if (l.grid[0] == 0 || l.grid[0] > 0x7fffffffu || l.grid[1] == 0 || l.grid[1] > 65535 || l.grid[2] == 0 || l.grid[2] > 65535)
      fail(cat("plan ", where, ": grid ", l.grid[0], "x", l.grid[1], "x", l.grid[2], " is out of range"));
    if (l.sharedBytes > kMaxSharedBytes)
      fail(cat("plan ", where, ": ", l.sharedBytes, " bytes of shared memory exceed ", kMaxSharedBytes));
    for (uint32_t a : l.args) {
      bool operand = false;
      for (uint32_t t : layer.inputs) operand |= t == a;
      for (uint32_t t : layer.outputs) operand |= t == a;
      // Or a constant the code generator derived (half weights, padded rows: read-only weight
      // bytes), or its workspace (an arena tensor no layer uses, past every layer's bytes).
      if (!operand && a < plan.tensors.size()) operand = plan.tensors[a].location == Location::weights || workspace(a);
      if (!operand) fail(cat("plan ", where, ": argument tensor ", a, " is neither an operand of the layer, a constant nor the workspace"));
    }
  }
}

}  // namespace kiln::cuda
