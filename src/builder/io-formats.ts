// I/O formats (TensorRT's --inputIOFormats / --outputIOFormats, e.g. fp16:hwc): a
// network input or output may be declared in another dtype (fp16, bf16, or int8
// with a scale) and/or channels-last (NHWC) than the network computes in. The
// build converts at the edge: an input goes through a Transpose (in its own dtype,
// moving fewer bytes) and a Cast (or DequantizeLinear for int8) before its first
// reader; an output through a Transpose and a Cast (QuantizeLinear) after its
// producer. A 16-bit Cast next to a layer assigned the same 16 bits cancels
// (cancelCastPairs), so the conversion happens only when needed.
import { KilnError, makeGraph, type DType, type Graph, type Node, type TensorType } from '../ir/index.js';

export type IOPrecision = 'fp32' | 'fp16' | 'bf16' | 'int8';
export type IOLayout = 'nchw' | 'nhwc';

export interface IOFormat {
  dtype: IOPrecision;
  layout: IOLayout;
  /** int8 only: real value = code * scale. */
  scale?: number;
}

const DTYPE: Record<IOPrecision, DType> = { fp32: 'f32', fp16: 'f16', bf16: 'bf16', int8: 'i8' };

/** Checks one declaration (the config calls it when set, so a mistake fails there). */
export function checkIOFormat(name: string, f: IOFormat): void {
  const fail = (m: string, argument: string, expected: string, received: string) => {
    throw new KilnError('KILN_CONFIG', `setIOFormat('${name}'): ${m}`, { argument, expected, received });
  };
  if (!(f.dtype in DTYPE)) fail(`dtype must be fp32, fp16, bf16 or int8, got '${String(f.dtype)}'`, 'dtype', 'fp32 | fp16 | bf16 | int8', String(f.dtype));
  if (f.layout !== 'nchw' && f.layout !== 'nhwc') fail(`layout must be nchw or nhwc, got '${String(f.layout)}'`, 'layout', 'nchw | nhwc', String(f.layout));
  if (f.dtype === 'int8' && !(typeof f.scale === 'number' && f.scale > 0 && Number.isFinite(f.scale))) fail(`int8 needs a positive scale, got ${String(f.scale)}`, 'scale', '> 0', String(f.scale));
  if (f.dtype !== 'int8' && f.scale !== undefined) fail(`a scale applies to int8 only, not ${f.dtype}`, 'scale', 'undefined', String(f.scale));
}

/** Channels-last permutation of a rank (N, C, D1..Dk -> N, D1..Dk, C) and its inverse. */
const toChannelsLast = (rank: number) => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
const toChannelsFirst = (rank: number) => [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];

