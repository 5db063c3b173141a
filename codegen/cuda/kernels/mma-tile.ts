// The tensor-core GEMM core shared by gemm and conv (implicit GEMM) under fp16:
// C[M,N] = A[M,K] B[K,N] with f16 operands and f32 sums, on mma.sync m16n8k16.
// A block computes a BM x BN tile with a grid of warps, each owning a WM x WN
// piece made of 16x8 mma tiles. Per 32-deep K step the block stages A and B in
// shared memory as packed pairs of halves along K (one 32-bit word = k, k+1), so
// every fragment register of the mma is one shared load; rows are padded by four
// words, which keeps the 8 rows x 4 pairs a fragment load touches on distinct
// banks. The next K step's operands are fetched into registers while the tensor
// cores work on the current one. A, B and the store are code from the caller, as
// in the f32 tile (gemm-tile.ts): conv gathers B from the image, no im2col buffer.
import { CUDA_DIALECT as D } from '../dialect.js';
import { ELEMENTWISE_THREADS, elementwiseLaunch, gridStride, indent, renderKernel, type Param } from '../render.js';
import type { EmittedKernel, KernelCtx } from '../template.js';

export interface MmaTile {
  bm: number;
  bn: number;
  warpsM: number;
  warpsN: number;
}

/** Tile configurations, each a tactic; threads = 32 * warpsM * warpsN divides BN * 16 and BM * 16. */
export const MMA_TILES = {
  tc128x128: { bm: 128, bn: 128, warpsM: 2, warpsN: 4 },
  tc128x64: { bm: 128, bn: 64, warpsM: 4, warpsN: 2 },
  tc64x128: { bm: 64, bn: 128, warpsM: 2, warpsN: 2 },
  tc64x64: { bm: 64, bn: 64, warpsM: 2, warpsN: 2 },
  tc64x32: { bm: 64, bn: 32, warpsM: 2, warpsN: 1 },
  tc32x64: { bm: 32, bn: 64, warpsM: 1, warpsN: 2 },
} as const satisfies Record<string, MmaTile>;

export type MmaTileName = keyof typeof MMA_TILES;
export const MMA_TILE_NAMES = Object.keys(MMA_TILES) as MmaTileName[];

export const BK = 32;
const PAIRS = BK / 2;
const ROW_WORDS = PAIRS + 4;

export const mmaThreads = (t: MmaTile) => 32 * t.warpsM * t.warpsN;
export const mmaSharedBytes = (t: MmaTile) => 4 * ROW_WORDS * (t.bm + t.bn);

/** The rule without timing: the biggest tile that still gives every multiprocessor a block or two. */
export function chooseMmaTile(m: number, n: number, batch: number, multiprocessors: number): MmaTileName {
  const blocks = (t: MmaTile) => Math.ceil(m / t.bm) * Math.ceil(n / t.bn) * batch;
  for (const name of ['tc128x128', 'tc64x128', 'tc64x64'] as const) if (blocks(MMA_TILES[name]) >= multiprocessors) return name;
  return m <= 32 ? 'tc32x64' : n <= 64 ? 'tc64x32' : 'tc64x64';
}

export function mmaTactics(m: number, n: number, batch: number, multiprocessors: number): string[] {
  const first = chooseMmaTile(m, n, batch, multiprocessors);
  return [first, ...MMA_TILE_NAMES.filter((t) => t !== first)];
}

/** Split-K variants ('tc64x64.split'): K cut into slices on blockIdx.z, partial sums added into an f32 workspace. */
export const SPLIT_TILES: readonly MmaTileName[] = ['tc128x64', 'tc64x64', 'tc64x32'];
const SPLIT = '.split';

/** The tile and split of a tensor-core tactic, or undefined for other tactics. */
export function parseMma(tactic: string | undefined): { name: MmaTileName; split: boolean } | undefined {
  if (tactic === undefined) return undefined;
  const split = tactic.endsWith(SPLIT);
  const name = (split ? tactic.slice(0, -SPLIT.length) : tactic) as MmaTileName;
  return name in MMA_TILES && (!split || SPLIT_TILES.includes(name)) ? { name, split } : undefined;
}

