// gemm (matmul): y[..., M, N] = act(op(a) op(b) + bias + residual), leading dims
// broadcast numpy-style, one batch entry per blockIdx.z. Tactics: the shared-memory
// tiles (gemm-tile.ts); under fp16 the tensor-core tiles (mma-tile.ts), constant
// operands converted to half at build time with K contiguous and padded; for
// M <= 8 (fully connected layers at small batch) "skinny", one warp per output
// column streaming the weights once with coalesced K-contiguous reads; and, when
// both operands are K-contiguous (a row-major, b transposed, as in fully connected
// layers), "dot", one warp per output element, which keeps every SM busy when
// M x N is small but K is long (a classifier head at batch 256). Against constant
// 2-D weights, 'cublasLt' where the library is here (kernels/cublaslt.ts).
import type { PlanTensor } from '../../plan-desc.js';
import { CUDA_DIALECT as D } from '../dialect.js';
import { activation, broadcastStrides, gatherIndex, indexType, numel, overlaps, renderKernel, type Param } from '../render.js';
import { cudaTemplate, requireF32, unsupported, type KernelCtx } from '../template.js';
import { CUBLASLT_TACTIC, cublasLtTactics, halfOperand, renderCublasLt, type GemmOperands } from './cublaslt.js';
import { renderTile, tileOf, tileSharedBytes, tileTactics, tileThreads } from './gemm-tile.js';
import { MMA_TILES, chooseMmaTile, isMmaTactic, mmaSharedBytes, mmaTactics, mmaThreads, mmaSplitGemm, parseMma, renderMma, renderSplit, splitCount, splitTactics } from './mma-tile.js';

const SKINNY_ROWS = 8;
const SKINNY_WARPS = 8;

interface GemmParts {
  M: number;
  N: number;
  K: number;
  batch: number;
  I: string;
  setup: string;
  loadA: string;
  loadB: string;
  transA: boolean;
  transB: boolean;
  store: string;
  storePair?: string;
  params: Param[];
  args: number[];
  restrict: boolean;
}

function parts(ctx: KernelCtx): GemmParts {
  const [ta, tb, act, bias, residual] = ctx.layer.ints as [number, number, number, number, number | undefined];
  const transA = ta === 1, transB = tb === 1, hasBias = bias === 1, hasResidual = residual === 1;
  const { st } = ctx;
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const a = ctx.ins[0]!, b = ctx.ins[1]!, y = ctx.outs[0]!;
  const res = hasResidual ? ctx.ins[ctx.ins.length - 1]! : undefined;
  const ra = a.shape.length, rb = b.shape.length;
  const K = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const N = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  let batchShape = y.shape.slice(0, -2);
  let M = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  // One weight matrix for every batch entry of a row-major a (1x1 convs over NHWC pixels):
  // the batch is more rows of one GEMM, not a grid of small ones.
  const same = (p: number[], q: number[]) => p.length === q.length && p.every((d, i) => d === q[i]);
  if (!transA && numel(b.shape.slice(0, -2)) === 1 && same(a.shape.slice(0, -2), batchShape) && numel(batchShape) > 1) {
    M *= numel(batchShape);
    batchShape = [];
  }
  const batch = numel(batchShape);
  if (batch > 65535) unsupported(ctx, `supports at most 65535 gemm batch entries, got ${batch}`);
  const I = indexType(numel(a.shape), numel(b.shape), numel(y.shape));
  const sa = broadcastStrides(a.shape.slice(0, -2), batchShape).map((s) => s * M * K);
  const sb = broadcastStrides(b.shape.slice(0, -2), batchShape).map((s) => s * K * N);
  const setup = batchShape.length === 0
    ? `const ${I} aoff = 0, boff = 0, yoff = 0;`
    : `const ${I} z = ${D.block.z};\n${gatherIndex('z', batchShape, [{ name: 'aoff', strides: sa }, { name: 'boff', strides: sb }], I)}\nconst ${I} yoff = z * ${M * N};`;
  // Half output (and residual), N even: columns n, n+1 as one word.
  const storePair = st.isHalf(y) && (!res || st.isHalf(res)) && N % 2 === 0 ? [
    `const ${I} at = yoff + m * ${N} + n;`,
    hasBias ? `v0 += ${st.load(ctx.ins[2]!, 'bias[n]')}; v1 += ${st.load(ctx.ins[2]!, 'bias[n + 1]')};` : '',
    res ? `{ const unsigned rv = *(const unsigned*)(res + at); v0 += ${D.half.toFloat}((unsigned short)(rv & 0xffffu)); v1 += ${D.half.toFloat}((unsigned short)(rv >> 16)); }` : '',
    activation(act, 'v0', alpha, beta),
    activation(act, 'v1', alpha, beta),
    `*(unsigned*)(y + at) = ${D.half.pack}(${D.half.fromFloat}(v0), ${D.half.fromFloat}(v1));`,
  ].filter(Boolean).join('\n') : undefined;
  const store = [
    hasBias ? `v += ${st.load(ctx.ins[2]!, 'bias[n]')};` : '',
    res ? `v += ${st.load(res, `res[yoff + m * ${N} + n]`)};` : '',
    activation(act, 'v', alpha, beta),
    `y[yoff + m * ${N} + n] = ${st.store(y, 'v')};`,
  ].filter(Boolean).join('\n');
  const params: Param[] = [
    { name: 'a', type: st.type(a) }, { name: 'b', type: st.type(b) },
    ...(hasBias ? [{ name: 'bias', type: st.type(ctx.ins[2]!) }] : []),
    ...(res ? [{ name: 'res', type: st.type(res) }] : []),
    { name: 'y', type: st.type(y), out: true },
  ];
  return {
    M, N, K, batch, I, setup, transA, transB, store, storePair, params,
    args: [...ctx.layer.inputs, ...ctx.layer.outputs],
    restrict: !res || !overlaps(res, y),
    loadA: st.load(a, `a[aoff + ${transA ? `k * ${M} + m` : `m * ${K} + k`}]`),
    loadB: st.load(b, `b[boff + ${transB ? `n * ${K} + k` : `k * ${N} + n`}]`),
  };
}

