// Dtype tables and the one way tensor types are printed in messages.
#include "dtype.h"

#include "text.h"

namespace kiln {
namespace {

struct DTypeInfo {
  const char* name;
  size_t size;
};

// Indexed by code; order must follow PLAN_DTYPE_CODES.
constexpr DTypeInfo kInfo[kDTypeCount] = {
    {"f32", 4}, {"f16", 2}, {"bf16", 2}, {"i8", 1}, {"u8", 1}, {"i32", 4}, {"i64", 8}, {"bool", 1},
};

}  // namespace

bool isDTypeCode(uint64_t code) { return code < kDTypeCount; }

size_t dtypeSize(DType t) { return kInfo[static_cast<size_t>(t)].size; }

const char* dtypeName(DType t) { return kInfo[static_cast<size_t>(t)].name; }

bool dtypeFromName(std::string_view name, DType* out) {
  for (uint32_t i = 0; i < kDTypeCount; ++i) {
    if (name == kInfo[i].name) {
      *out = static_cast<DType>(i);
      return true;
    }
  }
  return false;
}

std::string dtypeNameList() {
  std::vector<std::string> names;
  for (const auto& info : kInfo) names.emplace_back(info.name);
  return joined(names, ", ");
}

uint64_t elementCount(const Shape& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

std::string typeString(std::string_view dtypeName, const Shape& shape) {
  return cat(dtypeName, listString(shape));
}

std::string typeString(DType t, const Shape& shape) { return typeString(dtypeName(t), shape); }

}  // namespace kiln
