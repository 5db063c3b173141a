// Resize, as the ONNX reference computes it: every dim is interpolated separately, so
// each output coordinate of a dim is a short list of taps (input index, weight) and an
// output element is the sum over the product of its dims' taps. nearest has one tap of
// weight 1 (and so copies any dtype exactly), linear two, cubic four.
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

function cubicWeights(r: number, a: number): number[] {
  const far = (t: number) => ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; // |t| in [1, 2)
  const near = (t: number) => ((a + 2) * t - (a + 3)) * t * t + 1; // |t| in [0, 1]
  return [far(r + 1), near(r), near(1 - r), far(2 - r)];
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
    const first = attrs.mode === 'linear' ? left : left - 1;
    let weight = attrs.mode === 'linear' ? [1 - ratio, ratio] : cubicWeights(ratio, attrs.cubicCoeffA as number);
    const raw = weight.map((_, k) => first + k);
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
