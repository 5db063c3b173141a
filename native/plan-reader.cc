// Reads a plan in the order that gives the most useful message first:
// magic (is it a plan at all?), format version (can we read it?), header
// fields, body length (truncated?), checksum (damaged?), then every section
// with every count, index and length bounds-checked, and finally the shared
// structural validation (ranges, data flow).
#include "plan-reader.h"

#include <cstring>
#include <string>
#include <vector>

#include "byte-cursor.h"
#include "checksum.h"
#include "error.h"
#include "plan-dynamic.h"
#include "plan-layout.h"
#include "plan-limits.h"
#include "plan-validate.h"
#include "text.h"
#include "utf8.h"

namespace kiln {
namespace {

[[noreturn]] void corrupt(const std::string& message) { throw Error(codes::kPlanCorrupt, message); }

std::string tagName(uint32_t tag) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((tag >> (8 * i)) & 0xff);
    s.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return s;
}

class Reader {
 public:
  Reader(const uint8_t* bytes, size_t size) : file_(bytes), size_(size) {}

  PlanModel read() {
    const uint64_t bodyStart = readHeader();
    ByteCursor body(file_, bodyStart, size_, cat("file has ", size_, " bytes"));
    readSection(body, layout::kTagStrings, [&](ByteCursor& c) { readStrings(c); });
    readSection(body, layout::kTagTensors, [&](ByteCursor& c) { readTensors(c); });
    readSection(body, layout::kTagGraph, [&](ByteCursor& c) { readGraph(c); });
    readSection(body, layout::kTagLayers, [&](ByteCursor& c) { readLayers(c); });
    if (peekTag(body) == layout::kTagDynamic) readSection(body, layout::kTagDynamic, [&](ByteCursor& c) { readDynamic(c); });
    if (peekTag(body) == layout::kTagCuda)
      readSection(body, layout::kTagCuda, [&](ByteCursor& c) {
        plan_.cuda = cuda::readCudaSection(c, [&](uint32_t i, const std::string& what) -> const std::string& { return string(i, what); });
      });
    readSection(body, layout::kTagWeights, [&](ByteCursor& c) { readWeights(c); });
    if (body.remaining() != 0) corrupt(cat("plan has ", body.remaining(), " unexpected bytes after its last section"));
    validatePlanStructure(plan_, codes::kPlanCorrupt);
    cuda::validateCudaSection(plan_, codes::kPlanCorrupt);
    validateDynamicSection(plan_, codes::kPlanCorrupt);
    return std::move(plan_);
  }

 private:
  uint64_t readHeader() {
    const size_t magicBytes = sizeof layout::kMagic;
    if (std::memcmp(file_, layout::kMagic, size_ < magicBytes ? size_ : magicBytes) != 0)
      corrupt("not a kiln plan: bad magic");
    ByteCursor head(file_, 0, size_, cat("file has ", size_, " bytes"));
    head.setItem("the header");
    head.need(layout::kOffHeaderBytes);
    head.bytes(magicBytes);
    const uint32_t version = head.u32();
    if (version != layout::kFormatVersion)
      throw Error(codes::kPlanVersion, cat("plan format version ", version, " is not supported by this runtime (supports ",
                                           layout::kFormatVersion, ")"));
    head.need(layout::kFixedHeaderBytes - head.position());
    const uint32_t headerBytes = head.u32();
    plan_.formatVersion = version;
    plan_.isaMask = head.u64();
    std::memcpy(plan_.buildDigest.data(), head.bytes(32), 32);
    const uint64_t bodyBytes = head.u64();
    const uint64_t checksum = head.u64();
    const uint32_t versionLength = head.u32();
    if (versionLength > limits::kMaxVersionBytes)
      corrupt(cat("plan header: kiln version string of ", versionLength, " bytes exceeds the limit of ",
                  limits::kMaxVersionBytes));
    const uint64_t raw = layout::kFixedHeaderBytes + versionLength;
    const uint64_t expectHeader = raw + layout::padTo(raw, layout::kHeaderAlignment);
    if (headerBytes != expectHeader)
      corrupt(cat("plan header size is ", headerBytes, " bytes; its fields need exactly ", expectHeader));
    head.setItem("the kiln version string");
    plan_.kilnVersion = readUtf8(head, versionLength, "the kiln version string");
    head.setItem("the header padding");
    checkZeros(head, headerBytes - raw, "header padding");

    if (bodyBytes > size_ - headerBytes)
      corrupt(cat("plan is truncated: the header declares a body of ", bodyBytes, " bytes at offset ", headerBytes,
                  ", file has ", size_, " bytes"));
    if (bodyBytes < size_ - headerBytes)
      corrupt(cat("plan has ", size_ - headerBytes - bodyBytes, " unexpected bytes after its body"));
    if (fnv1a64(file_ + headerBytes, bodyBytes) != checksum) corrupt("plan checksum mismatch: the file is corrupted");
    return headerBytes;
  }

