// conv (1-D or 2-D, groups, strides, padding, dilation; bias, fused residual and
// activation epilogue: y = act(conv(x) + b + residual)) as an implicit GEMM per
// group: C[Cout/g, N*OH*OW] = W[Cout/g, Cin/g*KH*KW] times the im2col matrix of the
// input, whose elements a small device function gathers straight from the image
// while the tile is staged, so no im2col buffer ever exists. Groups run on
// blockIdx.z. 1-D runs as 2-D with height 1.
// Tactics: the f32 shared-memory tiles (gemm-tile.ts); under fp16 the
// tensor-core tiles (mma-tile.ts) on a half copy of the weights, rows padded to a
// multiple of 8 so a pair of K is one aligned word; and "direct" for small
// filters with few output channels (LeNet's first layer: 25 taps, 20 channels): a
// thread per output position keeps every channel's sum in registers and reads the
// group's weights from shared memory, so each input tap is gathered once.
import { CUDA_DIALECT as D } from '../dialect.js';
import { ELEMENTWISE_THREADS, activation, elementwiseLaunch, gridStride, indexType, numel, overlaps, renderKernel } from '../render.js';
import { cudaTemplate, requireF32, unsupported, type KernelCtx } from '../template.js';
import { renderTile, tileOf, tileSharedBytes, tileTactics, tileThreads } from './gemm-tile.js';
import { MMA_TILES, chooseMmaTile, isMmaTactic, mmaSharedBytes, mmaTactics, mmaThreads, mmaSplitGemm, parseMma, renderMma, renderSplit, splitCount, splitTactics, type MmaCode } from './mma-tile.js';

const DIRECT_THREADS = 256;
/** Direct conv keeps M sums in registers and M x K weights in shared memory. */
const directFits = (m: number, k: number) => m <= 32 && k <= 256;

interface ConvShape {
  ns: number; G: number; act: number; alpha: number; beta: number;
  SH: number; SW: number; PH: number; PW: number; DH: number; DW: number;
  NB: number; C: number; CO: number; H: number; W: number; KH: number; KW: number; OH: number; OW: number;
  CG: number; MG: number; M: number; N: number; K: number;
  hasBias: boolean; hasResidual: boolean;
}

function convShape(ctx: KernelCtx): ConvShape {
  const ints = ctx.layer.ints;
  const ns = ints[0]!, G = ints[1]!, act = ints[2]!;
  if (ns > 2) unsupported(ctx, `has no ${ns}-D convolution kernel yet`);
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const take = (from: number) => ints.slice(from, from + ns);
  const two = (v: number[], fill: number) => (ns === 1 ? [fill, v[0]!] : v);
  const [SH, SW] = two(take(3), 1), [PH, PW] = two(take(3 + ns), 0), [DH, DW] = two(take(3 + 3 * ns), 1);
  // The residual operand (last input) is flagged by an int appended after the window.
  const hasResidual = ints[3 + 4 * ns] === 1;
  const hasBias = ctx.ins.length - (hasResidual ? 1 : 0) === 3;
  const x = ctx.ins[0]!, w = ctx.ins[1]!, y = ctx.outs[0]!;
  const NB = x.shape[0]!, C = x.shape[1]!, CO = y.shape[1]!;
  const [H, W] = ns === 1 ? [1, x.shape[2]!] : [x.shape[2]!, x.shape[3]!];
  const [KH, KW] = ns === 1 ? [1, w.shape[2]!] : [w.shape[2]!, w.shape[3]!];
  const [OH, OW] = ns === 1 ? [1, y.shape[2]!] : [y.shape[2]!, y.shape[3]!];
  if (G > 65535) unsupported(ctx, `supports at most 65535 groups, got ${G}`);
  const CG = C / G, MG = CO / G;
  return {
    ns, G, act, alpha, beta, SH: SH!, SW: SW!, PH: PH!, PW: PW!, DH: DH!, DW: DW!, NB, C, CO, H: H!, W: W!, KH: KH!, KW: KW!, OH: OH!, OW: OW!,
    CG, MG, M: MG, N: NB * OH! * OW!, K: CG * KH! * KW!, hasBias, hasResidual,
  };
}

/** The weights as half, one padded row per output channel: [Cout][Kp], Kp a multiple of 8. */
function halfWeights(ctx: KernelCtx, s: ConvShape): { tensor: number; kp: number } {
  const w = ctx.ins[1]!;
  if (w.location !== 'weights') unsupported(ctx, `runs on tensor cores only with constant weights, and '${w.name}' is computed`);
  const kp = Math.ceil(s.K / 8) * 8;
  const tensor = ctx.constant(`${w.name}:${ctx.st.format}x${kp}`, ctx.st.format, [s.CO, kp], () => {
    const bytes = ctx.plan.weights.slice(w.offset, w.offset + 4 * s.CO * s.K);
    return ctx.st.rows(new Float32Array(bytes.buffer, bytes.byteOffset, s.CO * s.K), s.CO, s.K, kp);
  });
  return { tensor, kp };
}

