// convNhwc (the CUDA layout's groups-1 conv, passes/assign-layout.ts): x [N,H,W,C],
// w [Cout,C,KH,KW] (constant), y and the fused residual [N,OH,OW,Cout].
//
// Under fp16 it is an implicit GEMM on tensor cores shaped for NHWC: rows are output
// pixels, columns output channels, and K runs over (kh, kw, c), so for one pixel and
// one tap eight neighbouring channels are 16 contiguous bytes. The weights get a half
// copy in the same K order ([Cout][KH][KW][C]). Each 32-deep K step a block stages its
// BM pixel rows and BN channel rows with 16-byte cp.async copies (zero-filled where the
// window leaves the image: no bounds in the inner loop), three steps in flight; shared
// rows are 64 bytes with their four 16-byte chunks XOR-swizzled by row, so the 8 rows x
// 4 words an mma fragment load touches fall on 32 distinct banks. Warps own WM x WN
// pieces of m16n8k16 tiles; the epilogue adds bias and residual, applies the activation
// and stores channel pairs as one word. Split-K (blockIdx.z) serves small layers.
// Under tf32 (f32 storage) the same kernel takes 4 channels a chunk and 16-deep K steps on
// mma m16n8k8, operands rounded to tf32 first. 1x1 convs may run on cuBLASLt (cublaslt.ts).
// Other storage (f32 without tf32, or other channel counts) runs a thread per output element.
import { CUDA_DIALECT as D } from '../dialect.js';
import { ELEMENTWISE_THREADS, activation, elementwiseLaunch, gridStride, indexType, numel, overlaps, renderKernel, type Param } from '../render.js';
import { cudaTemplate, requireF32, unsupported, type EmittedKernel, type KernelCtx } from '../template.js';
import { BK, renderSplit, splitCount, type MmaTile } from './mma-tile.js';
import { CUBLASLT_TACTIC, convCublasLt, convCublasLtTactics } from './cublaslt.js';

/** Tile configurations, each a tactic; every one stages whole 16-byte chunks (threads divide BM * 4 and BN * 4). */
export const NHWC_TILES = {
  nc128x128: { bm: 128, bn: 128, warpsM: 2, warpsN: 4 },
  // Four warps of 64x64: twice the mma work per byte of shared memory read as the 8-warp tile.
  nc128x128w4: { bm: 128, bn: 128, warpsM: 2, warpsN: 2 },
  nc128x64: { bm: 128, bn: 64, warpsM: 2, warpsN: 2 },
  nc64x128: { bm: 64, bn: 128, warpsM: 2, warpsN: 2 },
  nc64x64: { bm: 64, bn: 64, warpsM: 2, warpsN: 2 },
  nc32x64: { bm: 32, bn: 64, warpsM: 1, warpsN: 2 },
} as const satisfies Record<string, MmaTile>;
type NhwcTileName = keyof typeof NHWC_TILES;
const TILE_NAMES = Object.keys(NHWC_TILES) as NhwcTileName[];
const SPLIT_TILES: readonly NhwcTileName[] = ['nc128x64', 'nc64x64', 'nc32x64'];

/** K steps in flight (cp.async groups). */
export const STAGES = 3;
const ROW_WORDS = BK / 2;
const threadsOf = (t: MmaTile) => 32 * t.warpsM * t.warpsN;
export const nhwcSharedBytes = (t: MmaTile) => STAGES * (t.bm + t.bn) * ROW_WORDS * 4;

interface Shape {
  NB: number; H: number; W: number; C: number; CO: number; OH: number; OW: number; KH: number; KW: number;
  SH: number; SW: number; PH: number; PW: number; DH: number; DW: number;
  act: number; alpha: number; beta: number; hasBias: boolean; hasResidual: boolean;
  /** GEMM sizes: pixels, channels, taps x input channels. */
  P: number; K: number;
}

