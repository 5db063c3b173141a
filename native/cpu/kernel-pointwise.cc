// pointwise: runs a fused Pointwise program (src/ir/ops/fused.ts) in one pass over
// memory. The output is cut into blocks of kBlock elements; for each block every
// instruction runs over the whole block into small scratch slots that stay in L1,
// and the last one writes the output, so each input is read once and nothing but
// the output is written. Blocks are spread over the threads. Each instruction
// calls the loop of the kernel it replaces (applyActivation, mathF32, binaryF32,
// prelu's select), so the fused layer rounds exactly as the separate layers did.
// Layout (native/PLAN_FORMAT.md): ints [count, then family, code, argA, argB per
// instruction], floats [alpha, beta per instruction]; f32 only.
#include <algorithm>
#include <vector>

#include "activation.h"
#include "broadcast.h"
#include "kernel-pointwise-gather.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

enum class Family : int64_t { activation = 0, math = 1, binary = 2, prelu = 3 };
constexpr int64_t kFamilyCount = 4;
constexpr const char* kFamilyNames[] = {"activation", "math", "binary", "prelu"};
// Math codes stop before `not` (29): it computes on bool, which no program does.
constexpr int64_t kCodeCounts[] = {kActCount, 29, 7, 1};
constexpr size_t kBlock = 512;

// Where a register's values for the current block are: a full-size input read in
// place, a scalar input read with stride 0 (binary and prelu operands only), or a
// scratch slot (gathered inputs and instruction results).
enum class Source { direct, scalar, slot };

struct Reg {
  Source source = Source::slot;
  int32_t slot = -1;
};

struct Step {
  Family family;
  int64_t code;
  Activation act;
  float alpha, beta;
  int32_t a, b;  // registers; b is -1 for unary families
};

struct Program {
  std::vector<uint32_t> inputs;  // tensor ids, one per input register
  std::vector<PointwiseGather> gathers;
  std::vector<Reg> regs;         // inputs, then one per step
  std::vector<Step> steps;
  size_t slots = 0;
};

void prelu(const float* x, const float* s, int64_t ss, float* y, size_t n) {
  // As kernel-prelu.cc: x times a selected factor keeps -0 and NaN and vectorizes.
  for (size_t k = 0; k < n; ++k) {
    const float v = x[k];
    y[k] = v * (v < 0.f ? s[ss * static_cast<int64_t>(k)] : 1.f);
  }
}

class PointwiseOp final : public LayerOp {
 public:
  PointwiseOp(Program p, uint32_t y, uint64_t total) : p_(std::move(p)), y_(y), total_(total) {}

  void run(const RunContext& ctx) const override {
    float* y = ctx.data<float>(y_);
    // Longer programs do more work per element, so they split into smaller ranges.
    const size_t grain = std::max<size_t>(2 * kBlock, 65536 / p_.steps.size());
    ctx.pool->parallelRanges(total_, grain, [&](size_t begin, size_t end) {
      thread_local std::vector<float> scratch;
      thread_local std::vector<const float*> at;
      scratch.resize(std::max<size_t>(p_.slots, 1) * kBlock);
      at.resize(p_.regs.size());
      for (size_t i = begin; i < end; i += kBlock) runBlock(ctx, i, std::min(kBlock, end - i), y, scratch.data(), at.data());
    });
  }

 private:
  void runBlock(const RunContext& ctx, uint64_t i, size_t n, float* y, float* scratch, const float** at) const {
    const size_t inputs = p_.inputs.size();
    for (size_t r = 0; r < inputs; ++r) {
      const Reg& reg = p_.regs[r];
      const float* base = ctx.data<const float>(p_.inputs[r]);
      if (reg.source == Source::direct) at[r] = base + i;
      else if (reg.source == Source::scalar) at[r] = base;
      else if (reg.slot >= 0) p_.gathers[r].gather(base, i, n, scratch + reg.slot * kBlock), at[r] = scratch + reg.slot * kBlock;
    }
    for (size_t k = 0; k < p_.steps.size(); ++k) {
      const Step& s = p_.steps[k];
      const Reg& out = p_.regs[inputs + k];
      float* dst = k + 1 == p_.steps.size() ? y + i : scratch + out.slot * kBlock;
      const float* a = at[s.a];
      switch (s.family) {
        case Family::activation: applyActivation(s.act, a, dst, n); break;
        case Family::math: mathF32(s.code, s.alpha, s.beta, a, dst, n); break;
        case Family::binary:
          binaryF32(s.code, a, p_.regs[s.a].source == Source::scalar ? 0 : 1, at[s.b],
                    p_.regs[s.b].source == Source::scalar ? 0 : 1, dst, n);
          break;
        case Family::prelu: prelu(a, at[s.b], p_.regs[s.b].source == Source::scalar ? 0 : 1, dst, n); break;
      }
      at[inputs + k] = dst;
    }
  }

  Program p_;
  uint32_t y_;
  uint64_t total_;
};

