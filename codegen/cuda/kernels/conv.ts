// conv (1-D or 2-D, groups, strides, padding, dilation, bias + activation
// epilogue) as an implicit GEMM per group: C[Cout/g, N*OH*OW] = W[Cout/g, Cin/g*KH*KW]
// times the im2col matrix of the input, whose elements a small device function
// gathers straight from the image while the tile is staged, so no im2col buffer
// ever exists. Groups run on blockIdx.z. 1-D runs as 2-D with height 1.
// A second tactic, "direct", fits small filters with few output channels (LeNet's
// first layer: 25 taps, 20 channels): a thread per output position keeps every
// channel's sum in registers and reads the group's weights from shared memory, so
// each input tap is gathered once for all channels and no tile is padded.
import { CUDA_DIALECT as D } from '../dialect.js';
import { activation, indexType, numel, renderKernel } from '../render.js';
import { cudaTemplate, requireF32, unsupported, type KernelCtx } from '../template.js';
import { renderTile, tileOf, tileSharedBytes, tileTactics, tileThreads } from './gemm-tile.js';

const DIRECT_THREADS = 256;
/** Direct conv keeps M sums in registers and M x K weights in shared memory. */
const directFits = (m: number, k: number) => m <= 32 && k <= 256;

/** M, N and groups of the implicit GEMM, for the tactic list. */
function gemmShape(ctx: KernelCtx): [number, number, number] {
  const ns = ctx.layer.ints[0]!, G = ctx.layer.ints[1]!;
  const y = ctx.outs[0]!;
  return [y.shape[1]! / G, y.shape[0]! * numel(y.shape.slice(2, 2 + ns)), G];
}