export const isMmaTactic = (tactic: string | undefined): boolean => parseMma(tactic) !== undefined;

/**
 * How many K slices a split tactic uses: enough blocks for two per multiprocessor,
 * each slice at least four 32-deep steps; 1 means splitting does not pay.
 */
export function splitCount(t: MmaTile, m: number, n: number, k: number, multiprocessors: number): number {
  const blocks = Math.ceil(m / t.bm) * Math.ceil(n / t.bn);
  const steps = Math.ceil(k / BK);
  const s = Math.min(Math.floor(steps / 4), Math.ceil((2 * multiprocessors) / blocks), 32);
  return s < 2 ? 1 : Math.ceil(steps / Math.ceil(steps / s));
}

/** Split tactics worth timing for a GEMM of one batch entry. */
export function splitTactics(m: number, n: number, k: number, multiprocessors: number): string[] {
  return SPLIT_TILES.filter((t) => splitCount(MMA_TILES[t], m, n, k, multiprocessors) > 1).map((t) => `${t}${SPLIT}`);
}

export interface MmaCode {
  I: string;
  M: number;
  N: number;
  K: number;
  /** Statements before the K loop (group and batch offsets). */
  setup: string;
  /**
   * A's packed pair (k, k+1) at row `m` as a 32-bit word of two halves, for `k` even;
   * either an expression of `m`, `k` that is in bounds whenever m < M and k < K
   * (`aPair`), or one element at a time (`loadA`: the half bits of A[m][k], an
   * `unsigned short` expression; bounds are checked here).
   */
  aPair?: string;
  loadA?: string;
  /** Which index runs fastest across threads when staging A ('k' when A is K-contiguous). */
  aOrder: 'k' | 'm';
  bPair?: string;
  /** The half bits of B[k][n]. */
  loadB?: string;
  bOrder: 'k' | 'n';
  /**
   * With bOrder 'n': statements run once per thread for the column `n` it stages
   * (decomposing n, for conv), so `loadB` can use what they declare.
   */
  bColumn?: string;
  /**
   * With bColumn: B[k][n] and B[k][n+1] (n even, both in one row of memory) as one 32-bit
   * load, an expression of `k`. Each thread then stages two columns with word loads and
   * regroups them into K pairs with byte permutes (1x1 convs on half NCHW activations).
   */
  bRowWord?: string;
  /** Statements storing float `v` at row `m`, column `n` (both in range). */
  store: string;
  /** Split-K: this block sums K steps [blockIdx.z * chunk, + chunk) only. */
  splitChunk?: number;
  /**
   * Optional, used when N is even: statements storing `v0`, `v1` at row `m`, columns
   * `n` and `n + 1` (n even, both in range), e.g. as one 32-bit word of two halves.
   */
  storePair?: string;
}

/** Staging of one operand: which pair of which row/column each thread fetches. */
function staging(rows: number, threads: number, order: 'k' | 'other', name: string) {
  const per = (rows * PAIRS) / threads;
  if (!Number.isInteger(per)) throw new Error(`mma tile: ${rows} x ${PAIRS} pairs do not divide over ${threads} threads`);
  // order 'k': pair index fastest; 'other': row fastest (coalesced along M or N).
  const rc = order === 'k'
    ? (j: string) => [`(tid + ${j} * ${threads}) / ${PAIRS}`, `(tid + ${j} * ${threads}) % ${PAIRS}`]
    : (j: string) => [`(tid + ${j} * ${threads}) % ${rows}`, `(tid + ${j} * ${threads}) / ${rows}`];
  return { per, rc, name };
}