function skinny(p: GemmParts): { body: string; threads: number; grid: [number, number, number] } {
  const reduce = `${D.unroll}\nfor (int o = 16; o > 0; o >>= 1) acc[m] += ${D.shuffleXor('acc[m]', 'o')};`;
  const body = [
    `const int lane = ${D.thread} & 31;`,
    `const ${p.I} n = (${p.I})${D.block.x} * ${SKINNY_WARPS} + (${D.thread} >> 5);`,
    `if (n >= ${p.N}) return;  // whole warps leave together`,
    p.setup,
    `float acc[${p.M}];`,
    `${D.unroll}`,
    `for (int m = 0; m < ${p.M}; ++m) acc[m] = 0.f;`,
    `for (${p.I} k = lane; k < ${p.K}; k += 32) {`,
    `  const float bv = ${p.loadB};`,
    `  ${D.unroll}`,
    `  for (int m = 0; m < ${p.M}; ++m) acc[m] = fmaf(${p.loadA}, bv, acc[m]);`,
    '}',
    `${D.unroll}`,
    `for (int m = 0; m < ${p.M}; ++m) {`,
    `  ${reduce.replace('\n', '\n  ')}`,
    '}',
    'if (lane != 0) return;',
    `${D.unroll}`,
    `for (int m = 0; m < ${p.M}; ++m) {`,
    '  float v = acc[m];',
    `  ${p.store.replace(/\n/g, '\n  ')}`,
    '}',
  ].join('\n');
  return { body, threads: 32 * SKINNY_WARPS, grid: [Math.ceil(p.N / SKINNY_WARPS), 1, p.batch] };
}

function dot(p: GemmParts): { body: string; threads: number; grid: [number, number, number] } {
  const body = [
    `const int lane = ${D.thread} & 31;`,
    `const ${p.I} w = (${p.I})${D.block.x} * ${SKINNY_WARPS} + (${D.thread} >> 5);`,
    `if (w >= ${p.M * p.N}) return;  // whole warps leave together`,
    `const ${p.I} m = w / ${p.N}, n = w % ${p.N};`,
    p.setup,
    'float acc = 0.f;',
    `for (${p.I} k = lane; k < ${p.K}; k += 32) acc = fmaf(${p.loadA}, ${p.loadB}, acc);`,
    `${D.unroll}`,
    `for (int o = 16; o > 0; o >>= 1) acc += ${D.shuffleXor('acc', 'o')};`,
    'if (lane != 0) return;',
    'float v = acc;',
    p.store,
  ].join('\n');
  return { body, threads: 32 * SKINNY_WARPS, grid: [Math.ceil((p.M * p.N) / SKINNY_WARPS), 1, p.batch] };
}

