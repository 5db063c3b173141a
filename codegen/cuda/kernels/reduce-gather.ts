// The op families the transformer encoder adds: math (f32 unary functions),
// layerNorm (a warp per row, two passes for mean and variance as the CPU kernel
// does), slice (strided windows, any dtype as words) and gather (embedding
// lookups: i32 or i64 indices, negative ones counted from the end). One thread per
// output element except layerNorm. An out-of-range gather index, which the CPU
// kernel reports as KILN_INPUT, cannot fail a GPU run: its output rows are zeros.
import { CUDA_DIALECT as D } from '../dialect.js';
import {
  DTYPE_BYTES, ELEMENTWISE_THREADS, broadcastStrides, elementwiseLaunch, f32, gatherIndex, gridStride, indexType, numel, overlaps, renderKernel, strides,
} from '../render.js';
import { cudaTemplate, requireF32, unsupported, type KernelCtx } from '../template.js';

const MATH: Record<number, (v: string, a: string, b: string) => string> = {
  0: (v) => `sqrtf(${v})`, 1: (v) => `expf(${v})`, 2: (v) => `logf(${v})`, 3: (v) => `erff(${v})`, 4: (v) => `1.f / ${v}`,
  5: (v) => `-${v}`, 6: (v) => `fabsf(${v})`, 7: (v) => `(${v} > 0.f ? 1.f : ${v} < 0.f ? -1.f : ${v})`,
  8: (v) => `floorf(${v})`, 9: (v) => `ceilf(${v})`, 10: (v) => `rintf(${v})`,
  11: (v) => `sinf(${v})`, 12: (v) => `cosf(${v})`, 13: (v) => `tanf(${v})`, 14: (v) => `asinf(${v})`, 15: (v) => `acosf(${v})`,
  16: (v) => `atanf(${v})`, 17: (v) => `sinhf(${v})`, 18: (v) => `coshf(${v})`, 19: (v) => `asinhf(${v})`, 20: (v) => `acoshf(${v})`,
  21: (v) => `atanhf(${v})`,
  22: (v, a) => `(${v} < 0.f ? ${a} * (expf(${v}) - 1.f) : ${v})`,
  23: (v, a, g) => `(${v} > 0.f ? ${g} * ${v} : ${g} * ${a} * (expf(${v}) - 1.f))`,
  24: (v, a, b) => `fmaxf(0.f, fminf(1.f, ${a} * ${v} + ${b}))`,
  25: (v) => `(${v} * fmaxf(0.f, fminf(1.f, ${v} / 6.f + 0.5f)))`,
  26: (v) => `(${v} > 20.f ? ${v} : log1pf(expf(${v})))`,
  27: (v) => `(${v} / (1.f + fabsf(${v})))`,
  28: (v) => `(${v} * tanhf(${v} > 20.f ? ${v} : log1pf(expf(${v}))))`,
};

const noAlias = (ctx: KernelCtx) => !ctx.outs.some((o) => ctx.ins.some((i) => overlaps(o, i)));

cudaTemplate(['math'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const fn = MATH[ctx.layer.ints[0]!];
  if (!fn) unsupported(ctx, `has no math function with code ${ctx.layer.ints[0]}`);
  const { st } = ctx;
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  const n = numel(y.shape);
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const body = gridStride(indexType(n), n, `const float v = ${st.load(x, 'x[i]')};\ny[i] = ${st.store(y, fn('v', f32(alpha ?? 0), f32(beta ?? 0)))};`);
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, [{ name: 'x', type: st.type(x) }, { name: 'y', type: st.type(y), out: true }], ELEMENTWISE_THREADS, noAlias(ctx), body),
    ...elementwiseLaunch(n), sharedBytes: 0, args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
});

const LN_ROWS = 4;