/** The network with its declared I/O formats; the same graph when none is declared. */
export function applyIOFormats(graph: Graph, formats: ReadonlyMap<string, IOFormat>): Graph {
  if (formats.size === 0) return graph;
  const types: Record<string, TensorType> = { ...graph.types };
  const constants = { ...graph.constants };
  let nodes: Node[] = [...graph.nodes];
  const taken = new Set([...Object.keys(types), ...nodes.map((n) => n.name)]);
  const fresh = (base: string) => {
    let n = base;
    for (let i = 1; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const rename = (from: string, to: string) => {
    nodes = nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((v) => (v === from ? to : v)) } : n));
  };
  const scaleOf = (name: string, f: IOFormat) => {
    const c = fresh(`${name}.io_scale`);
    types[c] = { dtype: 'f32', shape: [1] };
    constants[c] = { type: types[c]!, data: Float32Array.of(f.scale!) };
    return c;
  };
  for (const [name, f] of formats) {
    const isInput = graph.inputs.includes(name), isOutput = graph.outputs.includes(name);
    if (!isInput && !isOutput) {
      throw new KilnError('KILN_CONFIG', `setIOFormat: '${name}' is neither an input nor an output of the network (inputs: ${graph.inputs.join(', ')}; outputs: ${graph.outputs.join(', ')})`, { argument: 'name', received: name });
    }
    const t = graph.types[name]!;
    if (t.dtype !== 'f32') throw new KilnError('KILN_CONFIG', `setIOFormat('${name}'): I/O formats convert f32 tensors; '${name}' is ${t.dtype}`, { argument: 'name', expected: 'f32', received: t.dtype });
    if (f.layout === 'nhwc' && t.shape.length < 3) throw new KilnError('KILN_CONFIG', `setIOFormat('${name}'): nhwc needs a tensor of rank 3 or more, '${name}' has rank ${t.shape.length}`, { argument: 'layout', expected: 'rank >= 3', received: String(t.shape.length) });
    const dtype = DTYPE[f.dtype];
    const rank = t.shape.length;
    const external: TensorType = { dtype, shape: f.layout === 'nhwc' ? toChannelsLast(rank).map((i) => t.shape[i]!) : [...t.shape] };
    if (isInput) {
      // external -> Transpose (its own dtype) -> Cast / Dequantize -> what the readers read.
      let v = name;
      const steps: Node[] = [];
      if (f.layout === 'nhwc') {
        const out = fresh(`${name}.nchw`);
        types[out] = { dtype, shape: [...t.shape] };
        steps.push({ name: out, op: 'Transpose', inputs: [v], outputs: [out], attrs: { perm: toChannelsFirst(rank) } });
        v = out;
      }
      if (dtype !== 'f32') {
        const out = fresh(`${name}.f32`);
        types[out] = { ...t };
        steps.push(dtype === 'i8'
          ? { name: out, op: 'DequantizeLinear', inputs: [v, scaleOf(name, f)], outputs: [out], attrs: {} }
          : { name: out, op: 'Cast', inputs: [v], outputs: [out], attrs: { to: 'f32' } });
        v = out;
      }
      rename(name, v);
      nodes = [...steps, ...nodes];
      types[name] = external;
    }
    if (isOutput && !isInput) {
      // what the producer writes -> Transpose -> Cast / Quantize -> the output's name.
      const inner = fresh(`${name}.f32`);
      types[inner] = { ...t };
      nodes = nodes.map((n) => (n.outputs.includes(name) ? { ...n, outputs: n.outputs.map((o) => (o === name ? inner : o)) } : n));
      rename(name, inner);
      let v = inner;
      if (f.layout === 'nhwc') {
        const out = dtype === 'f32' ? name : fresh(`${name}.nhwc`);
        types[out] = { dtype: 'f32', shape: external.shape };
        nodes.push({ name: fresh(`${name}.to_nhwc`), op: 'Transpose', inputs: [v], outputs: [out], attrs: { perm: toChannelsLast(rank) } });
        v = out;
      }
      if (dtype !== 'f32') {
        nodes.push(dtype === 'i8'
          ? { name: fresh(`${name}.quantize`), op: 'QuantizeLinear', inputs: [v, scaleOf(name, f)], outputs: [name], attrs: {} }
          : { name: fresh(`${name}.to_${dtype}`), op: 'Cast', inputs: [v], outputs: [name], attrs: { to: dtype } });
      }
      types[name] = external;
    }
  }
  return makeGraph({ ...graph, nodes, types, constants });
}

/**
 * Drops a widening Cast feeding a Cast back to the narrower dtype: a 16-bit value
 * widened to f32 is exact, so narrowing it again gives the value itself. Readers of
 * the second cast read the first cast's input; casts left without readers go.
 */
export function cancelCastPairs(graph: Graph): Graph {
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const replace = new Map<string, string>();
  for (const n of graph.nodes) {
    if (n.op !== 'Cast') continue;
    const up = producer.get(n.inputs[0]!);
    const source = up?.op === 'Cast' ? up.inputs[0]! : undefined;
    if (source !== undefined && graph.types[source]!.dtype === graph.types[n.outputs[0]!]!.dtype && graph.types[n.inputs[0]!]!.dtype === 'f32'
      && ['f16', 'bf16'].includes(graph.types[source]!.dtype) && !graph.outputs.includes(n.outputs[0]!)) {
      replace.set(n.outputs[0]!, source);
    }
  }
  if (replace.size === 0) return graph;
  let nodes = graph.nodes.filter((n) => !replace.has(n.outputs[0]!)).map((n) => (n.inputs.some((v) => replace.has(v)) ? { ...n, inputs: n.inputs.map((v) => replace.get(v) ?? v) } : n));
  // A widening cast nobody reads any more goes too.
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs]);
  nodes = nodes.filter((n) => n.op !== 'Cast' || n.outputs.some((o) => read.has(o)));
  const live = new Set([...graph.inputs, ...nodes.flatMap((n) => [...n.inputs, ...n.outputs]), ...graph.outputs]);
  const types = Object.fromEntries(Object.entries(graph.types).filter(([k]) => live.has(k)));
  return makeGraph({ ...graph, nodes, types });
}