// Decodes and checks the instructions; registers refer only to earlier ones.
std::vector<Step> decodeSteps(const LayerCheck& c, size_t inputs) {
  const auto& ints = c.ints();
  if (ints.empty() || ints[0] < 1) c.fail("kernel pointwise expects ints [count, family, code, argA, argB per instruction] with count >= 1");
  const size_t count = static_cast<size_t>(ints[0]);
  c.intCount(1 + 4 * count, "[count, family, code, argA, argB per instruction]");
  c.floatCount(2 * count, "[alpha, beta per instruction]");
  std::vector<Step> steps;
  for (size_t k = 0; k < count; ++k) {
    const int64_t* in = &ints[1 + 4 * k];
    if (in[0] < 0 || in[0] >= kFamilyCount) c.fail(cat("kernel pointwise instruction ", k, ": family ", in[0], " is not 0..", kFamilyCount - 1));
    Step s{static_cast<Family>(in[0]), in[1], {}, static_cast<float>(c.floats()[2 * k]), static_cast<float>(c.floats()[2 * k + 1]), 0, -1};
    const char* family = kFamilyNames[in[0]];
    if (s.code < 0 || s.code >= kCodeCounts[in[0]]) c.fail(cat("kernel pointwise instruction ", k, ": ", family, " code ", s.code, " is not 0..", kCodeCounts[in[0]] - 1));
    const bool binary = s.family == Family::binary || s.family == Family::prelu;
    const int64_t regs = static_cast<int64_t>(inputs + k);
    if (in[2] < 0 || in[2] >= regs || (binary && (in[3] < 0 || in[3] >= regs)))
      c.fail(cat("kernel pointwise instruction ", k, " (", family, ") reads register ", in[2], binary ? cat(", ", in[3]) : std::string(), "; only 0..", regs - 1, " exist then"));
    if (!binary && in[3] != -1) c.fail(cat("kernel pointwise instruction ", k, " (", family, ") takes one operand; its argB must be -1, got ", in[3]));
    s.a = static_cast<int32_t>(in[2]);
    s.b = static_cast<int32_t>(in[3]);
    if (s.family == Family::activation) s.act = {static_cast<Act>(s.code), s.alpha, s.beta};
    steps.push_back(s);
  }
  return steps;
}

// Scratch slots by liveness: a slot is free again after its register's last read,
// and a result may take its operand's slot (every loop reads element k before writing it).
void assignSlots(Program& p) {
  const size_t inputs = p.inputs.size(), total = inputs + p.steps.size();
  std::vector<int64_t> lastUse(total, -1);
  std::vector<bool> onlyBinary(inputs, true);
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const Step& s = p.steps[k];
    lastUse[s.a] = static_cast<int64_t>(k);
    if (s.b >= 0) lastUse[s.b] = static_cast<int64_t>(k);
    // Only the second operand of prelu may be a scalar; binary takes either.
    if (s.a < static_cast<int32_t>(inputs) && s.family != Family::binary) onlyBinary[s.a] = false;
  }
  std::vector<int32_t> free;
  auto take = [&]() {
    if (free.empty()) return static_cast<int32_t>(p.slots++);
    const int32_t s = free.back();
    free.pop_back();
    return s;
  };
  p.regs.assign(total, Reg{});
  for (size_t r = 0; r < inputs; ++r) {
    const PointwiseGather& g = p.gathers[r];
    if (g.direct()) p.regs[r].source = Source::direct;
    else if (g.dims.size() == 1 && g.strides[0] == 0 && onlyBinary[r]) p.regs[r].source = Source::scalar;
    else if (lastUse[r] >= 0) p.regs[r].slot = take();
  }
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const Step& s = p.steps[k];
    for (int32_t r : {s.a, s.b})
      if (r >= 0 && lastUse[r] == static_cast<int64_t>(k) && p.regs[r].slot >= 0 && (r != s.b || s.a != s.b)) free.push_back(p.regs[r].slot);
    if (k + 1 == p.steps.size()) break;
    p.regs[inputs + k].slot = take();
    if (lastUse[inputs + k] < 0) free.push_back(p.regs[inputs + k].slot);
  }
}

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 4096);
  c.outputs(1);
  const TensorDesc& y = c.output(0);
  for (size_t i = 0; i < c.inputCount(); ++i)
    if (c.input(i).dtype != DType::f32)
      c.fail(cat("kernel pointwise supports f32 only; input ", i, " is ", LayerCheck::describe(c.input(i))));
  if (y.dtype != DType::f32) c.fail(cat("kernel pointwise supports f32 only; output is ", LayerCheck::describe(y)));
  Program p;
  p.steps = decodeSteps(c, c.inputCount());
  Shape shape = c.input(0).shape;
  for (size_t i = 1; i < c.inputCount(); ++i) {
    Shape next;
    if (!broadcastShapes(shape, c.input(i).shape, &next))
      c.fail(cat("kernel pointwise cannot broadcast input ", LayerCheck::describe(c.input(i)), " with ", typeString(DType::f32, shape)));
    shape = next;
  }
  if (y.shape != shape)
    c.fail(cat("kernel pointwise expects output ", typeString(DType::f32, shape), " (the broadcast of its inputs), got ", typeString(y.dtype, y.shape)));
  for (size_t i = 0; i < c.inputCount(); ++i) {
    p.inputs.push_back(c.inputId(i));
    p.gathers.push_back(planPointwiseGather(c.input(i).shape, y.shape));
  }
  assignSlots(p);
  return std::make_unique<PointwiseOp>(std::move(p), c.outputId(0), elementCount(y.shape));
}

}  // namespace

// In place: an input that aliases the output has the output's shape, so it is read
// directly, element k of a block before the last instruction writes element k.
KernelDef pointwiseKernel() { return {"pointwise", true, validate}; }

}  // namespace kiln::cpu
