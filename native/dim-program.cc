// See dim-program.h.
#include "dim-program.h"

#include "text.h"

namespace kiln {
namespace {

constexpr int64_t kLimit = int64_t(1) << 53;  // dims stay exact in a JS number
constexpr size_t kMaxDepth = 64;

int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t floorMod(int64_t a, int64_t b) { return a - floorDiv(a, b) * b; }

}  // namespace

std::string checkDimProgram(const DimProgram& program, size_t symbols) {
  if (program.empty()) return "is empty";
  size_t depth = 0;
  for (size_t i = 0; i < program.size(); ++i) {
    const int64_t w = program[i];
    if (w == kDimConst || w == kDimSymbol) {
      if (i + 1 >= program.size()) return cat("ends inside word ", i);
      const int64_t operand = program[++i];
      if (w == kDimConst && (operand < -kLimit || operand > kLimit)) return cat("has constant ", operand, " out of range");
      if (w == kDimSymbol && (operand < 0 || uint64_t(operand) >= symbols))
        return cat("refers to symbol ", operand, " but the plan has ", symbols);
      if (++depth > kMaxDepth) return "nests too deeply";
    } else if (w >= kDimAdd && w <= kDimMin) {
      if (depth < 2) return cat("word ", i, " needs two operands");
      --depth;
    } else {
      return cat("has unknown word ", w, " at ", i);
    }
  }
  if (depth != 1) return cat("leaves ", depth, " values instead of one");
  return {};
}

bool evalDimProgram(const DimProgram& program, const std::vector<int64_t>& binding, int64_t* out, std::string* why) {
  int64_t stack[kMaxDepth];
  size_t n = 0;
  for (size_t i = 0; i < program.size(); ++i) {
    const int64_t w = program[i];
    if (w == kDimConst) { stack[n++] = program[++i]; continue; }
    if (w == kDimSymbol) { stack[n++] = binding[size_t(program[++i])]; continue; }
    const int64_t b = stack[--n], a = stack[n - 1];
    if ((w == kDimFloorDiv || w == kDimCeilDiv || w == kDimMod) && b == 0) {
      *why = "divides by zero";
      return false;
    }
    int64_t r = 0;
    switch (w) {
      case kDimAdd: r = a + b; break;
      case kDimSub: r = a - b; break;
      case kDimMul:
        if (a != 0 && (b > kLimit / (a < 0 ? -a : a) || b < -kLimit / (a < 0 ? -a : a))) {
          *why = "overflows";
          return false;
        }
        r = a * b;
        break;
      case kDimFloorDiv: r = floorDiv(a, b); break;
      case kDimCeilDiv: r = -floorDiv(-a, b); break;
      case kDimMod: r = floorMod(a, b); break;
      case kDimMax: r = a > b ? a : b; break;
      default: r = a < b ? a : b; break;
    }
    if (r < -kLimit || r > kLimit) {
      *why = "overflows";
      return false;
    }
    stack[n - 1] = r;
  }
  *out = stack[0];
  return true;
}

std::string formatDimProgram(const DimProgram& program, const std::vector<std::string>& symbols) {
  // Precedence: 0 atoms and calls, 1 products, 2 sums; parenthesize a child
  // whose precedence is weaker than its place allows.
  struct Item { std::string text; int prec; };
  std::vector<Item> st;
  for (size_t i = 0; i < program.size(); ++i) {
    const int64_t w = program[i];
    if (w == kDimConst) { st.push_back({std::to_string(program[++i]), 0}); continue; }
    if (w == kDimSymbol) {
      const size_t s = size_t(program[++i]);
      st.push_back({s < symbols.size() ? symbols[s] : cat("$", s), 0});
      continue;
    }
    if (st.size() < 2) return "?";
    Item b = st.back();
    st.pop_back();
    Item a = st.back();
    st.pop_back();
    auto wrap = [](const Item& x, int allowed) { return x.prec > allowed ? cat("(", x.text, ")") : x.text; };
    switch (w) {
      case kDimAdd: st.push_back({cat(a.text, "+", wrap(b, 1)), 2}); break;
      case kDimSub: st.push_back({cat(a.text, "-", wrap(b, 1)), 2}); break;
      case kDimMul: st.push_back({cat(wrap(a, 1), "*", wrap(b, 0)), 1}); break;
      case kDimFloorDiv: st.push_back({cat("floor(", wrap(a, 1), "/", wrap(b, 0), ")"), 0}); break;
      case kDimCeilDiv: st.push_back({cat("ceil(", wrap(a, 1), "/", wrap(b, 0), ")"), 0}); break;
      case kDimMod: st.push_back({cat(wrap(a, 1), "%", wrap(b, 0)), 1}); break;
      case kDimMax: st.push_back({cat("max(", a.text, ",", b.text, ")"), 0}); break;
      case kDimMin: st.push_back({cat("min(", a.text, ",", b.text, ")"), 0}); break;
      default: return "?";
    }
  }
  return st.size() == 1 ? st[0].text : "?";
}

}  // namespace kiln
