// Memory planning: an analysis, not a rewrite. Gives every activation (graph inputs,
// graph outputs, every layer output; never constants, which live in the weights) an
// offset in one arena so that values alive at the same time never share bytes.
//
// Design note, in steps:
//  1. Liveness. Step i is layer i; inputs are defined at step -1; a value is live
//     from its defining step to its last reader, graph outputs to step N (the end).
//  2. In-place (opt-in). A layer's output may take over the buffer of an input that
//     dies at that very layer, where that is safe without a copy:
//       - Reshape: the output is the same bytes (a pure alias);
//       - pointwise layers (activation ops, Scale, and binary ops for an input with
//         exactly the output's type) read element j before writing element j;
//       - the elementwise group (math, compare, Where, PRelu, Mod, Cast, Pointwise)
//         for an input of the output's shape and byte size, and softmax and
//         normalization layers for x: their CPU kernels declare in-place support
//         (KernelDef::inPlace in native/cpu/kernel-*.cc), which the loader checks;
//         Hardmax's kernel does not, so it never runs in place;
//     and only when neither value is a graph input or output (the caller owns those
//     buffers) and both have the same size. Such pairs join one buffer.
//  2b. Concat in place (opt-in, TensorRT's concat elimination). An input of a Concat
//     whose bytes are one contiguous slice of the output (every dim before the axis is
//     1: a batch-1 NCHW channel concat, or axis 0) is placed at that slice, so its
//     producer writes straight into the concatenated tensor and the concat kernel
//     skips it: the input must be a layer output read by the Concat alone, away from
//     the interface, and its slice must start on the alignment. Its buffer becomes a
//     child of the output's at that byte offset (nested concats nest), sharing the
//     parent's place and widening its live interval back to the child's producer.
//     A batch > 1 channel concat (every dim between 0 and the axis is 1) interleaves
//     the slices per image: an input there becomes a strided view, image i of it at
//     image i of the output (imageStride: the output's bytes per image), when its
//     producer can write one (options.stridedOutput: in kiln the conv kernels) and
//     its buffer holds it alone (no in-place alias, no concat inside it); its slice
//     need not start on the alignment (image 1 on would not anyway).
//  3. Assignment, greedy (TFLite's GreedyBySize and relatives): buffers taken in some
//     order, each put at the lowest aligned offset that does not overlap a buffer
//     already placed whose live interval overlaps its own. No single order is best
//     on every graph, so a few are tried and the smallest arena kept.
import { DTYPE_INFO, consumers, getOp, normalizeAxis, producers, typesEqual, type Graph, type Node, type TensorType } from '../src/ir/index.js';

export interface LiveInterval {
  first: number;
  last: number;
}

export interface MemoryPlan {
  offsets: Map<string, number>;
  arenaBytes: number;
  /** Max over steps of the bytes live at once: no plan (with these aliases) can be smaller. */
  lowerBound: number;
  /** Every value in its own aligned slot: what a planner without reuse needs. */
  noReuseBytes: number;
  intervals: Map<string, LiveInterval>;
  sizes: Map<string, number>;
  /** In-place pairs: value -> the dying input whose buffer it reuses. */
  aliasOf: Map<string, string>;
  /** Concat inputs placed in their output (step 2b): value -> the Concat's output and the byte offset in it;
   *  for a strided view (batch > 1), the offset in the output's first image and the output's bytes per image. */
  sliceOf: Map<string, { of: string; offset: number; imageStride?: number }>;
}

export interface PlanOptions {
  /** Offset alignment in bytes (default 64, a cache line and an AVX-512 vector). */
  alignment?: number;
  sizeOf: (value: string, type: TensorType) => number;
  inPlace?: boolean;
  /** Concat inputs written straight into their slice of the output (step 2b); default: as inPlace. */
  concatInPlace?: boolean;
  /** Whether a layer can write its output as a strided view (each image at a larger stride), so
   *  that a batch > 1 concat input it produces can live in its slice; default: no layer can. */
  stridedOutput?: (node: Node) => boolean;
}