cudaTemplate(['conv'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const s = convShape(ctx);
  const { st } = ctx;
  const x = ctx.ins[0]!, y = ctx.outs[0]!, res = s.hasResidual ? ctx.ins[ctx.ins.length - 1]! : undefined;
  const { SH, SW, PH, PW, DH, DW, C, CO, H, W, KH, KW, OH, OW, CG, MG, M, N, K, G } = s;
  const I = indexType(numel(x.shape), numel(y.shape), numel(ctx.ins[1]!.shape));
  const X = st.type(x);
  const restrict = !res || !overlaps(res, y);
  const gather = `${ctx.name}_im2col`;
  const helper = [
    `${D.device} float ${gather}(const ${X}* xg, ${I} k, ${I} n) {`,
    `  const int ci = k / ${KH * KW}, r = k % ${KH * KW}, kh = r / ${KW}, kw = r % ${KW};`,
    `  const ${I} b = n / ${OH * OW};`,
    `  const int p = n % ${OH * OW}, oh = p / ${OW}, ow = p % ${OW};`,
    `  const int h = oh * ${SH} - ${PH} + kh * ${DH}, w = ow * ${SW} - ${PW} + kw * ${DW};`,
    `  return (h >= 0 && h < ${H} && w >= 0 && w < ${W}) ? ${st.load(x, `xg[(b * ${C} + ci) * ${H * W} + h * ${W} + w]`)} : 0.f;`,
    '}',
  ].join('\n');
  const tail = [
    ...(s.hasBias ? [{ name: 'bias', type: st.type(ctx.ins[2]!) }] : []),
    ...(res ? [{ name: 'res', type: st.type(res) }] : []),
    { name: 'y', type: st.type(y), out: true },
  ];
  const tailArgs = [...ctx.layer.inputs.slice(2), ...ctx.layer.outputs];
  const epilogue = (co: string) => {
    const at = `(b * ${CO} + ${co}) * ${OH * OW} + p`;
    return [
      s.hasBias ? `v += ${st.load(ctx.ins[2]!, `bias[${co}]`)};` : '',
      res ? `v += ${st.load(res, `res[${at}]`)};` : '',
      activation(s.act, 'v', s.alpha, s.beta),
      `y[${at}] = ${st.store(y, 'v')};`,
    ].filter(Boolean).join('\n');
  };
  const params = [{ name: 'x', type: X }, { name: 'w', type: 'float' }, ...tail];
  const args = [...ctx.layer.inputs.slice(0, 2), ...tailArgs];

  // The rule: direct for a handful of channels per group (depthwise), tensor cores under fp16, else an f32 tile.
  const fewChannels = ctx.tactic === undefined && M < 16 && directFits(M, K);
  if (isMmaTactic(ctx.tactic) || (ctx.tactic === undefined && !fewChannels && st.any && ctx.ins[1]!.location === 'weights')) {
    const pm = parseMma(ctx.tactic);
    const t = MMA_TILES[pm?.name ?? chooseMmaTile(M, N, G, ctx.multiprocessors)];
    const slices = pm?.split && G === 1 ? splitCount(t, M, N, K, ctx.multiprocessors) : 1;
    const { tensor, kp } = halfWeights(ctx, s);
    const pointwise = KH === 1 && KW === 1 && SH === 1 && SW === 1 && PH === 0 && PW === 0;
    const h = D.half;
    const bits = (ref: string) => (st.isHalf(x) ? ref : `${h.fromFloat}(${ref})`);
    const bh = `${ctx.name}_bh`;
    const tapHelper = pointwise ? '' : [
      `${D.device} unsigned short ${bh}(const ${X}* xb, int h0, int w0, ${I} k) {`,
      `  const int ci = k / ${KH * KW}, r = k % ${KH * KW}, kh = r / ${KW}, kw = r % ${KW};`,
      `  const int h = h0 + kh * ${DH}, w = w0 + kw * ${DW};`,
      `  return (h >= 0 && h < ${H} && w >= 0 && w < ${W}) ? ${bits(`xb[ci * ${H * W} + h * ${W} + w]`)} : (unsigned short)0;`,
      '}',
    ].join('\n');
    const code: Omit<MmaCode, 'store'> = {
      I, M, N, K,
      // Split-K uses blockIdx.z for the K slice (groups 1 only).
      setup: `const int g = ${slices > 1 ? '0' : D.block.z};\nconst ${X}* xg = x + (${I})g * ${CG * H * W};\nconst unsigned* wg = wh + (${I})g * ${MG * (kp / 2)};`,
      aPair: `wg[m * ${kp / 2} + k / 2]`, aOrder: 'k',
      bOrder: 'n',
      bColumn: [
        `const ${I} bq = n / ${OH * OW};`,
        `const int pq = n % ${OH * OW};`,
        `const ${X}* xb = xg + bq * ${C * H * W};`,
        pointwise ? '' : `const int h0 = (pq / ${OW}) * ${SH} - ${PH}, w0 = (pq % ${OW}) * ${SW} - ${PW};`,
      ].filter(Boolean).join('\n'),
      loadB: pointwise ? bits(`xb[k * ${H * W} + pq]`) : `${bh}(xb, h0, w0, k)`,
      // 1x1 on half activations with an even plane: columns n, n+1 are one aligned word.
      ...(pointwise && st.isHalf(x) && (H * W) % 2 === 0 ? { bRowWord: `*(const unsigned*)(xb + k * ${H * W} + pq)` } : {}),
    };
    const store = `const ${I} co = (${I})g * ${MG} + m, b = n / ${OH * OW}, p = n % ${OH * OW};\n${epilogue('co')}`;
    // Half output (and residual) and an even plane: columns n, n+1 are neighbours in one image, one word.
    const pairs = st.isHalf(y) && (!res || st.isHalf(res)) && (OH * OW) % 2 === 0;
    const storePair = pairs ? [
      `const ${I} co = (${I})g * ${MG} + m, b = n / ${OH * OW}, p = n % ${OH * OW}, at = (b * ${CO} + co) * ${OH * OW} + p;`,
      s.hasBias ? `{ const float bv = ${st.load(ctx.ins[2]!, 'bias[co]')}; v0 += bv; v1 += bv; }` : '',
      res ? `{ const unsigned rv = *(const unsigned*)(res + at); v0 += ${h.toFloat}((unsigned short)(rv & 0xffffu)); v1 += ${h.toFloat}((unsigned short)(rv >> 16)); }` : '',
      activation(s.act, 'v0', s.alpha, s.beta),
      activation(s.act, 'v1', s.alpha, s.beta),
      `*(unsigned*)(y + at) = ${h.pack}(${h.fromFloat}(v0), ${h.fromFloat}(v1));`,
    ].filter(Boolean).join('\n') : undefined;
    if (slices > 1) {
      const split = renderSplit(ctx, {
        I, M, N, K, gemm: mmaSplitGemm(t, code), operands: [{ name: 'x', type: X }, { name: 'wh', type: 'unsigned' }], operandArgs: [ctx.layer.inputs[0]!, tensor],
        tail, tailArgs, storeSetup: 'const int g = 0;', store, restrict, slices,
      });
      split[1]!.source = `${tapHelper}\n\n${split[1]!.source}`;
      return split;
    }
    const body = renderMma(t, { ...code, store, storePair });
    const mmaParams = [{ name: 'x', type: X }, { name: 'wh', type: 'unsigned' }, ...tail];
    return [{
      function: ctx.name,
      source: `${tapHelper}\n\n// implicit GEMM on tensor cores M=${M} N=${N} K=${K} x ${G} groups; tile ${t.bm}x${t.bn}x32, ${t.warpsM}x${t.warpsN} warps (${mmaSharedBytes(t)} B shared)\n${renderKernel(ctx.name, mmaParams, mmaThreads(t), restrict, body)}`,
      grid: [Math.ceil(N / t.bn), Math.ceil(M / t.bm), G],
      block: [mmaThreads(t), 1, 1],
      sharedBytes: 0,
      args: [ctx.layer.inputs[0]!, tensor, ...tailArgs],
    }];
  }
  if ((ctx.tactic === 'direct' && directFits(M, K)) || fewChannels) {
    const body = [
      `${D.shared} float ws[${M * K}];`,
      `const int g = ${D.block.z};`,
      `for (int e = ${D.thread}; e < ${M * K}; e += ${DIRECT_THREADS}) ws[e] = w[(${I})g * ${M * K} + e];`,
      D.barrier,
      `const ${I} n = (${I})${D.block.x} * ${DIRECT_THREADS} + ${D.thread};`,
      `if (n >= ${N}) return;`,
      `const ${X}* xg = x + (${I})g * ${CG * H * W};`,
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
      source: `${helper}\n\n// direct conv: ${M} channels x ${K} taps per thread\n${renderKernel(ctx.name, params, DIRECT_THREADS, restrict, body)}`,
      grid: [Math.ceil(N / DIRECT_THREADS), 1, G],
      block: [DIRECT_THREADS, 1, 1],
      sharedBytes: 0,
      args,
    }];
  }
  const t = tileOf(ctx.tactic, M, N, G, ctx.multiprocessors);
  const body = renderTile(t, {
    I, M, N, K,
    setup: `const int g = ${D.block.z};\nconst float* wg = w + (${I})g * ${MG * K};\nconst ${X}* xg = x + (${I})g * ${CG * H * W};`,
    loadA: `wg[m * ${K} + k]`, aOrder: 'k',
    loadB: `${gather}(xg, k, n)`, bOrder: 'n',
    store: `const ${I} co = (${I})g * ${MG} + m, b = n / ${OH * OW}, p = n % ${OH * OW};\n${epilogue('co')}`,
  });
  return [{
    function: ctx.name,
    source: `${helper}\n\n// implicit GEMM M=${M} N=${N} K=${K} x ${G} groups; tile ${t.bm}x${t.bn}x${t.bk}, ${t.tm}x${t.tn} per thread (${tileSharedBytes(t)} B shared)\n${renderKernel(ctx.name, params, tileThreads(t), restrict, body)}`,
    grid: [Math.ceil(N / t.bn), Math.ceil(M / t.bm), G],
    block: [tileThreads(t), 1, 1],
    sharedBytes: 0,
    args,
  }];
}, (ctx) => {
  const s = convShape(ctx);
  const direct = directFits(s.M, s.K) ? ['direct'] : [];
  const f32 = tileTactics(s.M, s.N, s.G, ctx.multiprocessors);
  if (s.M < 16 && direct.length) return ['direct', ...(ctx.st.any && ctx.ins[1]!.location === 'weights' ? mmaTactics(s.M, s.N, s.G, ctx.multiprocessors) : f32)];
  // Under fp16 the tensor-core tiles (the rule's pick first); the f32 tiles never win there and would
  // only make the tuning module slower to compile.
  return ctx.st.any && ctx.ins[1]!.location === 'weights'
    ? [...mmaTactics(s.M, s.N, s.G, ctx.multiprocessors), ...(s.G === 1 ? splitTactics(s.M, s.N, s.K, ctx.multiprocessors) : []), ...direct]
    : [...f32, ...direct];
});