/** The layer as one GEMM of an activation and constant 2-D weights (cuBLASLt's case), or undefined. */
function ltOperands(ctx: KernelCtx, p: GemmParts): GemmOperands | undefined {
  const [, , act, bias, residual] = ctx.layer.ints as number[];
  const a = ctx.ins[0]!, w = ctx.ins[1]!;
  if (p.batch !== 1 || w.location !== 'weights' || !mmaOperandOk(w)) return undefined;
  const last = ctx.ins.length - 1;
  return {
    M: p.M, N: p.N, K: p.K, a, aIndex: ctx.layer.inputs[0]!, transA: p.transA, w, transB: p.transB,
    y: ctx.outs[0]!, yIndex: ctx.layer.outputs[0]!, act: act!,
    ...(bias === 1 ? { bias: { tensor: ctx.ins[2]!, index: ctx.layer.inputs[2]! } } : {}),
    ...(residual === 1 ? { residual: { tensor: ctx.ins[last]!, index: ctx.layer.inputs[last]! } } : {}),
    halfWeights: () => {
      const h = halfOperand(ctx, w, p.N, p.K, p.transB);
      return { tensor: h.tensor, ld: h.kp };
    },
  };
}

const mmaOperandOk = (t: PlanTensor) => t.location !== 'weights' || t.shape.slice(0, -2).every((d) => d === 1);

function mma(ctx: KernelCtx, p: GemmParts) {
  const { st } = ctx;
  const a = ctx.ins[0]!, b = ctx.ins[1]!;
  const pm = parseMma(ctx.tactic);
  const t = MMA_TILES[pm?.name ?? chooseMmaTile(p.M, p.N, p.batch, ctx.multiprocessors)];
  const slices = pm?.split && p.batch === 1 ? splitCount(t, p.M, p.N, p.K, ctx.multiprocessors) : 1;
  const h = D.half;
  const bits = (tensor: PlanTensor, ref: string) => (st.isHalf(tensor) ? ref : `${h.fromFloat}(${ref})`);
  const params = [...p.params];
  const args = [...p.args];
  let aPair: string | undefined, bPair: string | undefined;
  let loadA: string | undefined, loadB: string | undefined;
  let aOrder: 'k' | 'm' = p.transA ? 'm' : 'k', bOrder: 'k' | 'n' = p.transB ? 'k' : 'n';
  if (a.location === 'weights') {
    const c = halfOperand(ctx, a, p.M, p.K, !p.transA);
    params[0] = { name: 'a', type: 'unsigned' };
    args[0] = c.tensor;
    aPair = `a[m * ${c.kp / 2} + k / 2]`;
    aOrder = 'k';
  } else if (st.isHalf(a) && !p.transA && p.K % 2 === 0) {
    aPair = `*(const unsigned*)(a + aoff + m * ${p.K} + k)`;
  } else {
    loadA = bits(a, `a[aoff + ${p.transA ? `k * ${p.M} + m` : `m * ${p.K} + k`}]`);
  }
  if (b.location === 'weights') {
    const c = halfOperand(ctx, b, p.N, p.K, p.transB);
    params[1] = { name: 'b', type: 'unsigned' };
    args[1] = c.tensor;
    bPair = `b[n * ${c.kp / 2} + k / 2]`;
    bOrder = 'k';
  } else if (st.isHalf(b) && p.transB && p.K % 2 === 0) {
    bPair = `*(const unsigned*)(b + boff + n * ${p.K} + k)`;
  } else {
    loadB = bits(b, `b[boff + ${p.transB ? `n * ${p.K} + k` : `k * ${p.N} + n`}]`);
  }
  const code = { I: p.I, M: p.M, N: p.N, K: p.K, setup: p.setup, aPair, loadA, aOrder, bPair, loadB, bOrder };
  if (slices > 1) {
    const nOperands = 2;
    return renderSplit(ctx, {
      I: p.I, M: p.M, N: p.N, K: p.K, gemm: mmaSplitGemm(t, code), operands: params.slice(0, nOperands), operandArgs: args.slice(0, nOperands),
      tail: params.slice(nOperands), tailArgs: args.slice(nOperands),
      storeSetup: `const ${p.I} yoff = 0;`, store: p.store, restrict: p.restrict, slices,
    });
  }
  const body = renderMma(t, { ...code, store: p.store, storePair: p.storePair });
  return [{
    function: ctx.name,
    source: `// tensor cores: tile ${t.bm}x${t.bn}x32, ${t.warpsM}x${t.warpsN} warps (${mmaSharedBytes(t)} B shared)\n${renderKernel(ctx.name, params, mmaThreads(t), p.restrict, body)}`,
    grid: [Math.ceil(p.N / t.bn), Math.ceil(p.M / t.bm), p.batch] as [number, number, number],
    block: [mmaThreads(t), 1, 1] as [number, number, number],
    sharedBytes: 0,
    args,
  }];
}