  // The tag of the next section, without consuming it (0 when none is left).
  static uint32_t peekTag(const ByteCursor& body) {
    if (body.remaining() < 4) return 0;
    ByteCursor copy = body;
    return copy.u32();
  }

  template <typename Parse>
  void readSection(ByteCursor& body, uint32_t expected, Parse parse) {
    body.setItem(cat("the header of section '", tagName(expected), "'"));
    const uint32_t tag = body.u32();
    if (tag != expected)
      corrupt(cat("plan section at offset ", body.position() - 4, " is '", tagName(tag), "', expected '",
                  tagName(expected), "'"));
    if (body.u32() != 0) corrupt(cat("plan section '", tagName(tag), "' has a nonzero reserved field"));
    const uint64_t length = body.u64();
    body.setItem(cat("section '", tagName(tag), "'"));
    body.need(length);
    const uint64_t end = body.position() + length;
    ByteCursor c(file_, body.position(), end, cat("section '", tagName(tag), "' ends at offset ", end));
    parse(c);
    if (c.remaining() != 0) corrupt(cat("plan section '", tagName(tag), "' has ", c.remaining(), " unexpected trailing bytes"));
    body.bytes(length);
  }

  std::string readUtf8(ByteCursor& c, uint64_t length, const std::string& what) {
    const uint8_t* p = c.bytes(length);
    if (!isValidUtf8(p, length)) corrupt(cat("plan: ", what, " is not valid UTF-8"));
    return std::string(reinterpret_cast<const char*>(p), length);
  }

  void checkZeros(ByteCursor& c, uint64_t n, const char* what) {
    const uint8_t* p = c.bytes(n);
    for (uint64_t i = 0; i < n; ++i)
      if (p[i] != 0) corrupt(cat("plan ", what, " at offset ", c.position() - n + i, " is not zero"));
  }

  void readStrings(ByteCursor& c) {
    c.setItem("the string count");
    const uint32_t count = c.u32();
    c.setItem("the string table");
    c.needItems(count, 4);
    strings_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      c.setItem(cat("string ", i));
      const uint32_t length = c.u32();
      if (length > limits::kMaxStringBytes)
        corrupt(cat("plan string ", i, " is ", length, " bytes; the limit is ", limits::kMaxStringBytes));
      strings_.push_back(readUtf8(c, length, cat("string ", i)));
    }
  }

  const std::string& string(uint32_t index, const std::string& what) {
    if (index >= strings_.size())
      corrupt(cat("plan: ", what, " refers to string ", index, " but the plan has ", strings_.size(), " strings"));
    return strings_[index];
  }