function shapeOf(ctx: KernelCtx): Shape {
  const ints = ctx.layer.ints;
  if (ints[0] !== 2 || ints[1] !== 1) unsupported(ctx, `expects a 2-D groups-1 conv, got ints [${ints.join(', ')}]`);
  const [SH, SW, PH, PW, , , DH, DW] = ints.slice(3, 11) as number[];
  const hasResidual = ints[11] === 1;
  const x = ctx.ins[0]!, w = ctx.ins[1]!, y = ctx.outs[0]!;
  const [NB, H, W, C] = x.shape as [number, number, number, number];
  const [, OH, OW, CO] = y.shape as [number, number, number, number];
  const [KH, KW] = [w.shape[2]!, w.shape[3]!];
  const [alpha, beta] = ctx.layer.floats as [number, number];
  return {
    NB, H, W, C, CO, OH, OW, KH, KW, SH: SH!, SW: SW!, PH: PH!, PW: PW!, DH: DH!, DW: DW!, act: ints[2]!, alpha, beta,
    hasBias: ctx.ins.length - (hasResidual ? 1 : 0) === 3, hasResidual, P: NB * OH * OW, K: KH * KW * C,
  };
}

/**
 * How the layer's operands reach the tensor cores: 16-bit storage (mma m16n8k16, 8 channels
 * a 16-byte chunk), f32 storage under tf32 (mma m16n8k8 on the f32 bits, 4 channels a
 * chunk), or not at all (a thread per output).
 */
type Mode = 'half' | 'tf32' | 'simple';
function modeOf(ctx: KernelCtx, s: Shape): Mode {
  if (ctx.ins[1]!.location !== 'weights') return 'simple';
  if (ctx.st.isHalf(ctx.ins[0]!)) return s.C % 8 === 0 ? 'half' : 'simple';
  return ctx.st.tf32 && s.C % 4 === 0 ? 'tf32' : 'simple';
}

/** Per mode: the stored element's C type, elements in a 16-byte chunk, and the mma of one 2-chunk K slice. */
const ELEMENT = {
  half: { type: 'unsigned short', chunk: 8, mma: D.mma },
  tf32: { type: 'float', chunk: 4, mma: D.mmaTf32 },
} as const;

/** The rule: the biggest tile that gives every multiprocessor a block, else split-K on the small tile where it pays. */
export function chooseNhwcTactic(p: number, co: number, k: number, multiprocessors: number): string {
  const blocks = (t: MmaTile) => Math.ceil(p / t.bm) * Math.ceil(co / t.bn);
  for (const name of ['nc128x128', 'nc128x64', 'nc64x64'] as const) if (blocks(NHWC_TILES[name]) >= multiprocessors) return name;
  if (splitCount(NHWC_TILES.nc64x64, p, co, k, multiprocessors) > 1) return 'nc64x64.split';
  return co <= 64 || p <= 32 ? 'nc32x64' : 'nc64x64';
}

function parseTactic(tactic: string): { name: NhwcTileName; split: boolean } | undefined {
  const split = tactic.endsWith('.split');
  const name = (split ? tactic.slice(0, -'.split'.length) : tactic) as NhwcTileName;
  return name in NHWC_TILES && (!split || SPLIT_TILES.includes(name)) ? { name, split } : undefined;
}

/** f32 values rounded to tf32 as cvt.rna.tf32.f32 does (nearest, ties away from zero; inf and NaN kept). */
export function toTf32(v: Float32Array): Float32Array {
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length).slice();
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7f800000) !== 0x7f800000) bits[i] = ((bits[i]! + 0x1000) & 0xffffe000) >>> 0;
  return new Float32Array(bits.buffer);
}

/** The weights in K order (kh, kw, c): [Cout][KH*KW*C], in the storage's 16-bit format, or f32 for tf32. */
function nhwcWeights(ctx: KernelCtx, s: Shape, mode: Mode): number {
  const w = ctx.ins[1]!;
  const dtype = mode === 'tf32' ? 'f32' : ctx.st.format;
  return ctx.constant(`${w.name}:nhwc-${dtype}`, dtype, [s.CO, s.K], () => {
    const bytes = ctx.plan.weights.slice(w.offset, w.offset + 4 * s.CO * s.K);
    const src = new Float32Array(bytes.buffer, bytes.byteOffset, s.CO * s.K);
    const taps = s.KH * s.KW, perm = new Float32Array(s.CO * s.K);
    for (let o = 0; o < s.CO; o++) for (let c = 0; c < s.C; c++) for (let t = 0; t < taps; t++) perm[o * s.K + t * s.C + c] = src[(o * s.C + c) * taps + t]!;
    return mode === 'tf32' ? new Uint8Array(toTf32(perm).buffer) : ctx.st.rows(perm, s.CO, s.K, s.K);
  });
}