/** One buffer to place: an interval of steps and a size. */
export interface Buffer {
  id: string;
  first: number;
  last: number;
  size: number;
}

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

const overlaps = (a: LiveInterval, b: LiveInterval) => a.first <= b.last && b.first <= a.last;

/** Greedy placement in one order: each buffer at the lowest offset free over its whole interval. */
function placeInOrder(order: readonly Buffer[], alignment: number): { offsets: Map<string, number>; end: number } {
  const placed: (Buffer & { offset: number })[] = [];
  const offsets = new Map<string, number>();
  let end = 0;
  for (const buf of order) {
    const blocking = placed.filter((p) => p.size > 0 && overlaps(p, buf)).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of blocking) {
      if (offset + buf.size <= p.offset) break;
      offset = Math.max(offset, alignUp(p.offset + p.size, alignment));
    }
    placed.push({ ...buf, offset });
    offsets.set(buf.id, offset);
    end = Math.max(end, offset + buf.size);
  }
  return { offsets, end };
}

const byId = (a: Buffer, b: Buffer) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The orders tried: largest first (TFLite's GreedyBySize), then by start, by lifetime, and by size x lifetime. */
const ORDERS: readonly ((a: Buffer, b: Buffer) => number)[] = [
  (a, b) => b.size - a.size || a.first - b.first || byId(a, b),
  (a, b) => a.first - b.first || b.size - a.size || byId(a, b),
  (a, b) => b.last - b.first - (a.last - a.first) || b.size - a.size || byId(a, b),
  (a, b) => b.size * (b.last - b.first + 1) - a.size * (a.last - a.first + 1) || byId(a, b),
];

/** Step 3: offsets for buffers (ids unique): the smallest arena of a few greedy orders (the first wins ties). */
export function assignOffsets(buffers: readonly Buffer[], alignment: number): Map<string, number> {
  let best: { offsets: Map<string, number>; end: number } | undefined;
  for (const order of ORDERS) {
    const r = placeInOrder([...buffers].sort(order), alignment);
    if (!best || r.end < best.end) best = r;
  }
  return best!.offsets;
}

/** Step 1: live intervals of every planned value. */
export function liveIntervals(graph: Graph): Map<string, LiveInterval> {
  const end = graph.nodes.length;
  const intervals = new Map<string, LiveInterval>();
  for (const i of graph.inputs) intervals.set(i, { first: -1, last: -1 });
  graph.nodes.forEach((node, step) => {
    for (const v of node.inputs) {
      const iv = intervals.get(v);
      if (iv) iv.last = Math.max(iv.last, step);
    }
    for (const o of node.outputs) intervals.set(o, { first: step, last: step });
  });
  for (const o of graph.outputs) {
    const iv = intervals.get(o);
    if (iv) iv.last = end;
  }
  return intervals;
}

const shapesEqual = (a: TensorType['shape'], b: TensorType['shape']) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Step 2: the input a layer's output may overwrite, if any. */
function inPlaceSource(graph: Graph, step: number, intervals: Map<string, LiveInterval>, sizes: Map<string, number>, io: Set<string>): string | undefined {
  const node = graph.nodes[step]!;
  const out = node.outputs[0]!;
  if (node.outputs.length !== 1 || io.has(out)) return undefined;
  const group = getOp(node.op).group;
  const sameType = (v: string) => typesEqual(graph.types[v]!, graph.types[out]!);
  let candidates: string[] = [];
  if (node.op === 'Reshape') candidates = [node.inputs[0]!];
  else if (group === 'activation' || group === 'scale') candidates = [node.inputs[0]!].filter(sameType);
  else if (group === 'binary') candidates = node.inputs.filter(sameType);
  // Equal shapes and (checked below) equal byte sizes: one element width, so element j
  // of the input sits where element j of the output goes, whatever the dtypes.
  else if (group === 'elementwise') candidates = node.inputs.filter((v) => shapesEqual(graph.types[v]!.shape, graph.types[out]!.shape));
  else if ((group === 'softmax' && node.op !== 'Hardmax') || group === 'normalization') candidates = [node.inputs[0]!].filter(sameType);
  return candidates.find((v) => intervals.has(v) && !io.has(v) && intervals.get(v)!.last === step && sizes.get(v) === sizes.get(out));
}

/** Step 2b: the inputs of a Concat that may live in their slice of its output, with byte offsets
 *  (in the first image, and the output's bytes per image, for strided views). */
function concatSlices(graph: Graph, node: Node, readers: Map<string, Node[]>, sizes: Map<string, number>, io: Set<string>, options: PlanOptions & { alignment: number }, viewable: (v: string) => boolean): { value: string; offset: number; imageStride?: number }[] {
  const y = node.outputs[0]!;
  const shape = graph.types[y]!.shape;
  const axis = normalizeAxis(node.attrs.axis as number, shape.length);
  if (node.op !== 'Concat' || io.has(y) || axis === undefined || !sizes.has(y)) return [];
  // Contiguous slices (every dim before the axis 1), or one slice per image (dims 1..axis-1 are 1).
  const contiguous = shape.slice(0, axis).every((d) => d === 1);
  const images = shape[0] as number;
  if (!contiguous && !(axis >= 1 && options.stridedOutput && shape.slice(1, axis).every((d) => d === 1))) return [];
  const per = contiguous ? 1 : images;
  const slices: { value: string; offset: number; imageStride?: number }[] = [];
  let offset = 0;
  for (const v of node.inputs) {
    const own = readers.get(v) ?? [];
    const once = node.inputs.filter((i) => i === v).length === 1;
    // A view's later images start off the alignment anyway: its kernels store unaligned.
    if (sizes.has(v) && !io.has(v) && own.length === 1 && once && (contiguous ? offset % options.alignment === 0 : viewable(v))) {
      slices.push(contiguous ? { value: v, offset } : { value: v, offset, imageStride: sizes.get(y)! / per });
    }
    // Constants are not planned; their bytes still take their place in the output.
    offset += (sizes.get(v) ?? options.sizeOf(v, graph.types[v]!)) / per;
  }
  // Sizes must tile the output exactly, or sizeOf is not a plain byte count of these types.
  return offset * per === sizes.get(y) && Number.isInteger(offset) ? slices : [];
}

export function planMemory(graph: Graph, options: PlanOptions): MemoryPlan {
  const alignment = options.alignment ?? 64;
  if (!Number.isInteger(alignment) || alignment < 1) throw new RangeError(`planMemory: alignment must be a positive integer, got ${alignment}`);
  const intervals = liveIntervals(graph);
  const sizes = new Map<string, number>();
  for (const v of intervals.keys()) {
    const size = options.sizeOf(v, graph.types[v]!);
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`planMemory: sizeOf('${v}') must be a non-negative integer byte count, got ${size}`);
    sizes.set(v, size);
  }

  // Step 2: union each in-place output with the buffer of its source.
  const bufferOf = new Map<string, string>([...intervals.keys()].map((v) => [v, v]));
  const aliasOf = new Map<string, string>();
  if (options.inPlace) {
    const io = new Set([...graph.inputs, ...graph.outputs]);
    graph.nodes.forEach((node, step) => {
      const src = inPlaceSource(graph, step, intervals, sizes, io);
      if (src === undefined) return;
      aliasOf.set(node.outputs[0]!, src);
      bufferOf.set(node.outputs[0]!, bufferOf.get(src)!);
    });
  }
  // Step 2b: concat inputs become children of the output's buffer at their slice.
  const sliceOf = new Map<string, { of: string; offset: number; imageStride?: number }>();
  const parentOf = new Map<string, { parent: string; offset: number }>();
  if (options.concatInPlace ?? options.inPlace) {
    const readers = consumers(graph);
    const io = new Set([...graph.inputs, ...graph.outputs]);
    // A strided view's buffer holds that value alone: no in-place alias shares it, no slice lies in it.
    const members = new Map<string, number>();
    for (const b of bufferOf.values()) members.set(b, (members.get(b) ?? 0) + 1);
    const alone = (v: string) => bufferOf.get(v) === v && members.get(v) === 1 && ![...parentOf.values()].some((p) => p.parent === v);
    // ... and its producer writes it alone and can write a view.
    const made = producers(graph);
    const viewable = (v: string) => {
      const producer = made.get(v);
      return producer !== undefined && producer.outputs.length === 1 && alone(v) && options.stridedOutput!(producer);
    };
    for (const node of graph.nodes) {
      for (const { value, offset, imageStride } of concatSlices(graph, node, readers, sizes, io, { ...options, alignment }, viewable)) {
        const child = bufferOf.get(value)!, parent = bufferOf.get(node.outputs[0]!)!;
        if (child === parent || parentOf.has(child)) continue;
        sliceOf.set(value, imageStride === undefined ? { of: node.outputs[0]!, offset } : { of: node.outputs[0]!, offset, imageStride });
        parentOf.set(child, { parent, offset });
      }
    }
  }
  /** The buffer placed for `id` (its outermost parent) and `id`'s byte offset inside it. */
  const rootOf = (id: string): { root: string; offset: number } => {
    const p = parentOf.get(id);
    if (!p) return { root: id, offset: 0 };
    const up = rootOf(p.parent);
    return { root: up.root, offset: up.offset + p.offset };
  };

  const buffers = new Map<string, Buffer>();
  for (const [v, iv] of intervals) {
    const id = bufferOf.get(v)!;
    const b = buffers.get(id);
    // Members of a buffer touch end to start, so the union of their intervals has no gaps.
    if (b) Object.assign(b, { first: Math.min(b.first, iv.first), last: Math.max(b.last, iv.last), size: Math.max(b.size, sizes.get(v)!) });
    else buffers.set(id, { id, first: iv.first, last: iv.last, size: sizes.get(v)! });
  }

  // Children live inside their root: its interval spans theirs (a child is written before the root's Concat runs).
  for (const [id, b] of buffers) {
    const { root } = rootOf(id);
    if (root === id) continue;
    const r = buffers.get(root)!;
    Object.assign(r, { first: Math.min(r.first, b.first), last: Math.max(r.last, b.last) });
  }
  const roots = [...buffers.values()].filter((b) => !parentOf.has(b.id));
  const placed = assignOffsets(roots, alignment);
  const offsets = new Map([...intervals.keys()].map((v) => {
    const { root, offset } = rootOf(bufferOf.get(v)!);
    return [v, placed.get(root)! + offset];
  }));
  let end = 0;
  for (const b of roots) end = Math.max(end, placed.get(b.id)! + b.size);
  return {
    offsets,
    arenaBytes: alignUp(end, alignment),
    lowerBound: peakLiveBytes(roots),
    noReuseBytes: [...sizes.values()].reduce((a, s) => a + alignUp(s, alignment), 0),
    intervals,
    sizes,
    aliasOf,
    sliceOf,
  };
}

/** Max over steps of the total size of the buffers live at that step. */
export function peakLiveBytes(buffers: readonly Buffer[]): number {
  const events = new Map<number, number>();
  for (const b of buffers) {
    events.set(b.first, (events.get(b.first) ?? 0) + b.size);
    events.set(b.last + 1, (events.get(b.last + 1) ?? 0) - b.size);
  }
  let live = 0;
  let peak = 0;
  for (const t of [...events.keys()].sort((a, b) => a - b)) {
    live += events.get(t)!;
    peak = Math.max(peak, live);
  }
  return peak;
}

/** A sizeOf for static shapes; symbolic dims must be resolved (specialized) first. */
export function staticSizeOf(value: string, type: TensorType): number {
  let n = 1;
  for (const d of type.shape) {
    if (typeof d !== 'number') throw new RangeError(`planMemory: value '${value}' has symbolic shape [${type.shape.join(',')}]; specialize shapes before planning`);
    n *= d;
  }
  return n * DTYPE_INFO[type.dtype].bytes;
}