cudaTemplate(['gemm'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const p = parts(ctx);
  if (ctx.tactic === CUBLASLT_TACTIC) return renderCublasLt(ctx, ltOperands(ctx, p) ?? unsupported(ctx, `has no tactic '${CUBLASLT_TACTIC}' here: cuBLASLt needs one GEMM against constant 2-D weights`));
  const canMma = mmaOperandOk(ctx.ins[0]!) && mmaOperandOk(ctx.ins[1]!);
  if (canMma && (isMmaTactic(ctx.tactic) || (ctx.tactic === undefined && ctx.st.any && p.M > SKINNY_ROWS))) return mma(ctx, p);
  const { params, args } = p;
  // Skinny keeps M accumulators per lane, so it exists only for M <= 8.
  if (p.M <= SKINNY_ROWS && (ctx.tactic === 'skinny' || ctx.tactic === undefined)) {
    const s = skinny(p);
    return [{ function: ctx.name, source: renderKernel(ctx.name, params, s.threads, p.restrict, s.body), grid: s.grid, block: [s.threads, 1, 1], sharedBytes: 0, args }];
  }
  if (ctx.tactic === 'dot' && !p.transA && p.transB) {
    const s = dot(p);
    return [{ function: ctx.name, source: renderKernel(ctx.name, params, s.threads, p.restrict, s.body), grid: s.grid, block: [s.threads, 1, 1], sharedBytes: 0, args }];
  }
  const t = tileOf(ctx.tactic, p.M, p.N, p.batch, ctx.multiprocessors);
  const body = renderTile(t, {
    I: p.I, M: p.M, N: p.N, K: p.K, setup: p.setup,
    loadA: p.loadA, aOrder: p.transA ? 'm' : 'k', loadB: p.loadB, bOrder: p.transB ? 'k' : 'n', store: p.store,
  });
  return [{
    function: ctx.name,
    source: `// tile ${t.bm}x${t.bn}x${t.bk}, ${t.tm}x${t.tn} per thread (static shared memory: ${tileSharedBytes(t)} bytes)\n${renderKernel(ctx.name, params, tileThreads(t), p.restrict, body)}`,
    grid: [Math.ceil(p.N / t.bn), Math.ceil(p.M / t.bm), p.batch],
    block: [tileThreads(t), 1, 1],
    sharedBytes: 0,
    args,
  }];
}, (ctx) => {
  const p = parts(ctx);
  const tiles = tileTactics(p.M, p.N, p.batch, ctx.multiprocessors);
  const tc = ctx.st.any && mmaOperandOk(ctx.ins[0]!) && mmaOperandOk(ctx.ins[1]!)
    ? [...mmaTactics(p.M, p.N, p.batch, ctx.multiprocessors), ...(p.batch === 1 ? splitTactics(p.M, p.N, p.K, ctx.multiprocessors) : [])]
    : [];
  const own = [...(p.M <= SKINNY_ROWS ? ['skinny'] : []), ...tiles, ...(!p.transA && p.transB ? ['dot'] : [])];
  const lt = cublasLtTactics(ctx, ltOperands(ctx, p));
  if (tc.length === 0) return [...own, ...lt];
  // Under fp16: tensor cores, and the warp-per-output kernels for skinny or dot-shaped layers.
  const small = own.filter((t) => t === 'skinny' || t === 'dot');
  return [...(p.M <= SKINNY_ROWS ? [...small, ...tc] : [...tc, ...small]), ...lt];
});