export function renderMma(t: MmaTile, c: MmaCode): string {
  const threads = mmaThreads(t);
  const wm = t.bm / t.warpsM, wn = t.bn / t.warpsN;
  const mt = wm / 16, nt = wn / 8;
  const { I } = c;
  const a = staging(t.bm, threads, c.aOrder === 'k' ? 'k' : 'other', 'A');
  const b = staging(t.bn, threads, c.bOrder === 'k' ? 'k' : 'other', 'B');
  // B's column is the same at every step when rows are fastest and the thread count is a multiple of BN.
  const fixedColumn = c.bOrder === 'n' && c.bColumn !== undefined && threads % t.bn === 0;
  // Column pairs: the same pair at every step when the thread count is a multiple of BN / 2.
  const wordPairs = c.bOrder === 'n' && c.bColumn !== undefined && c.bRowWord !== undefined && c.N % 2 === 0 && threads % (t.bn / 2) === 0;
  const half = t.bn / 2, wordsPer = (t.bn * PAIRS) / 2 / threads;
  const h = D.half;
  // Two elements (k, k+1) as one word; the loads are half bits, zero past the bounds.
  const pairOf = (load: string, inRange: string) =>
    `(${inRange} && k < ${c.K}) ? ${h.pack}(${load}, k + 1 < ${c.K} ? ${load.replace(/\bk\b/g, '(k + 1)')} : (unsigned short)0) : 0u`;
  const fetchA = (j: number) => {
    const [r, p] = a.rc(String(j));
    const pair = c.aPair ? `(m < ${c.M} && k < ${c.K}) ? ${c.aPair} : 0u` : pairOf(c.loadA!, `m < ${c.M}`);
    return `{ const ${I} m = m0 + ${r}, k = k0 + 2 * (${p}); ra[${j}] = ${pair}; }`;
  };
  const fetchB = (j: number) => {
    const [r, p] = b.rc(String(j));
    if (fixedColumn) return `{ const ${I} k = k0 + 2 * (${p}); ra_b[${j}] = ${pairOf(c.loadB!, 'bValid')}; }`;
    const pair = c.bPair ? `(n < ${c.N} && k < ${c.K}) ? ${c.bPair} : 0u` : pairOf(c.loadB!, `n < ${c.N}`);
    return `{ const ${I} n = n0 + ${r}, k = k0 + 2 * (${p}); ra_b[${j}] = ${pair}; }`;
  };
  const storeA = (j: number) => { const [r, p] = a.rc(String(j)); return `As[${r}][${p}] = ra[${j}];`; };
  const storeB = (j: number) => { const [r, p] = b.rc(String(j)); return `Bs[${r}][${p}] = ra_b[${j}];`; };
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const fetchWords = (j: number) => {
    const kp = `(tid + ${j * threads}) / ${half}`;
    const word = (k: string) => c.bRowWord!.replace(/\bk\b/g, k);
    return `{ const ${I} k = k0 + 2 * (${kp}); unsigned lo = 0u, hi = 0u; if (bValid && k < ${c.K}) { lo = ${word('k')}; if (k + 1 < ${c.K}) hi = ${word('(k + 1)')}; } rb0[${j}] = ${D.bytePerm}(lo, hi, 0x5410); rb1[${j}] = ${D.bytePerm}(lo, hi, 0x7632); }`;
  };
  const storeWords = (j: number) => {
    const kp = `(tid + ${j * threads}) / ${half}`;
    return `Bs[2 * (tid % ${half})][${kp}] = rb0[${j}]; Bs[2 * (tid % ${half}) + 1][${kp}] = rb1[${j}];`;
  };
  const fetch = [...range(a.per).map(fetchA), ...(wordPairs ? range(wordsPer).map(fetchWords) : range(b.per).map(fetchB))].join('\n');
  const stash = [...range(a.per).map(storeA), ...(wordPairs ? range(wordsPer).map(storeWords) : range(b.per).map(storeB))].join('\n');
  return [
    `${D.shared} unsigned As[${t.bm}][${ROW_WORDS}];`,
    `${D.shared} unsigned Bs[${t.bn}][${ROW_WORDS}];`,
    `const int tid = ${D.thread}, lane = tid & 31, warp = tid >> 5;`,
    `const int gid = lane >> 2, tig = lane & 3;`,
    `const int wm0 = (warp / ${t.warpsN}) * ${wm}, wn0 = (warp % ${t.warpsN}) * ${wn};`,
    `const ${I} m0 = (${I})${D.block.y} * ${t.bm}, n0 = (${I})${D.block.x} * ${t.bn};`,
    c.setup,
    wordPairs ? `const ${I} n = n0 + 2 * (tid % ${half});\nconst bool bValid = n < ${c.N};\n${c.bColumn}`
      : fixedColumn ? `const ${I} n = n0 + tid % ${t.bn};\nconst bool bValid = n < ${c.N};\n${c.bColumn}` : '',
    `float acc[${mt}][${nt}][4];`,
    `${D.unroll}`,
    `for (int i = 0; i < ${mt}; ++i)`,
    `  for (int j = 0; j < ${nt}; ++j)`,
    '    for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;',
    wordPairs ? `unsigned ra[${a.per}], rb0[${wordsPer}], rb1[${wordsPer}];` : `unsigned ra[${a.per}], ra_b[${b.per}];`,
    c.splitChunk ? `${I} k0 = (${I})${D.block.z} * ${c.splitChunk};
const ${I} kEnd = k0 + ${c.splitChunk} < ${c.K} ? k0 + ${c.splitChunk} : ${c.K};` : `${I} k0 = 0;
const ${I} kEnd = ${c.K};`,
    fetch,
    'for (; k0 < kEnd; ) {',
    indent([
      stash,
      D.barrier,
      `k0 += ${BK};`,
      'if (k0 < kEnd) {',
      indent(fetch),
      '}',
      `${D.unroll}`,
      `for (int ks = 0; ks < ${PAIRS}; ks += 8) {`,
      `  unsigned fa[${mt}][4], fb[${nt}][2];`,
      `  ${D.unroll}`,
      `  for (int i = 0; i < ${mt}; ++i) {`,
      '    const int r = wm0 + i * 16 + gid;',
      '    fa[i][0] = As[r][ks + tig]; fa[i][1] = As[r + 8][ks + tig];',
      '    fa[i][2] = As[r][ks + 4 + tig]; fa[i][3] = As[r + 8][ks + 4 + tig];',
      '  }',
      `  ${D.unroll}`,
      `  for (int j = 0; j < ${nt}; ++j) {`,
      '    const int r = wn0 + j * 8 + gid;',
      '    fb[j][0] = Bs[r][ks + tig]; fb[j][1] = Bs[r][ks + 4 + tig];',
      '  }',
      `  ${D.unroll}`,
      `  for (int i = 0; i < ${mt}; ++i)`,
      `    ${D.unroll}`,
      `    for (int j = 0; j < ${nt}; ++j) ${D.mma}(acc[i][j], fa[i], fb[j]);`,
      '}',
      D.barrier,
    ].join('\n')),
    '}',
    `${D.unroll}`,
    `for (int i = 0; i < ${mt}; ++i) {`,
    `  ${D.unroll}`,
    `  for (int j = 0; j < ${nt}; ++j) {`,
    ...(c.storePair && c.N % 2 === 0 ? [
      // Each lane holds columns n, n+1 (n even) of two rows: one paired store per row.
      `    ${D.unroll}`,
      '    for (int r = 0; r < 2; ++r) {',
      `      const ${I} m = m0 + wm0 + i * 16 + gid + r * 8, n = n0 + wn0 + j * 8 + tig * 2;`,
      `      if (m >= ${c.M} || n >= ${c.N}) continue;`,
      '      float v0 = acc[i][j][2 * r], v1 = acc[i][j][2 * r + 1];',
      indent(c.storePair, '      '),
      '    }',
    ] : [
      `    ${D.unroll}`,
      '    for (int q = 0; q < 4; ++q) {',
      `      const ${I} m = m0 + wm0 + i * 16 + gid + (q >> 1) * 8, n = n0 + wn0 + j * 8 + tig * 2 + (q & 1);`,
      `      if (m >= ${c.M} || n >= ${c.N}) continue;`,
      '      float v = acc[i][j][q];',
      indent(c.store, '      '),
      '    }',
    ]),
    '  }',
    '}',
  ].filter((l) => l !== '').join('\n');
}

