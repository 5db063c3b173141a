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

// A cuBLASLt record: 12 u32, 3 u64, 2 u32, 5 tensor indices (PLAN_FORMAT.md).
constexpr uint64_t kLtRecordBytes = 12 * 4 + 3 * 8 + 2 * 4 + 5 * 4;

void readLt(ByteCursor& c, CublasLtCall& x) {
  c.need(kLtRecordBytes);
  x.typeAB = LtType(c.u32());
  x.typeCD = LtType(c.u32());
  const uint32_t compute = c.u32();
  if (compute != 0) throw Error(codes::kPlanCorrupt, cat("plan cuBLASLt call has unknown compute type ", compute));
  for (uint32_t* v : {&x.transA, &x.transB, &x.m, &x.n, &x.k, &x.lda, &x.ldb, &x.ldc, &x.batch}) *v = c.u32();
  for (uint64_t* v : {&x.strideA, &x.strideB, &x.strideC}) *v = c.u64();
  x.epilogue = LtEpilogue(c.u32());
  x.beta = c.u32();
  for (uint32_t* t : {&x.a, &x.b, &x.c, &x.d, &x.bias}) *t = c.u32();
}

void writeLt(ByteWriter& w, const CublasLtCall& x) {
  w.u32(uint32_t(x.typeAB));
  w.u32(uint32_t(x.typeCD));
  w.u32(0);  // compute: f32
  for (uint32_t v : {x.transA, x.transB, x.m, x.n, x.k, x.lda, x.ldb, x.ldc, x.batch}) w.u32(v);
  for (uint64_t v : {x.strideA, x.strideB, x.strideC}) w.u64(v);
  w.u32(uint32_t(x.epilogue));
  w.u32(x.beta);
  for (uint32_t t : {x.a, x.b, x.c, x.d, x.bias}) w.u32(t);
}

uint64_t ltTypeBytes(LtType t) { return t == LtType::f32 ? 4 : 2; }

// Elements one matrix operand spans from its tensor's start (every batch entry). The
// fields are limited to 2^31 and strides to 2^48 first, so this cannot overflow.
uint64_t matrixEnd(uint64_t rows, uint64_t cols, uint64_t ld, uint32_t batch, uint64_t stride) {
  return (cols - 1) * ld + rows + uint64_t(batch - 1) * stride;
}

// Everything a cuBLASLt record could get wrong: types, sizes, leading dims, the
// tensors present for its epilogue and beta, each matrix inside its tensor's bytes,
// D apart from A, B and the bias, and C either D exactly or apart from it.
void validateLt(const PlanModel& plan, const CublasLtCall& x, const std::string& where, const std::function<void(const std::string&)>& fail) {
  const bool typesOk = (x.typeAB == LtType::f32 && x.typeCD == LtType::f32) ||
                       ((x.typeAB == LtType::f16 || x.typeAB == LtType::bf16) && (x.typeCD == x.typeAB || x.typeCD == LtType::f32));
  if (uint32_t(x.typeAB) > 2 || uint32_t(x.typeCD) > 2 || !typesOk)
    fail(cat("plan ", where, ": cuBLASLt types A/B ", uint32_t(x.typeAB), ", C/D ", uint32_t(x.typeCD),
             " are not one of f32/f32, f16/f16, f16/f32, bf16/bf16, bf16/f32"));
  if (x.transA > 1 || x.transB > 1) fail(cat("plan ", where, ": cuBLASLt transposes must be 0 or 1"));
  if (x.m == 0 || x.n == 0 || x.k == 0 || x.batch == 0 || x.batch > 65535)
    fail(cat("plan ", where, ": cuBLASLt m ", x.m, ", n ", x.n, ", k ", x.k, ", batch ", x.batch, " must be >= 1 (batch <= 65535)"));
  constexpr uint32_t kMaxDim = 1u << 31;
  constexpr uint64_t kMaxStride = uint64_t(1) << 48;
  if (x.m > kMaxDim || x.n > kMaxDim || x.k > kMaxDim || x.lda > kMaxDim || x.ldb > kMaxDim || x.ldc > kMaxDim ||
      x.strideA > kMaxStride || x.strideB > kMaxStride || x.strideC > kMaxStride)
    fail(cat("plan ", where, ": cuBLASLt sizes, leading dims or batch strides out of range"));
  const uint64_t rowsA = x.transA ? x.k : x.m, colsA = x.transA ? x.m : x.k;
  const uint64_t rowsB = x.transB ? x.n : x.k, colsB = x.transB ? x.k : x.n;
  if (x.lda < rowsA || x.ldb < rowsB || x.ldc < x.m)
    fail(cat("plan ", where, ": cuBLASLt leading dims ", x.lda, "/", x.ldb, "/", x.ldc, " are below the rows ", rowsA, "/", rowsB, "/", x.m));
  if (uint32_t(x.epilogue) > 3 || x.beta > 1) fail(cat("plan ", where, ": cuBLASLt epilogue ", uint32_t(x.epilogue), " or beta ", x.beta, " unknown"));
  const bool wantsBias = x.epilogue == LtEpilogue::bias || x.epilogue == LtEpilogue::reluBias;
  if (x.a == kNoTensor || x.b == kNoTensor || x.d == kNoTensor || (x.beta == 1) != (x.c != kNoTensor) || wantsBias != (x.bias != kNoTensor))
    fail(cat("plan ", where, ": cuBLASLt needs A, B and D, C exactly when beta is 1, and a bias exactly for a bias epilogue"));
  for (uint32_t t : cublasLtArgs(x))
    if (t >= plan.tensors.size()) fail(cat("plan ", where, ": cuBLASLt tensor ", t, " is out of range"));
  if (plan.tensors[x.d].location != Location::arena) fail(cat("plan ", where, ": cuBLASLt D must be an arena tensor"));
  struct Span { uint32_t tensor; uint64_t bytes; const char* name; };
  const uint64_t eab = ltTypeBytes(x.typeAB), ecd = ltTypeBytes(x.typeCD);
  std::vector<Span> spans = {{x.a, eab * matrixEnd(rowsA, colsA, x.lda, x.batch, x.strideA), "A"},
                             {x.b, eab * matrixEnd(rowsB, colsB, x.ldb, x.batch, x.strideB), "B"},
                             {x.d, ecd * matrixEnd(x.m, x.n, x.ldc, x.batch, x.strideC), "D"}};
  if (x.c != kNoTensor) spans.push_back({x.c, spans[2].bytes, "C"});
  if (x.bias != kNoTensor) spans.push_back({x.bias, ecd * x.m, "bias"});
  for (const Span& sp : spans) {
    const TensorDesc& t = plan.tensors[sp.tensor];
    if (sp.bytes > tensorBytes(t))
      fail(cat("plan ", where, ": cuBLASLt ", sp.name, " spans ", sp.bytes, " bytes but tensor ", quoted(t.name), " has ", tensorBytes(t)));
  }
  auto overlap = [&](const Span& p, const Span& q) {
    const TensorDesc &s = plan.tensors[p.tensor], &t = plan.tensors[q.tensor];
    return s.location == t.location && s.offset < t.offset + q.bytes && t.offset < s.offset + p.bytes;
  };
  for (size_t i : {0, 1}) if (overlap(spans[2], spans[i])) fail(cat("plan ", where, ": cuBLASLt D overlaps ", spans[i].name));
  if (x.bias != kNoTensor && overlap(spans[2], spans.back())) fail(cat("plan ", where, ": cuBLASLt D overlaps the bias"));
  if (x.c != kNoTensor && overlap(spans[2], spans[3]) && plan.tensors[x.c].offset != plan.tensors[x.d].offset)
    fail(cat("plan ", where, ": cuBLASLt C overlaps D without being D"));
}

}  // namespace

