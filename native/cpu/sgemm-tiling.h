// How a batch of GEMM problems is cut into independent tiles of C for the
// threads of a pool. Each tile packs its own operands, so cutting costs
// repacking: splitting N repacks A once per extra column tile, splitting M
// repacks B once per extra row tile; the split that minimizes that is chosen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sgemm.h"

namespace kiln::cpu {

struct GemmTile {
  size_t problem;
  size_t m0, m1, n0, n1;
};

// colsMax: column remainders up to this width cost one multiply-add per row
// panel and k per column (the micro-kernel's cols path), wider ones a padded
// tile. With A packed at load and B packed per tile, splitting N repacks
// nothing twice, so such problems may be cut at any column (B's packing reads
// from any column); the cut that balances the threads' padded work wins.
std::vector<GemmTile> planTiles(const GemmProblem* problems, size_t count, unsigned threads, size_t mr, size_t nr,
                                size_t colsMax = 0);

}  // namespace kiln::cpu
