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

// Work of a tile of `rows` x `cols` in register-tile multiply-adds per k
// (a full MR x NR tile counts mr * nr), padding included, plus its packing of
// B (about one multiply-add's time per float).
double tileWork(size_t rows, size_t cols, size_t mr, size_t nr, size_t colsMax) {
  const size_t rem = cols % nr;
  double perPanel = double(cols / nr) * double(mr * nr);
  if (rem) perPanel += rem <= colsMax ? double(rem) * 8.0 : double(mr * nr);
  return double(ceilDiv(rows, mr)) * perPanel + double(cols) * 8.0;
}

// A prepacked A and B packed per tile: the cut among pm x pn grids (columns
// cut anywhere, or on NR boundaries) whose slowest round of tiles is shortest.
bool splitPrepackedA(const GemmProblem& p, size_t index, size_t parts, unsigned threads, size_t mr, size_t nr,
                     size_t colsMax, std::vector<GemmTile>& out) {
  const size_t maxPm = ceilDiv(p.m, mr);
  size_t bestMt = 0, bestNt = 0;
  double bestCost = -1;
  for (size_t pm = 1; pm <= std::min(parts, maxPm); ++pm) {
    const size_t pn = std::min(ceilDiv(parts, pm), p.n);
    const size_t mt = ceilDiv(ceilDiv(p.m, pm), mr) * mr;
    for (const size_t nt : {ceilDiv(ceilDiv(p.n, pn), nr) * nr, ceilDiv(p.n, pn)}) {
      const size_t tiles = ceilDiv(p.m, mt) * ceilDiv(p.n, nt);
      // A cut between register tiles gives both sides a remainder: it must win by more than 1%.
      const double unaligned = nt % nr ? 1.01 : 1.0;
      const double cost =
          unaligned * double(ceilDiv(tiles, threads)) * tileWork(std::min(mt, p.m), std::min(nt, p.n), mr, nr, colsMax);
      if (bestCost < 0 || cost < bestCost) bestCost = cost, bestMt = mt, bestNt = nt;
    }
  }
  if (bestCost < 0) return false;
  for (size_t m0 = 0; m0 < p.m; m0 += bestMt)
    for (size_t n0 = 0; n0 < p.n; n0 += bestNt)
      out.push_back({index, m0, std::min(p.m, m0 + bestMt), n0, std::min(p.n, n0 + bestNt)});
  return true;
}

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

std::vector<GemmTile> planTiles(const GemmProblem* problems, size_t count, unsigned threads, size_t mr, size_t nr,
                                size_t colsMax) {
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
    const size_t parts = threads > 1 ? partsFor(i, scale) : 1;
    const GemmProblem& p = problems[i];
    if (parts > 1 && p.aPacked && !p.bPacked && splitPrepackedA(p, i, parts, threads, mr, nr, colsMax, tiles)) continue;
    splitProblem(p, i, parts, mr, nr, tiles);
  }
  return tiles;
}

}  // namespace kiln::cpu