/** The GEMM launch of a split-K layer: a body summing K steps [blockIdx.z * chunk, + chunk) and running `store` per element. */
export interface SplitGemm {
  body: (store: string, chunk: number) => string;
  /** Blocks along x and y (the K slices go on z). */
  grid: [number, number];
  threads: number;
  /** What the kernel's comment says of its tile. */
  note: string;
}

/** renderMma as the GEMM of a split-K layer. */
export const mmaSplitGemm = (t: MmaTile, code: Omit<MmaCode, 'store' | 'splitChunk'>): SplitGemm => ({
  body: (store, chunk) => renderMma(t, { ...code, splitChunk: chunk, store }),
  grid: [Math.ceil(code.N / t.bn), Math.ceil(code.M / t.bm)],
  threads: mmaThreads(t),
  note: `tile ${t.bm}x${t.bn}x32, ${t.warpsM}x${t.warpsN} warps`,
});

export interface SplitParts {
  I: string;
  M: number;
  N: number;
  K: number;
  gemm: SplitGemm;
  /** The operands the GEMM kernel reads, with their tensor indices. */
  operands: Param[];
  operandArgs: number[];
  /** What the epilogue kernel reads and writes besides the workspace (bias, residual, y). */
  tail: Param[];
  tailArgs: number[];
  /** Statements before `store` in the epilogue (what the GEMM kernel's setup declared that `store` uses). */
  storeSetup: string;
  store: string;
  restrict: boolean;
  slices: number;
}

