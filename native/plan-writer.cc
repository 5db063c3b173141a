// Serializes a PlanModel. The section order and field widths here must match
// plan-reader.cc and PLAN_FORMAT.md exactly; both sides take their constants
// from plan-layout.h.
#include "plan-writer.h"

#include <string>
#include <unordered_map>

#include "byte-writer.h"
#include "checksum.h"
#include "cpu/kernel-registry.h"
#include "error.h"
#include "plan-dynamic.h"
#include "plan-layout.h"
#include "plan-validate.h"
#include "text.h"

namespace kiln {
namespace {

// Every name, kernel and info string goes into one table, stored once.
class StringTable {
 public:
  uint32_t id(const std::string& s) {
    auto [it, added] = index_.emplace(s, static_cast<uint32_t>(strings_.size()));
    if (added) strings_.push_back(&it->first);
    return it->second;
  }
  void write(ByteWriter& w) const {
    w.u32(static_cast<uint32_t>(strings_.size()));
    for (const std::string* s : strings_) w.string(*s);
  }

 private:
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<const std::string*> strings_;  // map nodes are stable
};

// Writes tag + length placeholder, runs `body`, then patches the length.
template <typename Body>
void section(ByteWriter& w, uint32_t tag, Body body) {
  w.u32(tag);
  w.u32(0);
  const uint64_t lengthAt = w.position();
  w.u64(0);
  body();
  w.patchU64(lengthAt, w.position() - lengthAt - 8);
}

void writeHeader(ByteWriter& w, const PlanModel& plan) {
  for (char c : layout::kMagic) w.bytes(reinterpret_cast<const uint8_t*>(&c), 1);
  w.u32(layout::kFormatVersion);
  const uint64_t raw = layout::kFixedHeaderBytes + plan.kilnVersion.size();
  const uint64_t headerBytes = raw + layout::padTo(raw, layout::kHeaderAlignment);
  w.u32(static_cast<uint32_t>(headerBytes));
  w.u64(plan.isaMask);
  w.bytes(plan.buildDigest.data(), plan.buildDigest.size());
  w.u64(0);  // body bytes, patched at the end
  w.u64(0);  // body checksum, patched at the end
  w.string(plan.kilnVersion);
  w.zeros(headerBytes - raw);
}

void writeTensors(ByteWriter& w, const PlanModel& plan, StringTable& strings) {
  w.u32(static_cast<uint32_t>(plan.tensors.size()));
  for (const TensorDesc& t : plan.tensors) {
    w.u32(strings.id(t.name));
    w.u32(static_cast<uint32_t>(t.dtype));
    w.u32(static_cast<uint32_t>(t.location));
    w.u32(static_cast<uint32_t>(t.shape.size()));
    w.u64(t.offset);
    for (int64_t d : t.shape) w.i64(d);
    w.u64(t.imageStride);
  }
}

void writeIndexList(ByteWriter& w, const std::vector<uint32_t>& list) {
  w.u32(static_cast<uint32_t>(list.size()));
  for (uint32_t t : list) w.u32(t);
}

void writeLayers(ByteWriter& w, const PlanModel& plan, StringTable& strings) {
  w.u32(static_cast<uint32_t>(plan.layers.size()));
  for (const LayerDesc& l : plan.layers) {
    w.u32(strings.id(l.name));
    w.u32(strings.id(l.kernel));
    w.u32(strings.id(l.info));
    w.u32(static_cast<uint32_t>(l.inputs.size()));
    w.u32(static_cast<uint32_t>(l.outputs.size()));
    w.u32(static_cast<uint32_t>(l.ints.size()));
    w.u32(static_cast<uint32_t>(l.floats.size()));
    for (uint32_t t : l.inputs) w.u32(t);
    for (uint32_t t : l.outputs) w.u32(t);
    for (int64_t v : l.ints) w.i64(v);
    for (double v : l.floats) w.f64(v);
  }
}

void writeShapeList(ByteWriter& w, const std::vector<Shape>& shapes) {
  for (const Shape& s : shapes)
    for (int64_t d : s) w.i64(d);
}

// Ranks come from the tensors (TNSR), so only the values are stored here.
void writeDynamic(ByteWriter& w, const DynamicSection& dyn, StringTable& strings) {
  w.u32(static_cast<uint32_t>(dyn.symbols.size()));
  for (const ShapeSymbol& s : dyn.symbols) {
    w.u32(strings.id(s.name));
    w.u32(s.input);
    w.u32(s.dim);
  }
  w.u32(static_cast<uint32_t>(dyn.profiles.size()));
  for (const ShapeProfile& p : dyn.profiles) {
    writeShapeList(w, p.min);
    writeShapeList(w, p.opt);
    writeShapeList(w, p.max);
  }
  w.u32(static_cast<uint32_t>(dyn.tensors.size()));
  for (const DynamicTensor& t : dyn.tensors) {
    w.u32(t.tensor);
    for (const DimProgram& p : t.dims) {
      w.u32(static_cast<uint32_t>(p.size()));
      for (int64_t word : p) w.i64(word);
    }
  }
}

// A dynamic plan's layers must also accept the shapes at every profile's min,
// opt and max, so a kernel that cannot run a shape in range fails the build.
void checkProfileBounds(const PlanModel& plan) {
  for (size_t p = 0; p < plan.dynamic.profiles.size(); ++p) {
    const ShapeProfile& prof = plan.dynamic.profiles[p];
    for (const std::vector<Shape>* bound : {&prof.min, &prof.opt, &prof.max}) {
      const std::vector<int64_t> binding = bindSymbols(plan, *bound);
      PlanModel resolved = plan;
      resolved.tensors = resolveTensors(plan, binding);
      try {
        prepareLayers(resolved);
      } catch (const Error& e) {
        throw Error(e.code(), cat("optimization profile ", p, " at ", bindingText(plan, binding), ": ", e.what()));
      }
    }
  }
}

}  // namespace

std::vector<uint8_t> writePlan(const PlanModel& plan) {
  validatePlanStructure(plan, codes::kPlanInvalid);
  cuda::validateCudaSection(plan, codes::kPlanInvalid);
  validateDynamicSection(plan, codes::kPlanInvalid);
  prepareLayers(plan);  // throws KILN_KERNEL for a layer no kernel accepts
  checkProfileBounds(plan);

  std::vector<uint8_t> out;
  out.reserve(4096 + plan.weights.size + plan.tensors.size() * 64 + plan.layers.size() * 128);
  ByteWriter w(out);
  writeHeader(w, plan);
  const uint64_t bodyStart = w.position();

  // Strings are collected while the other sections are written, but must come
  // first in the file, so those sections are staged in a separate buffer.
  StringTable strings;
  std::vector<uint8_t> staged;
  ByteWriter s(staged);
  section(s, layout::kTagTensors, [&] { writeTensors(s, plan, strings); });
  section(s, layout::kTagGraph, [&] {
    s.u64(plan.arenaBytes);
    writeIndexList(s, plan.inputs);
    writeIndexList(s, plan.outputs);
  });
  section(s, layout::kTagLayers, [&] { writeLayers(s, plan, strings); });
  if (plan.dynamic.present) section(s, layout::kTagDynamic, [&] { writeDynamic(s, plan.dynamic, strings); });
  if (plan.cuda.present)
    section(s, layout::kTagCuda, [&] { cuda::writeCudaSection(s, plan.cuda, [&](const std::string& x) { return strings.id(x); }); });

  section(w, layout::kTagStrings, [&] { strings.write(w); });
  w.bytes(staged.data(), staged.size());
  section(w, layout::kTagWeights, [&] {
    w.u64(plan.weights.size);
    w.zeros(layout::padTo(w.position(), layout::kWeightsAlignment));
    w.bytes(plan.weights.data, plan.weights.size);
  });

  const uint64_t bodyBytes = w.position() - bodyStart;
  w.patchU64(layout::kOffBodyBytes, bodyBytes);
  w.patchU64(layout::kOffChecksum, fnv1a64(out.data() + bodyStart, bodyBytes));
  return out;
}

}  // namespace kiln
