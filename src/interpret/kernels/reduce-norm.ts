// Normalization kernels (LayerNormalization, InstanceNormalization, inference-form
// BatchNormalization) and LogSoftmax / Hardmax, in f64. The statistics are the
// population mean and variance (divide by the count), as ONNX defines them; variance
// is computed from centered values, which is the textbook-stable form.
import { normalizeAxis } from '../../ir/index.js';
import { broadcastIndexMap, product } from '../indexing.js';
import { defineKernel, floatInput, floatOutput, type KernelDef } from '../kernel.js';

/** Normalizes `n` elements at xs[base..] into out, then y = norm * scale(j) + bias(j). */
function normalizeRow(xs: Float64Array, out: Float64Array, base: number, n: number, eps: number, affine: (v: number, j: number) => number): void {
  let mean = 0;
  for (let j = 0; j < n; j++) mean += xs[base + j]!;
  mean /= n;
  let variance = 0;
  for (let j = 0; j < n; j++) variance += (xs[base + j]! - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  for (let j = 0; j < n; j++) out[base + j] = affine((xs[base + j]! - mean) * inv, j);
}

const layerNorm = defineKernel('LayerNormalization', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = floatInput(ctx, 0);
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const normalized = x.shape.slice(axis);
  const n = product(normalized);
  // Scale and bias broadcast onto the normalized dims.
  const param = (i: number) => {
    const t = ctx.inputs[i];
    if (!t) return undefined;
    const map = broadcastIndexMap(t.shape, normalized);
    const v = floatInput(ctx, i);
    return (j: number) => v[map[j]!]!;
  };
  const scale = param(1)!;
  const bias = param(2) ?? (() => 0);
  const out = new Float64Array(xs.length);
  for (let r = 0; r < product(x.shape, 0, axis); r++) normalizeRow(xs, out, r * n, n, ctx.attrs.epsilon as number, (v, j) => v * scale(j) + bias(j));
  return [floatOutput(ctx, out)];
});

const instanceNorm = defineKernel('InstanceNormalization', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = floatInput(ctx, 0);
  const [scale, bias] = [floatInput(ctx, 1), floatInput(ctx, 2)];
  const channels = x.shape[1]!;
  const n = product(x.shape, 2);
  const out = new Float64Array(xs.length);
  for (let r = 0; r < x.shape[0]! * channels; r++) {
    const c = r % channels;
    normalizeRow(xs, out, r * n, n, ctx.attrs.epsilon as number, (v) => v * scale[c]! + bias[c]!);
  }
  return [floatOutput(ctx, out)];
});

const batchNorm = defineKernel('BatchNormalization', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = floatInput(ctx, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => floatInput(ctx, i)) as Float64Array[];
  const channels = x.shape[1]!;
  const inner = product(x.shape, 2);
  const eps = ctx.attrs.epsilon as number;
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = ((xs[i]! - mean![c]!) / Math.sqrt(variance![c]! + eps)) * scale![c]! + bias![c]!;
  }
  return [floatOutput(ctx, out)];
});

/** Runs `f` on every slice along the node's axis; `at(k)` is the flat index of slice element k. */
function alongAxis(shape: readonly number[], axisAttr: number, f: (at: (k: number) => number, len: number) => void): void {
  const axis = normalizeAxis(axisAttr, shape.length)!;
  const outer = product(shape, 0, axis);
  const len = shape[axis]!;
  const inner = product(shape, axis + 1);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f((k) => (o * len + k) * inner + i, len);
}

const logSoftmax = defineKernel('LogSoftmax', (ctx) => {
  const xs = floatInput(ctx, 0);
  const out = new Float64Array(xs.length);
  alongAxis(ctx.inputs[0]!.shape, ctx.attrs.axis as number, (at, len) => {
    let max = -Infinity;
    for (let k = 0; k < len; k++) max = Math.max(max, xs[at(k)]!);
    let sum = 0;
    for (let k = 0; k < len; k++) sum += Math.exp(xs[at(k)]! - max);
    const logSum = Math.log(sum);
    for (let k = 0; k < len; k++) out[at(k)] = xs[at(k)]! - max - logSum;
  });
  return [floatOutput(ctx, out)];
});

// One 1 per slice, at the first maximum (a NaN counts as the maximum, as in ArgMax).
const hardmax = defineKernel('Hardmax', (ctx) => {
  const xs = floatInput(ctx, 0);
  const out = new Float64Array(xs.length);
  alongAxis(ctx.inputs[0]!.shape, ctx.attrs.axis as number, (at, len) => {
    let best = 0;
    for (let k = 1; k < len; k++) {
      const v = xs[at(k)]!;
      const b = xs[at(best)]!;
      if (Number.isNaN(b)) break;
      if (v > b || Number.isNaN(v)) best = k;
    }
    if (len > 0) out[at(best)] = 1;
  });
  return [floatOutput(ctx, out)];
});

export const reduceNormKernels: readonly KernelDef[] = [layerNorm, instanceNorm, batchNorm, logSoftmax, hardmax];