/**
 * Split-K as three launches over the CUDA workspace: zero M x N f32 sums, the GEMM with
 * each K slice on its own blockIdx.z adding its partial tile with atomicAdd (element
 * (m, n) at ws[m * N + n]), then the layer's epilogue (bias, residual, activation,
 * store) once per element.
 */
export function renderSplit(ctx: KernelCtx, p: SplitParts): EmittedKernel[] {
  const { M, N, K, I } = p;
  const ws = ctx.workspace(4 * M * N);
  const steps = Math.ceil(K / BK);
  const chunk = Math.ceil(steps / p.slices) * BK;
  const slices = Math.ceil(K / chunk);
  const wsParam = { name: 'ws', type: 'float', out: true };
  const zero = `${ctx.name}_zero`, epi = `${ctx.name}_epilogue`;
  const body = p.gemm.body(`atomicAdd(ws + m * ${N} + n, v);`, chunk);
  return [
    {
      function: zero, source: renderKernel(zero, [wsParam], ELEMENTWISE_THREADS, true, gridStride(I, M * N, 'ws[i] = 0.f;')),
      ...elementwiseLaunch(M * N), sharedBytes: 0, args: [ws],
    },
    {
      function: ctx.name,
      source: `// split-K: ${slices} slices of ${chunk} along K=${K}, M=${M} N=${N}; ${p.gemm.note}\n${renderKernel(ctx.name, [...p.operands, wsParam], p.gemm.threads, true, body)}`,
      grid: [...p.gemm.grid, slices], block: [p.gemm.threads, 1, 1], sharedBytes: 0,
      args: [...p.operandArgs, ws],
    },
    {
      function: epi,
      source: renderKernel(epi, [{ name: 'ws', type: 'float' }, ...p.tail], ELEMENTWISE_THREADS, p.restrict,
        gridStride(I, M * N, [`const ${I} m = i / ${N}, n = i % ${N};`, p.storeSetup, 'float v = ws[i];', p.store].filter(Boolean).join('\n'))),
      ...elementwiseLaunch(M * N), sharedBytes: 0, args: [ws, ...p.tailArgs],
    },
  ];
}