std::vector<uint32_t> cublasLtArgs(const CublasLtCall& c) {
  std::vector<uint32_t> out;
  for (uint32_t t : {c.a, c.b, c.c, c.d, c.bias})
    if (t != kNoTensor) out.push_back(t);
  return out;
}

const char* ltTypeName(LtType t) {
  switch (t) {
    case LtType::f32: return "f32";
    case LtType::f16: return "f16";
    case LtType::bf16: return "bf16";
  }
  return "?";
}

const char* ltEpilogueName(LtEpilogue e) {
  switch (e) {
    case LtEpilogue::none: return "none";
    case LtEpilogue::bias: return "bias";
    case LtEpilogue::relu: return "relu";
    case LtEpilogue::reluBias: return "reluBias";
  }
  return "?";
}

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
  c.needItems(count, 12);
  s.launches.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    CudaLaunch& l = s.launches[i];
    c.setItem(cat("CUDA launch ", i));
    c.need(12);
    l.layer = c.u32();
    l.function = string(c.u32(), cat("CUDA launch ", i, " function"));
    const uint32_t kind = c.u32();
    if (kind == uint32_t(LaunchKind::cublasLt)) {
      l.kind = LaunchKind::cublasLt;
      readLt(c, l.lt);
      l.args = cublasLtArgs(l.lt);
      continue;
    }
    if (kind != uint32_t(LaunchKind::kernel)) throw Error(codes::kPlanCorrupt, cat("plan CUDA launch ", i, " has unknown kind ", kind));
    c.need(32);
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
    w.u32(uint32_t(l.kind));
    if (l.kind == LaunchKind::cublasLt) {
      writeLt(w, l.lt);
      continue;
    }
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
    if (l.kind == LaunchKind::cublasLt) {
      validateLt(plan, l.lt, where, fail);
    } else {
      const uint64_t threads = uint64_t(l.block[0]) * l.block[1] * l.block[2];
      if (l.block[0] == 0 || l.block[1] == 0 || l.block[2] == 0 || threads > 1024)
        fail(cat("plan ", where, ": block ", l.block[0], "x", l.block[1], "x", l.block[2], " is not 1..1024 threads"));
      if (l.grid[0] == 0 || l.grid[0] > 0x7fffffffu || l.grid[1] == 0 || l.grid[1] > 65535 || l.grid[2] == 0 || l.grid[2] > 65535)
        fail(cat("plan ", where, ": grid ", l.grid[0], "x", l.grid[1], "x", l.grid[2], " is out of range"));
      if (l.sharedBytes > kMaxSharedBytes)
        fail(cat("plan ", where, ": ", l.sharedBytes, " bytes of shared memory exceed ", kMaxSharedBytes));
    }
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
