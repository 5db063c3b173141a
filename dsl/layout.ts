// Fluent methods of the layout family, added to NetworkTensor (and Network, for the
// tensors made from attributes alone) by module augmentation so this family never
// edits tensor.ts: x.slice({...}), x.split({...}) (several tensors), x.gather(i),
// x.pad([...]), x.resize({...}), x.squeeze() / x.unsqueeze([0]) (recorded as Reshape),
// network.range(0, 10, 1), network.constantOfShape([2, 3], { value: 1 }).
import { KilnError, normalizeAxis, type DType, type Dim } from '../src/ir/index.js';
import { Network } from './network.js';
import { NetworkTensor } from './tensor.js';

export interface SliceOptions {
  starts: readonly number[];
  /** Exclusive; past-the-end values are clamped, as in ONNX. */
  ends: readonly number[];
  /** Default: 0..starts.length-1. */
  axes?: readonly number[];
  /** Default: all 1; negative steps walk backwards. */
  steps?: readonly number[];
  name?: string;
}

export interface SplitOptions {
  axis?: number;
  /** Sizes of the parts along the axis; or give `parts` equal ones (the last smaller). */
  split?: readonly number[];
  parts?: number;
  name?: string;
}

export interface PadOptions {
  mode?: 'constant' | 'reflect' | 'edge' | 'wrap';
  value?: number;
  /** Which dims `pads` covers; default all. */
  axes?: readonly number[];
  name?: string;
}

export interface ResizeOptions {
  scales?: readonly number[];
  sizes?: readonly number[];
  axes?: readonly number[];
  mode?: 'nearest' | 'linear' | 'cubic';
  coordinateTransformationMode?: 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';
  nearestMode?: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';
  keepAspectRatioPolicy?: 'stretch' | 'not_larger' | 'not_smaller';
  cubicCoeffA?: number;
  excludeOutside?: boolean;
  /** linear/cubic: widen the filter when downsampling (as PIL and torchvision do). */
  antialias?: boolean;
  name?: string;
}

declare module './tensor.js' {
  interface NetworkTensor {
    slice(o: SliceOptions): NetworkTensor;
    /** The parts of this tensor along an axis, as one layer with several outputs. */
    split(o: SplitOptions): NetworkTensor[];
    /** ONNX Gather: indices (i32 or i64, negative from the end) pick slices along `axis`. */
    gather(indices: NetworkTensor, o?: { axis?: number; name?: string }): NetworkTensor;
    gatherElements(indices: NetworkTensor, o?: { axis?: number; name?: string }): NetworkTensor;
    /** Broadcasts to `shape` (numpy rules, both ways: dims of 1 in `shape` keep this tensor's). */
    expand(shape: readonly number[], name?: string): NetworkTensor;
    tile(repeats: readonly number[], name?: string): NetworkTensor;
    /** pads = [begin..., end...] over `axes` (default all dims); negative pads crop. */
    pad(pads: readonly number[], o?: PadOptions): NetworkTensor;
    resize(o: ResizeOptions): NetworkTensor;
    depthToSpace(blocksize: number, o?: { mode?: 'DCR' | 'CRD'; name?: string }): NetworkTensor;
    spaceToDepth(blocksize: number, name?: string): NetworkTensor;
    /** Keeps the upper triangle of the trailing matrices from diagonal k on. */
    triu(k?: number, name?: string): NetworkTensor;
    /** Keeps the lower triangle of the trailing matrices up to diagonal k. */
    tril(k?: number, name?: string): NetworkTensor;
    /** This tensor's shape as an i64 vector (dims start..end-1). */
    shapeTensor(o?: { start?: number; end?: number; name?: string }): NetworkTensor;
    /** Removes the given dims of size 1 (default: every dim of size 1). */
    squeeze(axes?: readonly number[], name?: string): NetworkTensor;
    /** Inserts dims of size 1 at the given positions of the result. */
    unsqueeze(axes: readonly number[], name?: string): NetworkTensor;
  }
}

declare module './network.js' {
  interface Network {
    /** start, start + delta, ... up to (not including) limit. */
    range(start: number, limit: number, delta: number, o?: { dtype?: 'f32' | 'f16' | 'bf16' | 'i32' | 'i64'; name?: string }): NetworkTensor;
    constantOfShape(shape: readonly number[], o?: { value?: number; dtype?: DType; name?: string }): NetworkTensor;
  }
}

function define(method: string, fn: (this: NetworkTensor, ...args: never[]) => unknown): void {
  Object.defineProperty(NetworkTensor.prototype, method, { value: fn, writable: true, configurable: true });
}

/** Copies the options that are set, so attribute defaults stay the op's. */
function present(o: object, keys: readonly string[]): Record<string, never> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out as Record<string, never>;
}

define('slice', function (this: NetworkTensor, o: SliceOptions) {
  return this.network.addLayer('Slice', o.name, [this], { starts: [...o.starts], ends: [...o.ends], ...present(o, ['axes', 'steps']) });
});

define('split', function (this: NetworkTensor, o: SplitOptions) {
  const attrs = { ...present(o, ['axis', 'split']), ...(o.parts === undefined ? {} : { numOutputs: o.parts }) };
  if (o.split === undefined && o.parts === undefined) {
    const layer = o.name ?? 'split';
    throw new KilnError('KILN_DSL', `layer '${layer}': split needs 'split' (the sizes) or 'parts' (how many equal parts)`, { layer, argument: 'split' });
  }
  return this.network.addMultiOutputLayer('Split', o.name, [this], attrs);
});

