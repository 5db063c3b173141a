// Resize, as the ONNX reference computes it: every dim is interpolated separately, so
// each output coordinate of a dim is a short list of taps (input index, weight) and an
// output element is the sum over the product of its dims' taps. nearest has one tap of
// weight 1 (and so copies any dtype exactly), linear two, cubic four (more with
// antialias when downsampling).
import { resizeParams, type Attrs, type ResizeAxis } from '../../ir/index.js';
import { product } from '../indexing.js';
import { defineKernel, floatOutput, type KernelDef } from '../kernel.js';
import { readFloats } from '../tensor.js';
import { take } from './layout-take.js';

export interface Taps {
  index: number[];
  weight: number[];
}

/**
 * ONNX's coordinate transform: where output coordinate x sits in the input. Like the
 * ONNX reference, align_corners and pytorch_half_pixel measure the resized length as
 * scale * inSize (before floor), which differs from outSize when scales were given.
 */
export function originalCoordinate(x: number, inSize: number, outSize: number, scale: number, mode: string): number {
  const length = scale * inSize;
  switch (mode) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      // Centers the output on the input when floor() shortened it.
      const adjustment = outSize / (scale * inSize);
      return (inSize / 2) * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel': return length > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return length === 1 ? 0 : (x * (inSize - 1)) / (length - 1);
    case 'asymmetric': return x / scale;
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    default: throw new Error(`unknown coordinate transformation mode '${mode}'`);
  }
}

/** The cubic kernel of coefficient a at distance t. */
function cubic(t: number, a: number): number {
  const d = Math.abs(t);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

/**
 * Weights of the taps left + first + k for a ratio in (0, 1]. Without antialias:
 * linear [1-r, r] from left, cubic's four from left-1. With it, the filter is
 * stretched by 1/scale when downsampling and normalized, as the ONNX reference does.
 */
function filterTaps(mode: string, r: number, scale: number, a: number, antialias: boolean): { first: number; weight: number[] } {
  const s = antialias ? Math.min(scale, 1) : 1;
  const first = Math.floor((mode === 'linear' ? -1 : -2) / s) + 1;
  const weight = Array.from({ length: 2 - 2 * first }, (_, k) => {
    const t = (first + k - r) * s;
    return mode === 'linear' ? Math.max(0, 1 - Math.abs(t)) : cubic(t, a);
  });
  if (!antialias) return { first, weight };
  const sum = weight.reduce((p, q) => p + q, 0);
  return { first, weight: weight.map((w) => w / sum) };
}

/** The taps of every output coordinate of one dim. */
export function resizeTaps(inSize: number, outSize: number, scale: number, attrs: Attrs): Taps[] {
  const taps: Taps[] = [];
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  for (let x = 0; x < outSize; x++) {
    const orig = originalCoordinate(x, inSize, outSize, scale, attrs.coordinateTransformationMode as string);
    // The reference prefers the left neighbour: ratio lies in (0, 1].
    const left = Math.ceil(orig) - 1;
    const ratio = orig - left;
    if (attrs.mode === 'nearest') {
      const m = attrs.nearestMode as string;
      const right = ratio === 1 || m === 'ceil' || (m === 'round_prefer_floor' && ratio > 0.5) || (m === 'round_prefer_ceil' && ratio >= 0.5);
      taps.push({ index: [clamp(right ? left + 1 : left)], weight: [1] });
      continue;
    }
    const f = filterTaps(attrs.mode as string, ratio, scale, attrs.cubicCoeffA as number, attrs.antialias as boolean);
    let weight = f.weight;
    const raw = weight.map((_, k) => left + f.first + k);
    if (attrs.excludeOutside) {
      weight = weight.map((w, k) => (raw[k]! >= 0 && raw[k]! < inSize ? w : 0));
      const sum = weight.reduce((p, q) => p + q, 0);
      weight = weight.map((w) => w / sum);
    }
    taps.push({ index: raw.map(clamp), weight });
  }
  return taps;
}

const resize = defineKernel('Resize', (ctx) => {
  const x = ctx.inputs[0]!;
  const out = ctx.outputs[0]!;
  const params = resizeParams(x.shape, ctx.attrs) as ResizeAxis[];
  const taps = params.map((p, d) => resizeTaps(x.shape[d]!, out.shape[d]!, p.scale, ctx.attrs));
  const rank = x.shape.length;
  const strides = x.shape.map((_, d) => product(x.shape, d + 1));
  if (ctx.attrs.mode === 'nearest') {
    return [take(x, out, (idx) => idx.reduce((a, v, d) => a + taps[d]![v]!.index[0]! * strides[d]!, 0))];
  }
  const values = readFloats(x);
  const result = new Float64Array(product(out.shape));
  const idx = new Array<number>(rank).fill(0);
  // Sums weight * value over the cartesian product of the dims' taps.
  const sum = (d: number, offset: number, weight: number): number => {
    if (d === rank) return weight * values[offset]!;
    const t = taps[d]![idx[d]!]!;
    let s = 0;
    for (let k = 0; k < t.index.length; k++) s += sum(d + 1, offset + t.index[k]! * strides[d]!, weight * t.weight[k]!);
    return s;
  };
  for (let o = 0; o < result.length; o++) {
    result[o] = sum(0, 0, 1);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < out.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return [floatOutput(ctx, result)];
});

export const resizeKernels: readonly KernelDef[] = [resize];