// convDepthwiseNhwc (layout assignment's depthwise conv, passes/assign-layout.ts):
// x [N,H,W,C], w [C,1,KH,KW], y [N,OH,OW,C]. A thread per output element, channels
// fastest, so a warp reads and writes 32 neighbouring channels of one pixel.
cudaTemplate(['convDepthwiseNhwc'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const { st } = ctx;
  const ints = ctx.layer.ints;
  if (ints[0] !== 2) unsupported(ctx, `expects 2 spatial dims, got ${ints[0]}`);
  const act = ints[2]!;
  const [SH, SW, PH, PW, , , DH, DW] = ints.slice(3, 11) as number[];
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const x = ctx.ins[0]!, w = ctx.ins[1]!, bias = ctx.ins[2], y = ctx.outs[0]!;
  const [, H, W, C] = x.shape as [number, number, number, number];
  const [, OH, OW] = y.shape as [number, number, number, number];
  const [KH, KW] = [w.shape[2]!, w.shape[3]!];
  const n = numel(y.shape);
  const I = indexType(numel(x.shape), n);
  const body = gridStride(I, n, [
    `const int c = i % ${C};`,
    `const ${I} pix = i / ${C};`,
    `const int ow = pix % ${OW}, oh = (pix / ${OW}) % ${OH};`,
    `const ${I} b = pix / ${OH * OW};`,
    `const ${st.type(x)}* xb = x + b * ${H * W * C} + c;`,
    'float v = 0.f;',
    `${D.unroll}`,
    `for (int kh = 0; kh < ${KH}; ++kh) {`,
    `  const int h = oh * ${SH} - ${PH} + kh * ${DH};`,
    `  if (h < 0 || h >= ${H}) continue;`,
    `  ${D.unroll}`,
    `  for (int kw = 0; kw < ${KW}; ++kw) {`,
    `    const int ww = ow * ${SW} - ${PW} + kw * ${DW};`,
    `    if (ww < 0 || ww >= ${W}) continue;`,
    `    v = fmaf(${st.load(x, `xb[(h * ${W} + ww) * ${C}]`)}, wt[c * ${KH * KW} + kh * ${KW} + kw], v);`,
    '  }',
    '}',
    bias ? `v += ${st.load(bias, 'bias[c]')};` : '',
    activation(act, 'v', alpha, beta),
    `y[i] = ${st.store(y, 'v')};`,
  ].filter(Boolean).join('\n'));
  const params = [{ name: 'x', type: st.type(x) }, { name: 'wt', type: st.type(w) }, ...(bias ? [{ name: 'bias', type: st.type(bias) }] : []), { name: 'y', type: st.type(y), out: true }];
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, params, ELEMENTWISE_THREADS, true, body),
    ...elementwiseLaunch(n), sharedBytes: 0, args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
});