cudaTemplate(['conv'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const ints = ctx.layer.ints;
  const ns = ints[0]!, G = ints[1]!, act = ints[2]!;
  if (ns > 2) unsupported(ctx, `has no ${ns}-D convolution kernel yet`);
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const take = (from: number) => ints.slice(from, from + ns);
  const two = (v: number[], fill: number) => (ns === 1 ? [fill, v[0]!] : v);
  const [SH, SW] = two(take(3), 1), [PH, PW] = two(take(3 + ns), 0), [DH, DW] = two(take(3 + 3 * ns), 1);
  const x = ctx.ins[0]!, w = ctx.ins[1]!, y = ctx.outs[0]!;
  const hasBias = ctx.ins.length === 3;
  const NB = x.shape[0]!, C = x.shape[1]!, CO = y.shape[1]!;
  const [H, W] = ns === 1 ? [1, x.shape[2]!] : [x.shape[2]!, x.shape[3]!];
  const [KH, KW] = ns === 1 ? [1, w.shape[2]!] : [w.shape[2]!, w.shape[3]!];
  const [OH, OW] = ns === 1 ? [1, y.shape[2]!] : [y.shape[2]!, y.shape[3]!];
  if (G > 65535) unsupported(ctx, `supports at most 65535 groups, got ${G}`);
  const CG = C / G, MG = CO / G;
  const M = MG, N = NB * OH * OW, K = CG * KH * KW;
  const I = indexType(numel(x.shape), numel(y.shape), numel(w.shape));
  const gather = `${ctx.name}_im2col`;
  const helper = [
    `${D.device} float ${gather}(const float* xg, ${I} k, ${I} n) {`,
    `  const int ci = k / ${KH * KW}, r = k % ${KH * KW}, kh = r / ${KW}, kw = r % ${KW};`,
    `  const ${I} b = n / ${OH * OW};`,
    `  const int p = n % ${OH * OW}, oh = p / ${OW}, ow = p % ${OW};`,
    `  const int h = oh * ${SH} - ${PH} + kh * ${DH}, w = ow * ${SW} - ${PW} + kw * ${DW};`,
    `  return (h >= 0 && h < ${H} && w >= 0 && w < ${W}) ? xg[(b * ${C} + ci) * ${H * W} + h * ${W} + w] : 0.f;`,
    '}',
  ].join('\n');
  const params = [{ name: 'x', type: 'float' }, { name: 'w', type: 'float' }, ...(hasBias ? [{ name: 'bias', type: 'float' }] : []), { name: 'y', type: 'float', out: true }];
  const epilogue = (co: string) => [
    hasBias ? `v += bias[${co}];` : '',
    activation(act, 'v', alpha, beta),
    `y[(b * ${CO} + ${co}) * ${OH * OW} + p] = v;`,
  ].filter(Boolean).join('\n');
  if (ctx.tactic === 'direct' && directFits(M, K)) {
    const body = [
      `${D.shared} float ws[${M * K}];`,
      `const int g = ${D.block.z};`,
      `for (int e = ${D.thread}; e < ${M * K}; e += ${DIRECT_THREADS}) ws[e] = w[(${I})g * ${M * K} + e];`,
      D.barrier,
      `const ${I} n = (${I})${D.block.x} * ${DIRECT_THREADS} + ${D.thread};`,
      `if (n >= ${N}) return;`,
      `const float* xg = x + (${I})g * ${CG * H * W};`,
      `float acc[${M}];`,
      `${D.unroll}`,
      `for (int c = 0; c < ${M}; ++c) acc[c] = 0.f;`,
      K <= 64 ? `${D.unroll}` : '',
      `for (int k = 0; k < ${K}; ++k) {`,
      `  const float xv = ${gather}(xg, k, n);`,
      `  ${D.unroll}`,
      `  for (int c = 0; c < ${M}; ++c) acc[c] = fmaf(ws[c * ${K} + k], xv, acc[c]);`,
      '}',
      `const ${I} b = n / ${OH * OW}, p = n % ${OH * OW};`,
      `${D.unroll}`,
      `for (int c = 0; c < ${M}; ++c) {`,
      '  float v = acc[c];',
      `  const ${I} co = (${I})g * ${MG} + c;`,
      `  ${epilogue('co').replace(/\n/g, '\n  ')}`,
      '}',
    ].filter(Boolean).join('\n');
    return [{
      function: ctx.name,
      source: `${helper}\n\n// direct conv: ${M} channels x ${K} taps per thread\n${renderKernel(ctx.name, params, DIRECT_THREADS, true, body)}`,
      grid: [Math.ceil(N / DIRECT_THREADS), 1, G],
      block: [DIRECT_THREADS, 1, 1],
      sharedBytes: 0,
      args: [...ctx.layer.inputs, ...ctx.layer.outputs],
    }];
  }
  const t = tileOf(ctx.tactic, M, N, G, ctx.multiprocessors);
  const body = renderTile(t, {
    I, M, N, K,
    setup: `const int g = ${D.block.z};\nconst float* wg = w + (${I})g * ${MG * K};\nconst float* xg = x + (${I})g * ${CG * H * W};`,
    loadA: `wg[m * ${K} + k]`, aOrder: 'k',
    loadB: `${gather}(xg, k, n)`, bOrder: 'n',
    store: `const ${I} co = (${I})g * ${MG} + m, b = n / ${OH * OW}, p = n % ${OH * OW};\n${epilogue('co')}`,
  });
  return [{
    function: ctx.name,
    source: `${helper}\n\n// implicit GEMM M=${M} N=${N} K=${K} x ${G} groups; tile ${t.bm}x${t.bn}x${t.bk}, ${t.tm}x${t.tn} per thread (${tileSharedBytes(t)} B shared)\n${renderKernel(ctx.name, params, tileThreads(t), true, body)}`,
    grid: [Math.ceil(N / t.bn), Math.ceil(M / t.bm), G],
    block: [tileThreads(t), 1, 1],
    sharedBytes: 0,
    args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
}, (ctx) => {
  const [m, n, g] = gemmShape(ctx);
  const w = ctx.ins[1]!;
  return [...tileTactics(m, n, g, ctx.multiprocessors), ...(directFits(m, numel(w.shape.slice(1))) ? ['direct'] : [])];
});
