// The tiled SGEMM core shared by gemm and conv (implicit GEMM): C[M,N] = A[M,K] B[K,N]
// with A, B and the store given as code by the caller, so conv can gather B from the
// image on the fly (no im2col buffer). Each block stages a BMxBK slice of A and a
// BKxBN slice of B in shared memory, and each thread accumulates TMxTN outputs in
// registers. Thread (tx, ty) owns rows ty + i*(BM/TM) and columns tx + j*(BN/TN):
// neighbouring threads touch neighbouring columns, so shared reads are conflict-free
// and global stores coalesce. The +1 padding of the shared rows keeps the
// K-major staging stores from hitting one bank.
import { CUDA_DIALECT as D } from '../dialect.js';
import { indent } from '../render.js';

export interface TileShape {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
}

export const TILES = {
  square: { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
  /** Bigger register tiles for large problems: more FMAs per shared load. */
  wide: { bm: 64, bn: 128, bk: 16, tm: 4, tn: 8 },
  tall: { bm: 128, bn: 64, bk: 16, tm: 8, tn: 4 },
  /** Few output rows (LeNet's 20 and 50 channels): less waste along M. */
  short: { bm: 32, bn: 64, bk: 16, tm: 2, tn: 4 },
  /** Small problems: more, smaller blocks to fill the multiprocessors. */
  small: { bm: 32, bn: 32, bk: 16, tm: 2, tn: 2 },
} as const satisfies Record<string, TileShape>;

export const tileThreads = (t: TileShape) => (t.bm / t.tm) * (t.bn / t.tn);
export const tileSharedBytes = (t: TileShape) => 4 * t.bk * (t.bm + 1 + t.bn + 1);

export type TileName = keyof typeof TILES;
export const TILE_NAMES = Object.keys(TILES) as TileName[];

/** The rule without timing: `short` for M <= 32, `small` when `square` would leave SMs idle. */
export function chooseTileName(m: number, n: number, batch: number, multiprocessors: number): TileName {
  if (m <= 32) return 'short';
  const blocks = Math.ceil(m / 64) * Math.ceil(n / 64) * batch;
  return blocks < 2 * multiprocessors ? 'small' : 'square';
}

/** The rule's tile first, then the others: the candidates autotuning times. */
export function tileTactics(m: number, n: number, batch: number, multiprocessors: number): string[] {
  const first = chooseTileName(m, n, batch, multiprocessors);
  return [first, ...TILE_NAMES.filter((t) => t !== first)];
}

export function tileOf(tactic: string | undefined, m: number, n: number, batch: number, multiprocessors: number): TileShape {
  return TILES[(tactic as TileName | undefined) ?? chooseTileName(m, n, batch, multiprocessors)] ?? TILES[chooseTileName(m, n, batch, multiprocessors)];
}

export interface TileCode {
  I: string;
  M: number;
  N: number;
  K: number;
  /** Statements before the K loop (batch offsets, per-block setup). */
  setup: string;
  /** An expression for A[m][k] (variables `m`, `k` in range). */
  loadA: string;
  /** Which index runs fastest across threads when staging A ('k' for row-major A). */
  aOrder: 'k' | 'm';
  loadB: string;
  bOrder: 'k' | 'n';
  /** Statements storing float `v` (accumulated) at row `m`, column `n`. */
  store: string;
}

export function renderTile(t: TileShape, c: TileCode): string {
  const threads = tileThreads(t);
  const cols = t.bn / t.tn, rows = t.bm / t.tm;
  const { I } = c;
  const stageA = c.aOrder === 'k'
    ? `const int mm = e / ${t.bk}, kk = e % ${t.bk};`
    : `const int kk = e / ${t.bm}, mm = e % ${t.bm};`;
  const stageB = c.bOrder === 'k'
    ? `const int nn = e / ${t.bk}, kk = e % ${t.bk};`
    : `const int kk = e / ${t.bn}, nn = e % ${t.bn};`;
  return [
    `${D.shared} float As[${t.bk}][${t.bm + 1}];`,
    `${D.shared} float Bs[${t.bk}][${t.bn + 1}];`,
    `const int tid = ${D.thread}, tx = tid % ${cols}, ty = tid / ${cols};`,
    `const ${I} m0 = (${I})${D.block.y} * ${t.bm}, n0 = (${I})${D.block.x} * ${t.bn};`,
    c.setup,
    `float acc[${t.tm}][${t.tn}];`,
    `${D.unroll}`,
    `for (int i = 0; i < ${t.tm}; ++i)`,
    `  for (int j = 0; j < ${t.tn}; ++j) acc[i][j] = 0.f;`,
    `for (${I} k0 = 0; k0 < ${c.K}; k0 += ${t.bk}) {`,
    indent([
      `${D.unroll}`,
      `for (int e = tid; e < ${t.bm * t.bk}; e += ${threads}) {`,
      `  ${stageA}`,
      `  const ${I} m = m0 + mm, k = k0 + kk;`,
      `  As[kk][mm] = (m < ${c.M} && k < ${c.K}) ? (${c.loadA}) : 0.f;`,
      '}',
      `${D.unroll}`,
      `for (int e = tid; e < ${t.bk * t.bn}; e += ${threads}) {`,
      `  ${stageB}`,
      `  const ${I} k = k0 + kk, n = n0 + nn;`,
      `  Bs[kk][nn] = (k < ${c.K} && n < ${c.N}) ? (${c.loadB}) : 0.f;`,
      '}',
      D.barrier,
      `${D.unroll}`,
      `for (int kk = 0; kk < ${t.bk}; ++kk) {`,
      `  float ra[${t.tm}], rb[${t.tn}];`,
      `  ${D.unroll}`,
      `  for (int i = 0; i < ${t.tm}; ++i) ra[i] = As[kk][ty + i * ${rows}];`,
      `  ${D.unroll}`,
      `  for (int j = 0; j < ${t.tn}; ++j) rb[j] = Bs[kk][tx + j * ${cols}];`,
      `  ${D.unroll}`,
      `  for (int i = 0; i < ${t.tm}; ++i) {`,
      `    ${D.unroll}`,
      `    for (int j = 0; j < ${t.tn}; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);`,
      '  }',
      '}',
      D.barrier,
    ].join('\n')),
    '}',
    `${D.unroll}`,
    `for (int i = 0; i < ${t.tm}; ++i) {`,
    `  ${D.unroll}`,
    `  for (int j = 0; j < ${t.tn}; ++j) {`,
    `    const ${I} m = m0 + ty + i * ${rows}, n = n0 + tx + j * ${cols};`,
    `    if (m >= ${c.M} || n >= ${c.N}) continue;`,
    `    float v = acc[i][j];`,
    indent(c.store, '    '),
    '  }',
    '}',
  ].filter((l) => l !== '').join('\n');
}
