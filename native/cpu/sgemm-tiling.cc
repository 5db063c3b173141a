// See sgemm-tiling.h.
#include "sgemm-tiling.h"

#include <algorithm>
#include <cmath>

namespace kiln::cpu {
namespace {

// Below this many multiply-adds per tile, handing work to another thread
// costs more than it saves.
constexpr double kMinTileWork = 96.0 * 1024;

size_t ceilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

// Cuts one problem into about `parts` tiles, aligned to the register tile.
void splitProblem(const GemmProblem& p, size_t index, size_t parts, size_t mr, size_t nr,
                  std::vector<GemmTile>& out) {
  const size_t maxPm = ceilDiv(p.m, mr), maxPn = ceilDiv(p.n, nr);
  size_t bestPm = 1, bestPn = 1;
  double bestCost = -1;
  for (size_t pm = 1; pm <= std::min(parts, maxPm); ++pm) {
    const size_t pn = std::min(ceilDiv(parts, pm), maxPn);
    // Packing traffic of this split, plus a penalty for leaving threads idle.
    const double repack = double(pn) * double(p.m) + double(pm) * double(p.n);
    const double idle = pm * pn < parts ? double(parts - pm * pn) * double(p.m + p.n) : 0.0;
    const double cost = repack + idle;
    if (bestCost < 0 || cost < bestCost) bestCost = cost, bestPm = pm, bestPn = pn;
  }
  const size_t mt = ceilDiv(ceilDiv(p.m, bestPm), mr) * mr;
  const size_t nt = ceilDiv(ceilDiv(p.n, bestPn), nr) * nr;
  for (size_t m0 = 0; m0 < p.m; m0 += mt)
    for (size_t n0 = 0; n0 < p.n; n0 += nt)
      out.push_back({index, m0, std::min(p.m, m0 + mt), n0, std::min(p.n, n0 + nt)});
}

}  // namespace

std::vector<GemmTile> planTiles(const GemmProblem* problems, size_t count, unsigned threads, size_t mr, size_t nr) {
  std::vector<GemmTile> tiles;
  double total = 0;
  for (size_t i = 0; i < count; ++i) total += double(problems[i].m) * problems[i].n * problems[i].k;

  auto partsFor = [&](size_t i, double scale) {
    const GemmProblem& p = problems[i];
    const double work = double(p.m) * p.n * p.k;
    double parts = std::ceil(scale * threads * work / std::max(total, 1.0));
    parts = std::min(parts, std::max(1.0, std::floor(work / kMinTileWork)));
    return static_cast<size_t>(std::max(1.0, parts));
  };

  size_t planned = 0;
  for (size_t i = 0; i < count; ++i) planned += partsFor(i, 1.0);
  // An uneven tile count leaves threads idle in the last round: cut finer.
  const double scale = (threads > 1 && planned % threads != 0 && planned < 4 * threads) ? 2.0 : 1.0;
  tiles.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (problems[i].m == 0 || problems[i].n == 0) continue;
    splitProblem(problems[i], i, threads > 1 ? partsFor(i, scale) : 1, mr, nr, tiles);
  }
  return tiles;
}

}  // namespace kiln::cpu
