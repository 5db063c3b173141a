// Pointwise kernels: unary (activations), binary with numpy broadcasting, scale
// (uniform / per-channel / elementwise shift-scale-power) and copy (reshape). One
// thread per output element; broadcast index math is unrolled with constant
// divisors. In-place layers (output at an input's bytes) are fine: each thread
// reads its element before writing it, and `__restrict__` is dropped for them.
import { BINARY_CODES } from '../../plan-desc.js';
import { CUDA_DIALECT as D } from '../dialect.js';
import {
  DTYPE_BYTES, activation, broadcastStrides, elementwiseLaunch, gatherIndex, gridStride, indexType, numel, overlaps, renderKernel,
  ELEMENTWISE_THREADS,
} from '../render.js';
import { cudaTemplate, requireF32, type EmittedKernel, type KernelCtx } from '../template.js';

const noAlias = (ctx: KernelCtx) => !ctx.outs.some((o) => ctx.ins.some((i) => overlaps(o, i)));

function emit(ctx: KernelCtx, name: string, n: number, params: { name: string; type: string; out?: boolean }[], body: string, args: number[]): EmittedKernel {
  return {
    function: name,
    source: renderKernel(name, params, ELEMENTWISE_THREADS, noAlias(ctx), body),
    ...elementwiseLaunch(n),
    sharedBytes: 0,
    args,
  };
}

cudaTemplate(['unary'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const n = numel(ctx.outs[0]!.shape);
  const I = indexType(n);
  const [alpha, beta] = ctx.layer.floats as [number, number];
  const { st } = ctx;
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  const body = gridStride(I, n, `float v = ${st.load(x, 'x[i]')};\n${activation(ctx.layer.ints[0]!, 'v', alpha, beta)}\ny[i] = ${st.store(y, 'v')};`);
  return [emit(ctx, ctx.name, n, [{ name: 'x', type: st.type(x) }, { name: 'y', type: st.type(y), out: true }], body, [...ctx.layer.inputs, ...ctx.layer.outputs])];
});

const BINARY_EXPR: Record<number, (p: string, q: string) => string> = {
  [BINARY_CODES.add]: (p, q) => `${p} + ${q}`,
  [BINARY_CODES.sub]: (p, q) => `${p} - ${q}`,
  [BINARY_CODES.mul]: (p, q) => `${p} * ${q}`,
  [BINARY_CODES.div]: (p, q) => `${p} / ${q}`,
  // std::max / std::min: the first operand unless the comparison says otherwise.
  [BINARY_CODES.max]: (p, q) => `(${p} < ${q} ? ${q} : ${p})`,
  [BINARY_CODES.min]: (p, q) => `(${q} < ${p} ? ${q} : ${p})`,
  [BINARY_CODES.pow]: (p, q) => `${D.math.pow}(${p}, ${q})`,
};

cudaTemplate(['binary'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const [a, b] = ctx.ins as [typeof ctx.ins[0], typeof ctx.ins[0]];
  const y = ctx.outs[0]!;
  const n = numel(y.shape);
  const I = indexType(n);
  const expr = BINARY_EXPR[ctx.layer.ints[0]!]!;
  const same = (s: number[]) => s.length === y.shape.length && s.every((d, k) => d === y.shape[k]);
  const index = (t: typeof a, v: string): { decl: string; op?: { name: string; strides: number[] } } => {
    if (same(t.shape)) return { decl: `const ${I} ${v} = i;` };
    if (numel(t.shape) === 1) return { decl: `const ${I} ${v} = 0;` };
    return { decl: '', op: { name: v, strides: broadcastStrides(t.shape, y.shape) } };
  };
  const ia = index(a, 'ia'), ib = index(b, 'ib');
  const ops = [ia.op, ib.op].filter((o) => o !== undefined);
  const setup = [ia.decl, ib.decl, ops.length ? gatherIndex('i', y.shape, ops, I) : ''].filter(Boolean).join('\n');
  const { st } = ctx;
  const body = gridStride(I, n, `${setup}\nconst float p = ${st.load(a, 'a[ia]')}, q = ${st.load(b, 'b[ib]')};\ny[i] = ${st.store(y, expr('p', 'q'))};`);
  const params = [{ name: 'a', type: st.type(a) }, { name: 'b', type: st.type(b) }, { name: 'y', type: st.type(y), out: true }];
  return [emit(ctx, ctx.name, n, params, body, [...ctx.layer.inputs, ...ctx.layer.outputs])];
});

cudaTemplate(['scale'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const x = ctx.ins[0]!;
  const n = numel(x.shape);
  const I = indexType(n);
  const [mode, axis] = ctx.layer.ints as [number, number];
  const inner = numel(x.shape.slice(axis + 1));
  const channels = x.shape[axis] ?? 1;
  // Per parameter: one element, or the mode's count (uniform 1, channel C, elementwise n).
  const at = (t: typeof x) => (numel(t.shape) === 1 || mode === 0 ? '0' : mode === 1 ? `(i / ${inner}) % ${channels}` : 'i');
  const [, shift, scale, power] = ctx.ins as [typeof x, typeof x, typeof x, typeof x];
  const { st } = ctx;
  const y = ctx.outs[0]!;
  const body = gridStride(I, n, [
    `const float v = ${st.load(x, 'x[i]')} * ${st.load(scale, `sc[${at(scale)}]`)} + ${st.load(shift, `sh[${at(shift)}]`)};`,
    `const float p = ${st.load(power, `pw[${at(power)}]`)};`,
    `y[i] = ${st.store(y, `p == 1.f ? v : ${D.math.pow}(v, p)`)};`,
  ].join('\n'));
  const params = [{ name: 'x', type: st.type(x) }, { name: 'sh', type: st.type(shift) }, { name: 'sc', type: st.type(scale) }, { name: 'pw', type: st.type(power) }, { name: 'y', type: st.type(y), out: true }];
  return [emit(ctx, ctx.name, n, params, body, [...ctx.layer.inputs, ...ctx.layer.outputs])];
});

cudaTemplate(['copy'], (ctx) => {
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  // A reshape whose output already sits at the input's bytes needs no work at all.
  if (x.location === y.location && x.offset === y.offset) return [];
  const { st } = ctx;
  if (st.isHalf(x) !== st.isHalf(y)) {
    // A network input or output next to half activations: convert while copying.
    const n = numel(x.shape);
    const body = gridStride(indexType(n), n, `y[i] = ${st.store(y, st.load(x, 'x[i]'))};`);
    return [emit(ctx, ctx.name, n, [{ name: 'x', type: st.type(x) }, { name: 'y', type: st.type(y), out: true }], body, [...ctx.layer.inputs, ...ctx.layer.outputs])];
  }
  const bytes = numel(x.shape) * st.bytes(x, DTYPE_BYTES);
  const word = [8, 4, 2, 1].find((w) => bytes % w === 0 && x.offset % w === 0 && y.offset % w === 0)!;
  const n = bytes / word;
  const type = D.words[word]!;
  const body = gridStride(indexType(n), n, 'y[i] = x[i];');
  return [emit(ctx, ctx.name, n, [{ name: 'x', type }, { name: 'y', type, out: true }], body, [...ctx.layer.inputs, ...ctx.layer.outputs])];
});