/**
 * The tensor-core body: block (blockIdx.x, blockIdx.y) computes pixels [m0, m0+BM) x
 * channels [n0, n0+BN) over K steps [t0, t1) (all of them, or blockIdx.z's slice), then
 * runs `store` (v0, v1 at pixel m, channels n, n+1) or, split, `single` per element.
 */
function renderBody(t: MmaTile, s: Shape, I: string, x: string, mode: 'half' | 'tf32', store: { pair?: string; single: string }, chunkSteps?: number): string {
  const threads = threadsOf(t), wm = t.bm / t.warpsM, wn = t.bn / t.warpsN, mt = wm / 16, nt = wn / 8;
  const ap = (t.bm * 4) / threads, bp = (t.bn * 4) / threads;
  const E = ELEMENT[mode], bk = 4 * E.chunk;
  const steps = Math.ceil(s.K / bk);
  const stage = (t.bm + t.bn) * ROW_WORDS;
  const cp = D.cpAsync;
  // Word offset of row r's 16-byte chunk c (c ^ (r/2 mod 4): fragment loads hit 32 distinct banks).
  const at = (row: string, chunk: string) => `(${row}) * ${ROW_WORDS} + ((((${chunk}) ^ (((${row}) >> 1) & 3))) << 2)`;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const loadStage = [
    `const int k = kt * ${bk} + ch * ${E.chunk};`,
    `const int tap = k / ${s.C}, ci = k - tap * ${s.C}, kh = tap / ${s.KW}, kw = tap - kh * ${s.KW};`,
    `unsigned* sa = smem + slot * ${stage};`,
    ...range(ap).map((j) => [
      `{ const int h = ah[${j}] + kh * ${s.DH}, w = aw[${j}] + kw * ${s.DW};`,
      `  const bool ok = aok[${j}] && k < ${s.K} && (unsigned)h < ${s.H}u && (unsigned)w < ${s.W}u;`,
      `  ${cp.copy}(sa + ${at(`arow + ${j * (threads / 4)}`, 'ch')}, ok ? abase[${j}] + ((${I})h * ${s.W} + w) * ${s.C} + ci : ${x}, ok); }`,
    ].join('\n')),
    ...range(bp).map((j) => `${cp.copy}(sa + ${t.bm * ROW_WORDS} + ${at(`arow + ${j * (threads / 4)}`, 'ch')}, bok[${j}] && k < ${s.K} ? bbase[${j}] + k : wh, bok[${j}] && k < ${s.K});`),
  ].join('\n');
  const compute = [
    `const unsigned* sa = smem + slot * ${stage};`,
    `const unsigned* sb = sa + ${t.bm * ROW_WORDS};`,
    D.unroll,
    'for (int kk = 0; kk < 2; ++kk) {',
    `  unsigned fa[${mt}][4], fb[${nt}][2];`,
    `  ${D.unroll}`,
    `  for (int i = 0; i < ${mt}; ++i) {`,
    '    const int r = wm0 + i * 16 + gid;',
    `    fa[i][0] = sa[${at('r', '2 * kk')} + tig]; fa[i][1] = sa[${at('r + 8', '2 * kk')} + tig];`,
    `    fa[i][2] = sa[${at('r', '2 * kk + 1')} + tig]; fa[i][3] = sa[${at('r + 8', '2 * kk + 1')} + tig];`,
    // tf32: activations rounded to nearest (the weights were rounded when copied); the mma would truncate.
    ...(mode === 'tf32' ? [`    for (int q = 0; q < 4; ++q) fa[i][q] = ${D.toTf32}(fa[i][q]);`] : []),
    '  }',
    `  ${D.unroll}`,
    `  for (int j = 0; j < ${nt}; ++j) {`,
    '    const int r = wn0 + j * 8 + gid;',
    `    fb[j][0] = sb[${at('r', '2 * kk')} + tig]; fb[j][1] = sb[${at('r', '2 * kk + 1')} + tig];`,
    '  }',
    `  ${D.unroll}`,
    `  for (int i = 0; i < ${mt}; ++i)`,
    `    ${D.unroll}`,
    `    for (int j = 0; j < ${nt}; ++j) ${E.mma}(acc[i][j], fa[i], fb[j]);`,
    '}',
  ].join('\n');
  const epilogue = store.pair ? [
    `      const ${I} m = m0 + wm0 + i * 16 + gid + r * 8;`,
    '      const int n = n0 + wn0 + j * 8 + tig * 2;',
    `      if (m >= ${s.P} || n >= ${s.CO}) continue;`,
    '      float v0 = acc[i][j][2 * r], v1 = acc[i][j][2 * r + 1];',
    store.pair.replace(/^/gm, '      '),
  ] : [
    '      for (int q = 0; q < 2; ++q) {',
    `        const ${I} m = m0 + wm0 + i * 16 + gid + r * 8;`,
    '        const int n = n0 + wn0 + j * 8 + tig * 2 + q;',
    `        if (m >= ${s.P} || n >= ${s.CO}) continue;`,
    '        float v = acc[i][j][2 * r + q];',
    store.single.replace(/^/gm, '        '),
    '      }',
  ];
  return [
    `${D.align16} ${D.shared} unsigned smem[${STAGES * stage}];`,
    `const int tid = ${D.thread}, lane = tid & 31, warp = tid >> 5, gid = lane >> 2, tig = lane & 3;`,
    `const int wm0 = (warp / ${t.warpsN}) * ${wm}, wn0 = (warp % ${t.warpsN}) * ${wn};`,
    `const ${I} m0 = (${I})${D.block.x} * ${t.bm};`,
    `const int n0 = ${D.block.y} * ${t.bn};`,
    // This thread's staging: chunk `ch` of rows arow, arow + threads/4, ... of A and of B.
    'const int arow = tid >> 2, ch = tid & 3;',
    `const ${E.type}* abase[${ap}]; int ah[${ap}], aw[${ap}]; bool aok[${ap}];`,
    D.unroll,
    `for (int j = 0; j < ${ap}; ++j) {`,
    `  const ${I} m = m0 + arow + j * ${threads / 4};`,
    `  aok[j] = m < ${s.P};`,
    `  const ${I} mm = aok[j] ? m : 0, b = mm / ${s.OH * s.OW};`,
    `  const int q = (int)(mm - b * ${s.OH * s.OW}), oh = q / ${s.OW}, ow = q - oh * ${s.OW};`,
    `  ah[j] = oh * ${s.SH} - ${s.PH}; aw[j] = ow * ${s.SW} - ${s.PW};`,
    `  abase[j] = ${x} + b * ${s.H * s.W * s.C};`,
    '}',
    `const ${E.type}* bbase[${bp}]; bool bok[${bp}];`,
    D.unroll,
    `for (int j = 0; j < ${bp}; ++j) {`,
    `  const int co = n0 + arow + j * ${threads / 4};`,
    `  bok[j] = co < ${s.CO};`,
    `  bbase[j] = wh + (${I})(bok[j] ? co : 0) * ${s.K};`,
    '}',
    `float acc[${mt}][${nt}][4];`,
    D.unroll,
    `for (int i = 0; i < ${mt}; ++i)`,
    `  for (int j = 0; j < ${nt}; ++j)`,
    '    for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;',
    chunkSteps ? `const int t0 = ${D.block.z} * ${chunkSteps}, t1 = t0 + ${chunkSteps} < ${steps} ? t0 + ${chunkSteps} : ${steps};` : `const int t0 = 0, t1 = ${steps};`,
    `for (int st = 0; st < ${STAGES - 1}; ++st) {`,
    '  const int kt = t0 + st, slot = st;',
    `  if (kt < t1) {\n${loadStage.replace(/^/gm, '    ')}\n  }`,
    `  ${cp.commit}();`,
    '}',
    'for (int kt0 = t0; kt0 < t1; ++kt0) {',
    `  ${cp.wait}<${STAGES - 2}>();`,
    `  ${D.barrier}`,
    '  {',
    `    const int kt = kt0 + ${STAGES - 1}, slot = (kt - t0) % ${STAGES};`,
    `    if (kt < t1) {\n${loadStage.replace(/^/gm, '      ')}\n    }`,
    `    ${cp.commit}();`,
    '  }',
    '  {',
    `    const int slot = (kt0 - t0) % ${STAGES};`,
    compute.replace(/^/gm, '    '),
    '  }',
    '}',
    D.unroll,
    `for (int i = 0; i < ${mt}; ++i) {`,
    `  ${D.unroll}`,
    `  for (int j = 0; j < ${nt}; ++j) {`,
    `    ${D.unroll}`,
    '    for (int r = 0; r < 2; ++r) {',
    ...epilogue,
    '    }',
    '  }',
    '}',
  ].join('\n');
}

