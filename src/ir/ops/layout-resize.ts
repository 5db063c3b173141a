// Resize (ONNX opset 18/19 semantics without tf_crop_and_resize): nearest,
// linear or cubic interpolation of any dims, given per-axis scales or target sizes.
// resizeParams turns the attributes into, per dim, the output extent and the scale the
// coordinate transform uses; the interpreter and the CPU lowering both read it.
import type { Attrs } from '../graph.js';
import { defineOp } from '../op-registry.js';
import { formatType, normalizeAxis, type Dim, type Shape } from '../shape.js';
import { dimFloorDiv, dimMul } from '../dim-expr.js';

/** floor(d * s) for a symbolic d when s is a fraction p/q with q <= 64; undefined otherwise. */
function scaleDim(d: Dim, s: number): Dim | undefined {
  for (let q = 1; q <= 64; q++) {
    const p = Math.round(s * q);
    if (p > 0 && p / q === s) return dimFloorDiv(dimMul(d, p), q);
  }
  return undefined;
}

export const RESIZE_MODES = ['nearest', 'linear', 'cubic'] as const;
export const COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'] as const;
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
export const ASPECT_POLICIES = ['stretch', 'not_larger', 'not_smaller'] as const;

export interface ResizeAxis {
  size: Dim;
  /** The scale of the coordinate transform: given, or out/in when sizes were given. */
  scale: number;
}

/** Per dim of the input: output extent and scale; a message when the attributes do not fit. */
export function resizeParams(shape: Shape, attrs: Attrs): ResizeAxis[] | string {
  const rank = shape.length;
  const scales = attrs.scales as number[];
  const sizes = attrs.sizes as Dim[];
  const given = attrs.axes as number[];
  if ((scales.length > 0) === (sizes.length > 0)) return `exactly one of scales [${scales}] and sizes [${sizes}] must be given`;
  const axes: number[] = [];
  for (const a of given.length ? given : shape.map((_, i) => i)) {
    const n = normalizeAxis(a, rank);
    if (n === undefined) return `axis ${a} is out of range for rank ${rank}`;
    if (axes.includes(n)) return `axis ${a} appears twice in axes [${given}]`;
    axes.push(n);
  }
  const list = scales.length ? scales : sizes;
  if (list.length !== axes.length) return `${scales.length ? 'scales' : 'sizes'} [${list}] must have ${axes.length} entries, one per resized axis`;
  const out: ResizeAxis[] = shape.map((d) => ({ size: d, scale: 1 }));
  const staticDim = (a: number): number | string => {
    const d = shape[a]!;
    return typeof d === 'number' ? d : `axis ${a} has symbolic size '${d}'; keepAspectRatioPolicy '${String(attrs.keepAspectRatioPolicy)}' needs it static`;
  };
  if (scales.length) {
    for (let i = 0; i < axes.length; i++) {
      const s = scales[i]!;
      if (!(s > 0) || !Number.isFinite(s)) return `scales[${i}] must be positive, got ${s}`;
      if (s === 1) continue;
      const d = shape[axes[i]!]!;
      if (typeof d === 'number') out[axes[i]!] = { size: Math.floor(d * s), scale: s };
      else {
        const size = scaleDim(d, s);
        if (size === undefined) return `axis ${axes[i]} has symbolic size '${d}'; scale ${s} is not a fraction p/q with q <= 64, so the output size cannot be written`;
        out[axes[i]!] = { size, scale: s };
      }
    }
    return out;
  }
  if (sizes.some((s) => typeof s === 'number' && s < 0)) return `sizes [${sizes}] has a negative size`;
  const policy = attrs.keepAspectRatioPolicy as string;
  if (policy === 'stretch' && axes.some((a, i) => typeof shape[a] !== 'number' || typeof sizes[i] !== 'number')) {
    // The scale of a symbolic axis or size (size / dim) is known once the shape is bound.
    axes.forEach((a, i) => {
      const [d, s] = [shape[a]!, sizes[i]!];
      out[a] = { size: s, scale: typeof d === 'number' && typeof s === 'number' ? s / d : NaN };
    });
    return out;
  }
  if (sizes.some((s) => typeof s !== 'number')) return `sizes [${sizes}] are symbolic; keepAspectRatioPolicy '${policy}' needs them static`;
  const fixed = sizes as number[];
  const dims: number[] = [];
  for (const a of axes) {
    const d = staticDim(a);
    if (typeof d === 'string') return d;
    if (d === 0) return `axis ${a} is empty and cannot be resized`;
    dims.push(d);
  }
  if (policy === 'stretch') {
    axes.forEach((a, i) => (out[a] = { size: fixed[i]!, scale: fixed[i]! / dims[i]! }));
    return out;
  }
  const ratios = fixed.map((s, i) => s / dims[i]!);
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  // ONNX rounds half up here (not to even).
  axes.forEach((a, i) => (out[a] = { size: Math.floor(scale * dims[i]! + 0.5), scale }));
  return out;
}

defineOp({
  name: 'Resize',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: {
    mode: { kind: 'string', default: 'nearest', oneOf: RESIZE_MODES },
    coordinateTransformationMode: { kind: 'string', default: 'half_pixel', oneOf: COORDINATE_MODES },
    nearestMode: { kind: 'string', default: 'round_prefer_floor', oneOf: NEAREST_MODES },
    scales: { kind: 'floats', default: [] },
    /** Output sizes of the resized axes; symbolic ones (another tensor's dims) with policy 'stretch'. */
    sizes: { kind: 'dims', default: [] },
    axes: { kind: 'ints', default: [] },
    keepAspectRatioPolicy: { kind: 'string', default: 'stretch', oneOf: ASPECT_POLICIES },
    cubicCoeffA: { kind: 'float', default: -0.75 },
    excludeOutside: { kind: 'bool', default: false },
    /** linear/cubic: widen the filter by 1/scale when downsampling (ONNX opset 18). */
    antialias: { kind: 'bool', default: false },
  },
  infer: ({ inputs, attrs, fail }) => {
    const x = inputs[0]!;
    const p = resizeParams(x.shape, attrs);
    if (typeof p === 'string') fail(`${p} (input ${formatType(x)})`, { argument: 'scales', received: formatType(x) });
    if (attrs.antialias && attrs.mode === 'nearest') fail(`antialias applies to linear and cubic modes, not nearest`, { argument: 'antialias' });
    if (attrs.mode !== 'nearest' && x.dtype !== 'f32' && x.dtype !== 'f16' && x.dtype !== 'bf16') {
      fail(`mode '${String(attrs.mode)}' interpolates floats; input 'x' is ${formatType(x)}`, { argument: 'x', expected: 'f32|f16|bf16', received: formatType(x) });
    }
    return [{ dtype: x.dtype, shape: (p as ResizeAxis[]).map((a) => a.size) }];
  },
});
