// gemm (matmul): y[..., M, N] = act(op(a) op(b) + bias), leading dims broadcast
// numpy-style, one batch entry per blockIdx.z. Tactics: the shared-memory tiles
// (gemm-tile.ts); for M <= 8 (fully connected layers at small batch) "skinny", one
// warp per output column streaming the weights once with coalesced K-contiguous
// reads; and, when both operands are K-contiguous (a row-major, b transposed, as
// in fully connected layers), "dot", one warp per output element, which keeps
// every SM busy when M x N is small but K is long (a classifier head at batch 256).
import { CUDA_DIALECT as D } from '../dialect.js';
import { activation, broadcastStrides, gatherIndex, indexType, numel, renderKernel } from '../render.js';
import { cudaTemplate, requireF32, unsupported, type KernelCtx } from '../template.js';
import { renderTile, tileOf, tileSharedBytes, tileTactics, tileThreads } from './gemm-tile.js';

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
}

function parts(ctx: KernelCtx): GemmParts {
  const [ta, tb, act, bias] = ctx.layer.ints as [number, number, number, number];
  const transA = ta === 1, transB = tb === 1, hasBias = bias === 1;
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const a = ctx.ins[0]!, b = ctx.ins[1]!, y = ctx.outs[0]!;
  const ra = a.shape.length, rb = b.shape.length;
  const M = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!, K = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const N = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchShape = y.shape.slice(0, -2);
  const batch = numel(batchShape);
  if (batch > 65535) unsupported(ctx, `supports at most 65535 gemm batch entries, got ${batch}`);
  const I = indexType(numel(a.shape), numel(b.shape), numel(y.shape));
  const sa = broadcastStrides(a.shape.slice(0, -2), batchShape).map((s) => s * M * K);
  const sb = broadcastStrides(b.shape.slice(0, -2), batchShape).map((s) => s * K * N);
  const setup = batchShape.length === 0
    ? `const ${I} aoff = 0, boff = 0, yoff = 0;`
    : `const ${I} z = ${D.block.z};\n${gatherIndex('z', batchShape, [{ name: 'aoff', strides: sa }, { name: 'boff', strides: sb }], I)}\nconst ${I} yoff = z * ${M * N};`;
  const store = [
    hasBias ? 'v += bias[n];' : '',
    activation(act, 'v', alpha, beta),
    `y[yoff + m * ${N} + n] = v;`,
  ].filter(Boolean).join('\n');
  return {
    M, N, K, batch, I, setup, transA, transB, store,
    loadA: `a[aoff + ${transA ? `k * ${M} + m` : `m * ${K} + k`}]`,
    loadB: `b[boff + ${transB ? `n * ${K} + k` : `k * ${N} + n`}]`,
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

cudaTemplate(['gemm'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const p = parts(ctx);
  const params = [{ name: 'a', type: 'float' }, { name: 'b', type: 'float' }, ...(ctx.ins.length === 3 ? [{ name: 'bias', type: 'float' }] : []), { name: 'y', type: 'float', out: true }];
  const args = [...ctx.layer.inputs, ...ctx.layer.outputs];
  // Skinny keeps M accumulators per lane, so it exists only for M <= 8.
  if (p.M <= SKINNY_ROWS && (ctx.tactic === 'skinny' || ctx.tactic === undefined)) {
    const s = skinny(p);
    return [{ function: ctx.name, source: renderKernel(ctx.name, params, s.threads, true, s.body), grid: s.grid, block: [s.threads, 1, 1], sharedBytes: 0, args }];
  }
  if (ctx.tactic === 'dot' && !p.transA && p.transB) {
    const s = dot(p);
    return [{ function: ctx.name, source: renderKernel(ctx.name, params, s.threads, true, s.body), grid: s.grid, block: [s.threads, 1, 1], sharedBytes: 0, args }];
  }
  const t = tileOf(ctx.tactic, p.M, p.N, p.batch, ctx.multiprocessors);
  const body = renderTile(t, {
    I: p.I, M: p.M, N: p.N, K: p.K, setup: p.setup,
    loadA: p.loadA, aOrder: p.transA ? 'm' : 'k', loadB: p.loadB, bOrder: p.transB ? 'k' : 'n', store: p.store,
  });
  return [{
    function: ctx.name,
    source: `// tile ${t.bm}x${t.bn}x${t.bk}, ${t.tm}x${t.tn} per thread (static shared memory: ${tileSharedBytes(t)} bytes)\n${renderKernel(ctx.name, params, tileThreads(t), true, body)}`,
    grid: [Math.ceil(p.N / t.bn), Math.ceil(p.M / t.bm), p.batch],
    block: [tileThreads(t), 1, 1],
    sharedBytes: 0,
    args,
  }];
}, (ctx) => {
  const p = parts(ctx);
  const tiles = tileTactics(p.M, p.N, p.batch, ctx.multiprocessors);
  return [...(p.M <= SKINNY_ROWS ? ['skinny'] : []), ...tiles, ...(!p.transA && p.transB ? ['dot'] : [])];
});