cudaTemplate(['convNhwc'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  if (ctx.tactic === CUBLASLT_TACTIC) return convCublasLt(ctx);
  const s = shapeOf(ctx);
  const { st } = ctx;
  const x = ctx.ins[0]!, y = ctx.outs[0]!, bias = s.hasBias ? ctx.ins[2]! : undefined;
  const res = s.hasResidual ? ctx.ins[ctx.ins.length - 1]! : undefined;
  const I = indexType(numel(x.shape), numel(y.shape));
  const restrict = !res || !overlaps(res, y);
  const tail: Param[] = [...(bias ? [{ name: 'bias', type: st.type(bias) }] : []), ...(res ? [{ name: 'res', type: st.type(res) }] : []), { name: 'y', type: st.type(y), out: true }];
  const tailArgs = [...ctx.layer.inputs.slice(2), ...ctx.layer.outputs];
  // Output element (m, n): pixel m, channel n, at m * CO + n in y and the residual.
  const single = [
    bias ? `v += ${st.load(bias, 'bias[n]')};` : '',
    res ? `v += ${st.load(res, `res[(${I})m * ${s.CO} + n]`)};` : '',
    activation(s.act, 'v', s.alpha, s.beta),
    `y[(${I})m * ${s.CO} + n] = ${st.store(y, 'v')};`,
  ].filter(Boolean).join('\n');

  const mode = modeOf(ctx, s);
  if (mode === 'simple') {
    if (ctx.tactic !== undefined && ctx.tactic !== 'simple') unsupported(ctx, `has no tactic '${ctx.tactic}' for these operands (tensor-core tiles need half activations with 8k channels)`);
    const body = gridStride(I, s.P * s.CO, [
      `const ${I} m = i / ${s.CO};`,
      `const int n = (int)(i - m * ${s.CO});`,
      `const ${I} b = m / ${s.OH * s.OW};`,
      `const int q = (int)(m - b * ${s.OH * s.OW}), oh = q / ${s.OW}, ow = q - oh * ${s.OW};`,
      'float v = 0.f;',
      `for (int kh = 0; kh < ${s.KH}; ++kh) {`,
      `  const int h = oh * ${s.SH} - ${s.PH} + kh * ${s.DH};`,
      `  if (h < 0 || h >= ${s.H}) continue;`,
      `  for (int kw = 0; kw < ${s.KW}; ++kw) {`,
      `    const int w = ow * ${s.SW} - ${s.PW} + kw * ${s.DW};`,
      `    if (w < 0 || w >= ${s.W}) continue;`,
      `    const ${st.type(x)}* px = x + ((b * ${s.H} + h) * ${s.W} + w) * ${s.C};`,
      `    for (int c = 0; c < ${s.C}; ++c) v = fmaf(${st.load(x, 'px[c]')}, wt[((n * ${s.C} + c) * ${s.KH} + kh) * ${s.KW} + kw], v);`,
      '  }',
      '}',
      single,
    ].join('\n'));
    const params: Param[] = [{ name: 'x', type: st.type(x) }, { name: 'wt', type: 'float' }, ...tail];
    return [{
      function: ctx.name,
      source: `// NHWC conv: a thread per output element\n${renderKernel(ctx.name, params, ELEMENTWISE_THREADS, restrict, body)}`,
      ...elementwiseLaunch(s.P * s.CO), sharedBytes: 0, args: [...ctx.layer.inputs.slice(0, 2), ...tailArgs],
    }];
  }

  const chosen = ctx.tactic ?? chooseNhwcTactic(s.P, s.CO, s.K, ctx.multiprocessors);
  const parsed = parseTactic(chosen);
  if (!parsed) unsupported(ctx, `has no tactic '${chosen}' (tiles: ${TILE_NAMES.join(', ')}; split: ${SPLIT_TILES.map((n) => `${n}.split`).join(', ')})`);
  const t = NHWC_TILES[parsed.name];
  const wh = nhwcWeights(ctx, s, mode);
  const operands: Param[] = [{ name: 'x', type: st.type(x) }, { name: 'wh', type: ELEMENT[mode].type }];
  const operandArgs = [ctx.layer.inputs[0]!, wh];
  const note = `${mode === 'tf32' ? 'tf32, ' : ''}tile ${t.bm}x${t.bn}x${4 * ELEMENT[mode].chunk}, ${t.warpsM}x${t.warpsN} warps, ${STAGES} cp.async stages (${nhwcSharedBytes(t)} B shared)`;
  const slices = parsed.split ? splitCount(t, s.P, s.CO, s.K, ctx.multiprocessors) : 1;
  if (slices > 1) {
    return renderSplit(ctx, {
      I, M: s.P, N: s.CO, K: s.K,
      gemm: {
        // renderSplit cuts K in multiples of BK elements; a tf32 step is half as deep.
        body: (store, chunk) => renderBody(t, s, I, 'x', mode, { single: store }, chunk / (4 * ELEMENT[mode].chunk)),
        grid: [Math.ceil(s.P / t.bm), Math.ceil(s.CO / t.bn)], threads: threadsOf(t), note,
      },
      operands, operandArgs, tail, tailArgs, storeSetup: '', store: single, restrict, slices,
    });
  }
  const h = D.half;
  // Half output (and residual) with an even channel count: channels n, n+1 are one aligned word.
  const pairs = st.isHalf(y) && (!res || st.isHalf(res)) && s.CO % 2 === 0;
  const pair = pairs ? [
    `const ${I} at = m * ${s.CO} + n;`,
    bias ? `v0 += ${st.load(bias, 'bias[n]')}; v1 += ${st.load(bias, 'bias[n + 1]')};` : '',
    res ? `{ const unsigned rv = *(const unsigned*)(res + at); v0 += ${h.toFloat}((unsigned short)(rv & 0xffffu)); v1 += ${h.toFloat}((unsigned short)(rv >> 16)); }` : '',
    activation(s.act, 'v0', s.alpha, s.beta),
    activation(s.act, 'v1', s.alpha, s.beta),
    `*(unsigned*)(y + at) = ${h.pack}(${h.fromFloat}(v0), ${h.fromFloat}(v1));`,
  ].filter(Boolean).join('\n') : undefined;
  const body = renderBody(t, s, I, 'x', mode, { pair, single });
  const kernel: EmittedKernel = {
    function: ctx.name,
    source: `// NHWC implicit GEMM on tensor cores: P=${s.P} pixels x Cout=${s.CO}, K=${s.K} (${s.KH}x${s.KW}x${s.C}); ${note}\n${renderKernel(ctx.name, [...operands, ...tail], threadsOf(t), restrict, body)}`,
    grid: [Math.ceil(s.P / t.bm), Math.ceil(s.CO / t.bn), 1],
    block: [threadsOf(t), 1, 1],
    sharedBytes: 0,
    args: [...operandArgs, ...tailArgs],
  };
  return [kernel];
}, (ctx) => {
  const s = shapeOf(ctx);
  if (modeOf(ctx, s) === 'simple') return ['simple', ...convCublasLtTactics(ctx)];
  const first = chooseNhwcTactic(s.P, s.CO, s.K, ctx.multiprocessors);
  const splits = SPLIT_TILES.filter((n) => splitCount(NHWC_TILES[n], s.P, s.CO, s.K, ctx.multiprocessors) > 1).map((n) => `${n}.split`);
  return [first, ...[...TILE_NAMES, ...splits].filter((n) => n !== first), ...convCublasLtTactics(ctx)];
});
