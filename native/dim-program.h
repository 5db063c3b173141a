// Dim programs: how a dynamic plan computes a tensor's dims at run time from
// the engine's shape symbols (batch, seq). Each dim is a short postfix program
// over i64 words (native/PLAN_FORMAT.md, section DYNS): [0, v] pushes the
// constant v, [1, s] pushes symbol s, and every other word pops two values
// and pushes one (add, sub, mul, floorDiv, ceilDiv, mod, max, min). Programs
// are checked once when a plan is read (checkDimProgram) so evaluation only
// has the arithmetic left to fail on (a division by zero, a negative dim).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

enum DimWord : int64_t {
  kDimConst = 0, kDimSymbol = 1, kDimAdd = 2, kDimSub = 3, kDimMul = 4,
  kDimFloorDiv = 5, kDimCeilDiv = 6, kDimMod = 7, kDimMax = 8, kDimMin = 9,
};

using DimProgram = std::vector<int64_t>;

// Empty when the program is well formed over `symbols` symbols (leaves exactly
// one value, known words, symbol indices in range); otherwise what is wrong.
std::string checkDimProgram(const DimProgram& program, size_t symbols);

// Evaluates a checked program. Returns false (and sets *why) on a division
// by zero or an out-of-range intermediate.
bool evalDimProgram(const DimProgram& program, const std::vector<int64_t>& binding, int64_t* out, std::string* why);

// "floor((h-1)/2)+1" style text for messages and inspection.
std::string formatDimProgram(const DimProgram& program, const std::vector<std::string>& symbols);

}  // namespace kiln
