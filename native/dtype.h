// Element types and shapes as the plan file and the kernels see them.
// The numeric codes are the ones in codegen/plan-desc.ts (PLAN_DTYPE_CODES);
// changing one is a plan format change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class DType : uint8_t { f32 = 0, f16 = 1, bf16 = 2, i8 = 3, u8 = 4, i32 = 5, i64 = 6, boolean = 7 };
inline constexpr uint32_t kDTypeCount = 8;

using Shape = std::vector<int64_t>;

bool isDTypeCode(uint64_t code);
size_t dtypeSize(DType t);
const char* dtypeName(DType t);
// False when the name is not one of the plan dtypes.
bool dtypeFromName(std::string_view name, DType* out);
// The names of all dtypes, for "known: ..." messages.
std::string dtypeNameList();

// Element count of a validated shape (dims >= 0, product known not to overflow).
uint64_t elementCount(const Shape& shape);
// "f32[1,3,224,224]": how every message prints a tensor type.
std::string typeString(DType t, const Shape& shape);
std::string typeString(std::string_view dtypeName, const Shape& shape);

}  // namespace kiln