cudaTemplate(['layerNorm'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const { st } = ctx;
  const x = ctx.ins[0]!, scale = ctx.ins[1]!, bias = ctx.ins[2], y = ctx.outs[0]!;
  const axis = ctx.layer.ints[0]!;
  const eps = ctx.layer.floats[0]!;
  const rowShape = x.shape.slice(axis);
  const outer = numel(x.shape.slice(0, axis)), len = numel(rowShape);
  const I = indexType(numel(x.shape));
  const at = (t: NonNullable<typeof bias>, v: string) => {
    if (numel(t.shape) === len) return '';
    if (numel(t.shape) === 1) return `const int ${v} = 0;`;
    return gatherIndex('j', rowShape, [{ name: v, strides: broadcastStrides(t.shape, rowShape) }], 'int');
  };
  const idx = (t: NonNullable<typeof bias>, v: string) => (numel(t.shape) === len ? 'j' : v);
  const reduce = (v: string) => `${D.unroll}\nfor (int o = 16; o > 0; o >>= 1) ${v} += ${D.shuffleXor(v, 'o')};`;
  const body = [
    `const int lane = ${D.thread} & 31;`,
    `const ${I} row = (${I})${D.block.x} * ${LN_ROWS} + (${D.thread} >> 5);`,
    `if (row >= ${outer}) return;  // whole warps leave together`,
    `const ${st.type(x)}* xr = x + row * ${len};`,
    `${st.type(y)}* yr = y + row * ${len};`,
    'float s = 0.f;',
    `for (int j = lane; j < ${len}; j += 32) s += ${st.load(x, 'xr[j]')};`,
    reduce('s'),
    `const float mean = s / ${f32(len)};`,
    'float q = 0.f;',
    `for (int j = lane; j < ${len}; j += 32) { const float d = ${st.load(x, 'xr[j]')} - mean; q += d * d; }`,
    reduce('q'),
    `const float inv = 1.f / sqrtf(q / ${f32(len)} + ${f32(eps)});`,
    `for (int j = lane; j < ${len}; j += 32) {`,
    `  ${[at(scale, 'is'), bias ? at(bias, 'ib') : ''].filter(Boolean).join('\n  ')}`,
    `  const float v = (${st.load(x, 'xr[j]')} - mean) * inv * ${st.load(scale, `sc[${idx(scale, 'is')}]`)}${bias ? ` + ${st.load(bias, `bi[${idx(bias, 'ib')}]`)}` : ''};`,
    `  yr[j] = ${st.store(y, 'v')};`,
    '}',
  ].join('\n');
  const params = [{ name: 'x', type: st.type(x) }, { name: 'sc', type: st.type(scale) }, ...(bias ? [{ name: 'bi', type: st.type(bias) }] : []), { name: 'y', type: st.type(y), out: true }];
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, params, 32 * LN_ROWS, noAlias(ctx), body),
    grid: [Math.ceil(outer / LN_ROWS), 1, 1], block: [32 * LN_ROWS, 1, 1], sharedBytes: 0,
    args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
});

/** Element types for a copy from x to y: raw words when both are stored alike, else converted through f32. */
function moveTypes(ctx: KernelCtx, x: KernelCtx['ins'][0], y: KernelCtx['ins'][0], ref: string) {
  const { st } = ctx;
  if (st.isHalf(x) === st.isHalf(y)) {
    return { tx: D.words[st.bytes(x, DTYPE_BYTES)]!, ty: D.words[st.bytes(y, DTYPE_BYTES)]!, value: ref };
  }
  return { tx: st.type(x), ty: st.type(y), value: st.store(y, st.load(x, ref)) };
}

cudaTemplate(['slice'], (ctx) => {
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  const rank = x.shape.length;
  const starts = ctx.layer.ints.slice(0, rank), steps = ctx.layer.ints.slice(rank, 2 * rank);
  const xs = strides(x.shape);
  const n = numel(y.shape);
  const I = indexType(numel(x.shape), n);
  const base = starts.reduce((a, s, d) => a + s * xs[d]!, 0);
  const m = moveTypes(ctx, x, y, `x[${base} + ix]`);
  const body = gridStride(I, n, `${gatherIndex('i', y.shape, [{ name: 'ix', strides: steps.map((s, d) => s * xs[d]!) }], I)}\ny[i] = ${m.value};`);
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, [{ name: 'x', type: m.tx }, { name: 'y', type: m.ty, out: true }], ELEMENTWISE_THREADS, true, body),
    ...elementwiseLaunch(n), sharedBytes: 0, args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
});

cudaTemplate(['gather'], (ctx) => {
  const data = ctx.ins[0]!, indices = ctx.ins[1]!, y = ctx.outs[0]!;
  if (indices.dtype !== 'i32' && indices.dtype !== 'i64') unsupported(ctx, `takes i32 or i64 indices, got ${indices.dtype} tensor '${indices.name}'`);
  const axis = ctx.layer.ints[0]!;
  const dim = data.shape[axis]!, inner = numel(data.shape.slice(axis + 1)), nq = numel(indices.shape);
  const n = numel(y.shape);
  const I = indexType(numel(data.shape), n);
  const m = moveTypes(ctx, data, y, `x[(o * ${dim} + q) * ${inner} + r]`);
  const zero = ctx.st.isHalf(y) || y.dtype !== 'f32' ? '0' : '0.f';
  const body = gridStride(I, n, [
    `const ${I} o = i / ${nq * inner}, r = i % ${inner};`,
    `long long q = idx[(i / ${inner}) % ${nq}];`,
    `if (q < 0) q += ${dim};`,
    `y[i] = (q >= 0 && q < ${dim}) ? ${m.value} : ${zero};`,
  ].join('\n'));
  const params = [{ name: 'x', type: m.tx }, { name: 'idx', type: D.types[indices.dtype]! }, { name: 'y', type: m.ty, out: true }];
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, params, ELEMENTWISE_THREADS, true, body),
    ...elementwiseLaunch(n), sharedBytes: 0, args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
});