define('gather', function (this: NetworkTensor, indices: NetworkTensor, o: { axis?: number; name?: string } = {}) {
  return this.network.addLayer('Gather', o.name, [this, indices], present(o, ['axis']));
});

define('gatherElements', function (this: NetworkTensor, indices: NetworkTensor, o: { axis?: number; name?: string } = {}) {
  return this.network.addLayer('GatherElements', o.name, [this, indices], present(o, ['axis']));
});

define('expand', function (this: NetworkTensor, shape: readonly number[], name?: string) {
  return this.network.addLayer('Expand', name, [this], { shape: [...shape] });
});

define('tile', function (this: NetworkTensor, repeats: readonly number[], name?: string) {
  return this.network.addLayer('Tile', name, [this], { repeats: [...repeats] });
});

define('pad', function (this: NetworkTensor, pads: readonly number[], o: PadOptions = {}) {
  return this.network.addLayer('Pad', o.name, [this], { pads: [...pads], ...present(o, ['mode', 'value', 'axes']) });
});

const RESIZE_KEYS = ['scales', 'sizes', 'axes', 'mode', 'coordinateTransformationMode', 'nearestMode', 'keepAspectRatioPolicy', 'cubicCoeffA', 'excludeOutside', 'antialias'];
define('resize', function (this: NetworkTensor, o: ResizeOptions) {
  return this.network.addLayer('Resize', o.name, [this], present(o, RESIZE_KEYS));
});

define('depthToSpace', function (this: NetworkTensor, blocksize: number, o: { mode?: 'DCR' | 'CRD'; name?: string } = {}) {
  return this.network.addLayer('DepthToSpace', o.name, [this], { blocksize, ...present(o, ['mode']) });
});

define('spaceToDepth', function (this: NetworkTensor, blocksize: number, name?: string) {
  return this.network.addLayer('SpaceToDepth', name, [this], { blocksize });
});

define('triu', function (this: NetworkTensor, k = 0, name?: string) {
  return this.network.addLayer('Trilu', name, [this], { upper: true, k });
});

define('tril', function (this: NetworkTensor, k = 0, name?: string) {
  return this.network.addLayer('Trilu', name, [this], { upper: false, k });
});

define('shapeTensor', function (this: NetworkTensor, o: { start?: number; end?: number; name?: string } = {}) {
  return this.network.addLayer('Shape', o.name, [this], present(o, ['start', 'end']));
});

/** Normalized, checked axes for squeeze/unsqueeze; errors name the layer. */
function axesFor(t: NetworkTensor, axes: readonly number[], rank: number, layer: string, what: string): number[] {
  const out = axes.map((a) => {
    const n = normalizeAxis(a, rank);
    if (n === undefined) throw new KilnError('KILN_DSL', `layer '${layer}': ${what} axis ${a} is out of range for ${t.toString()} (rank ${rank})`, { layer, argument: 'axes', received: String(a) });
    return n;
  });
  if (new Set(out).size !== out.length) throw new KilnError('KILN_DSL', `layer '${layer}': ${what} axes [${axes}] repeat an axis`, { layer, argument: 'axes' });
  return out;
}

define('squeeze', function (this: NetworkTensor, axes?: readonly number[], name?: string) {
  const layer = this.network.layerName(name, 'Squeeze');
  const drop = axes === undefined ? this.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axesFor(this, axes, this.shape.length, layer, 'squeeze');
  for (const a of drop) {
    if (this.shape[a] !== 1) throw new KilnError('KILN_DSL', `layer '${layer}': cannot squeeze dim ${a} of ${this.toString()}: it is not 1`, { layer, argument: 'axes', received: String(this.shape[a]) });
  }
  return this.network.addLayer('Reshape', layer, [this], { shape: this.shape.filter((_, i) => !drop.includes(i)) as Dim[] });
});

define('unsqueeze', function (this: NetworkTensor, axes: readonly number[], name?: string) {
  const layer = this.network.layerName(name, 'Unsqueeze');
  const rank = this.shape.length + axes.length;
  const insert = axesFor(this, axes, rank, layer, 'unsqueeze');
  const rest = [...this.shape];
  const shape: Dim[] = Array.from({ length: rank }, (_, i) => (insert.includes(i) ? 1 : rest.shift()!));
  return this.network.addLayer('Reshape', layer, [this], { shape });
});

Object.defineProperty(Network.prototype, 'range', {
  value(this: Network, start: number, limit: number, delta: number, o: { dtype?: string; name?: string } = {}) {
    return this.addLayer('Range', o.name, [], { start, limit, delta, ...present(o, ['dtype']) });
  },
  writable: true,
  configurable: true,
});

Object.defineProperty(Network.prototype, 'constantOfShape', {
  value(this: Network, shape: readonly number[], o: { value?: number; dtype?: DType; name?: string } = {}) {
    return this.addLayer('ConstantOfShape', o.name, [], { shape: [...shape], ...present(o, ['value', 'dtype']) });
  },
  writable: true,
  configurable: true,
});