  void readTensors(ByteCursor& c) {
    c.setItem("the tensor count");
    const uint32_t count = c.u32();
    if (count > limits::kMaxTensors) corrupt(cat("plan has too many tensors (", count, ")"));
    c.setItem("the tensor table");
    c.needItems(count, 32);
    plan_.tensors.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      TensorDesc& t = plan_.tensors[i];
      c.setItem(cat("tensor ", i));
      c.need(32);
      t.name = string(c.u32(), cat("tensor ", i, " name"));
      const std::string label = cat("tensor ", i, " ", quoted(t.name));
      c.setItem(label);
      const uint32_t dtype = c.u32();
      if (!isDTypeCode(dtype)) corrupt(cat("plan ", label, " has unknown dtype code ", dtype));
      t.dtype = static_cast<DType>(dtype);
      const uint32_t location = c.u32();
      if (location > 1) corrupt(cat("plan ", label, " has unknown location code ", location));
      t.location = static_cast<Location>(location);
      const uint32_t rank = c.u32();
      if (rank > limits::kMaxRank) corrupt(cat("plan ", label, " has rank ", rank, "; the limit is ", limits::kMaxRank));
      t.offset = c.u64();
      c.need(uint64_t(rank) * 8 + 8);
      t.shape.resize(rank);
      for (auto& d : t.shape) d = c.i64();
      t.imageStride = c.u64();  // elements; 0 for dense (format 4)
    }
  }

  std::vector<uint32_t> readIndexList(ByteCursor& c, const char* what) {
    c.setItem(cat("the ", what, " count"));
    const uint32_t count = c.u32();
    c.setItem(cat("the ", what));
    c.needItems(count, 4);
    std::vector<uint32_t> list(count);
    for (auto& v : list) v = c.u32();
    return list;
  }

  void readGraph(ByteCursor& c) {
    c.setItem("the arena size");
    plan_.arenaBytes = c.u64();
    plan_.inputs = readIndexList(c, "input list");
    plan_.outputs = readIndexList(c, "output list");
  }

  void readLayers(ByteCursor& c) {
    c.setItem("the layer count");
    const uint32_t count = c.u32();
    if (count > limits::kMaxLayers) corrupt(cat("plan has too many layers (", count, ")"));
    c.setItem("the layer table");
    c.needItems(count, 28);
    plan_.layers.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      LayerDesc& l = plan_.layers[i];
      c.setItem(cat("layer ", i));
      c.need(28);
      l.name = string(c.u32(), cat("layer ", i, " name"));
      const std::string label = cat("layer ", i, " ", quoted(l.name));
      l.kernel = string(c.u32(), cat(label, " kernel name"));
      l.info = string(c.u32(), cat(label, " info"));
      const uint64_t nIn = c.u32(), nOut = c.u32(), nInts = c.u32(), nFloats = c.u32();
      for (uint64_t n : {nIn, nOut})
        if (n > limits::kMaxLayerOperands) corrupt(cat("plan ", label, " has too many operands (", n, ")"));
      for (uint64_t n : {nInts, nFloats})
        if (n > limits::kMaxLayerParams) corrupt(cat("plan ", label, " has too many parameters (", n, ")"));
      c.setItem(label);
      c.need((nIn + nOut) * 4 + (nInts + nFloats) * 8);
      l.inputs.resize(nIn);
      for (auto& v : l.inputs) v = c.u32();
      l.outputs.resize(nOut);
      for (auto& v : l.outputs) v = c.u32();
      l.ints.resize(nInts);
      for (auto& v : l.ints) v = c.i64();
      l.floats.resize(nFloats);
      for (auto& v : l.floats) v = c.f64();
    }
  }

  // Counts and indices are bounds-checked here, before they size anything;
  // meaning (ranges, programs) is validateDynamicSection's.
  void readDynamic(ByteCursor& c) {
    DynamicSection& dyn = plan_.dynamic;
    dyn.present = true;
    c.setItem("the shape symbol count");
    const uint32_t nSymbols = c.u32();
    c.setItem("the shape symbols");
    c.needItems(nSymbols, 12);
    dyn.symbols.resize(nSymbols);
    for (uint32_t i = 0; i < nSymbols; ++i) {
      ShapeSymbol& s = dyn.symbols[i];
      s.name = string(c.u32(), cat("shape symbol ", i, " name"));
      s.input = c.u32();
      s.dim = c.u32();
      if (s.input >= plan_.inputs.size() || s.dim >= plan_.tensors[plan_.inputs[s.input]].shape.size())
        corrupt(cat("plan shape symbol ", quoted(s.name), " refers to input ", s.input, " dim ", s.dim,
                    ", which the plan does not have"));
    }
    uint64_t inputDims = 0;
    for (uint32_t t : plan_.inputs) inputDims += plan_.tensors[t].shape.size();
    c.setItem("the profile count");
    const uint32_t nProfiles = c.u32();
    if (nProfiles > limits::kMaxProfiles) corrupt(cat("plan has too many optimization profiles (", nProfiles, ")"));
    c.setItem("the optimization profiles");
    c.needItems(nProfiles, inputDims * 24);
    dyn.profiles.resize(nProfiles);
    for (ShapeProfile& p : dyn.profiles)
      for (std::vector<Shape>* list : {&p.min, &p.opt, &p.max})
        for (uint32_t t : plan_.inputs) {
          Shape s(plan_.tensors[t].shape.size());
          for (auto& d : s) d = c.i64();
          list->push_back(std::move(s));
        }
    c.setItem("the dynamic tensor count");
    const uint32_t nTensors = c.u32();
    if (nTensors > plan_.tensors.size()) corrupt(cat("plan lists ", nTensors, " dynamic tensors but has ", plan_.tensors.size()));
    dyn.tensors.resize(nTensors);
    for (uint32_t i = 0; i < nTensors; ++i) {
      DynamicTensor& t = dyn.tensors[i];
      c.setItem(cat("dynamic tensor ", i));
      t.tensor = c.u32();
      if (t.tensor >= plan_.tensors.size())
        corrupt(cat("plan dynamic tensor ", i, " refers to tensor ", t.tensor, " but the plan has ", plan_.tensors.size()));
      t.dims.resize(plan_.tensors[t.tensor].shape.size());
      for (DimProgram& p : t.dims) {
        const uint32_t length = c.u32();
        if (length > limits::kMaxDimProgram) corrupt(cat("plan dim program of ", length, " words is too long"));
        c.need(uint64_t(length) * 8);
        p.resize(length);
        for (auto& w : p) w = c.i64();
      }
    }
  }

  void readWeights(ByteCursor& c) {
    c.setItem("the weight blob size");
    const uint64_t size = c.u64();
    c.setItem("the weight blob padding");
    checkZeros(c, layout::padTo(c.position(), layout::kWeightsAlignment), "weight blob padding");
    c.setItem(cat("the weight blob of ", size, " bytes"));
    plan_.weights.data = c.bytes(size);
    plan_.weights.size = size;
  }

  const uint8_t* file_;
  size_t size_;
  std::vector<std::string> strings_;
  PlanModel plan_;
};

}  // namespace

PlanModel readPlan(const uint8_t* bytes, size_t size) {
  static const uint8_t empty = 0;
  return Reader(bytes ? bytes : &empty, bytes ? size : 0).read();
}

}  // namespace kiln
