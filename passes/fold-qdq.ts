// FoldQdq: explicit quantization (QAT models, ONNX's QDQ format) into int8 layers.
//
//   xq ─► DQ(sx) ─► Conv ◄── DQ(wq, sw[c])        xq ─► QConv[xScale sx, wScale sw, bias,
//                    ▲ bias: f32 or DQ(i32)   ==>             activation, outScale sy] ─► yq
//                    └► [Relu | Clip] ─► Q(sy) ─► yq
//
// and the same for a fully connected MatMul (x [M,K] times w [N,K] transposed) into
// QGemm. Without a Q (of one scale) after it the int8 layer writes f32. Then every
// redundant pair Q(DQ(q)) with the same scale, zero point and dtype becomes q.
// Symmetric int8 only (zero points 0, as TensorRT's explicit quantization): a
// pattern with another zero point or u8 stays as written, in fp32 arithmetic.
// Runs first: FoldConstants would turn DQ(weights) into f32 constants and lose the
// codes. Pattern, check, action: nothing changes unless a match succeeded.
import type { Graph, Node, TypedArray } from '../src/ir/index.js';
import { definePass } from './pass.js';
import { GraphDraft, windowAttrs } from './quantize-graph.js';

interface Index {
  graph: Graph;
  producer: Map<string, Node>;
  readers: Map<string, Node[]>;
  outputs: Set<string>;
}

interface Match {
  root: Node;
  x: string;
  xScale: number;
  w: string;
  wScale: Float32Array;
  bias?: string | Float32Array;
  activation?: Node;
  requant: Node[];
}

function indexOf(graph: Graph): Index {
  const producer = new Map<string, Node>();
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const v of n.inputs) readers.set(v, [...(readers.get(v) ?? []), n]);
  }
  return { graph, producer, readers, outputs: new Set(graph.outputs) };
}

const constData = (g: Graph, v: string | undefined): TypedArray | undefined => (v ? g.constants[v]?.data : undefined);

/** The zero point of a Q/DQ node is absent or all zeros. */
function zeroPoint(g: Graph, n: Node): boolean {
  if (!n.inputs[2]) return true;
  const zp = constData(g, n.inputs[2]);
  return !!zp && Array.from(zp as ArrayLike<number>).every((v) => Number(v) === 0);
}

/** A per-tensor scale's value, or undefined. */
function scalarScale(g: Graph, n: Node): number | undefined {
  const s = constData(g, n.inputs[1]);
  return s instanceof Float32Array && s.length === 1 ? s[0] : undefined;
}

/** The DequantizeLinear (zero point 0) producing v from `dtype` codes, if that is what produces it. */
function dequantized(ix: Index, v: string, dtype: string): Node | undefined {
  const dq = ix.producer.get(v);
  const ok = dq?.op === 'DequantizeLinear' && zeroPoint(ix.graph, dq) && ix.graph.types[dq.inputs[0]!]?.dtype === dtype;
  return ok ? dq : undefined;
}

/** Per-channel scales of DQ(w) along axis 0 (or one scale for all), as f32[cout]. */
function channelScales(g: Graph, dq: Node, cout: number): Float32Array | undefined {
  const s = constData(g, dq.inputs[1]);
  if (!(s instanceof Float32Array)) return undefined;
  if (s.length === 1) return new Float32Array(cout).fill(s[0]!);
  return s.length === cout && (dq.attrs.axis ?? 1) === 0 ? s : undefined;
}

function matchLayer(ix: Index, root: Node): Match | undefined {
  const g = ix.graph;
  const [xIn, wIn, bIn, residual] = root.inputs;
  const xType = g.types[xIn!]!;
  const conv = root.op === 'Conv' && (root.attrs.groups ?? 1) === 1 && xType.shape.length === 4;
  const fc = root.op === 'MatMul' && root.attrs.transB === true && root.attrs.transA !== true && xType.shape.length === 2;
  if ((!conv && !fc) || residual || (root.attrs.activation ?? 'none') !== 'none') return undefined;
  const dx = dequantized(ix, xIn!, 'i8');
  const dw = dequantized(ix, wIn!, 'i8');
  const xScale = dx && scalarScale(g, dx);
  if (!dx || !dw || xScale === undefined || !g.constants[dw.inputs[0]!]) return undefined;
  const cout = g.types[dw.inputs[0]!]!.shape[0] as number;
  const wScale = channelScales(g, dw, cout);
  if (!wScale) return undefined;
  let bias: string | Float32Array | undefined;
  if (bIn) {
    const db = dequantized(ix, bIn, 'i32');
    const codes = db && (constData(g, db.inputs[0]) as Int32Array | undefined);
    const scales = db && channelScales(g, db, cout);
    if (codes && scales) bias = Float32Array.from(codes, (q, c) => q * scales[c]!);
    else if (g.constants[bIn]?.type.dtype === 'f32') bias = bIn;
    else return undefined;
  }
  // An activation read alone after the layer joins its epilogue.
  const y = root.outputs[0]!;
  const next = ix.readers.get(y) ?? [];
  const activation = !ix.outputs.has(y) && next.length === 1 && (next[0]!.op === 'Relu' || next[0]!.op === 'Clip') ? next[0] : undefined;
  const out = activation ? activation.outputs[0]! : y;
  // Requantized in the epilogue when every reader is a Q of one scale to i8, zero point 0.
  const qs = ix.readers.get(out) ?? [];
  const s0 = qs[0] && scalarScale(g, qs[0]);
  const requant = !ix.outputs.has(out) && s0 !== undefined && qs.every((q) => q.op === 'QuantizeLinear' && q.inputs[0] === out
    && scalarScale(g, q) === s0 && zeroPoint(g, q) && g.types[q.outputs[0]!]!.dtype === 'i8' && (qs.length === 1 || !ix.outputs.has(q.outputs[0]!)));
  return { root, x: dx.inputs[0]!, xScale, w: dw.inputs[0]!, wScale, bias, activation, requant: requant ? qs : [] };
}

function epilogueOf(n: Node | undefined): Record<string, unknown> {
  if (!n) return { activation: 'none', alpha: 0, beta: 0 };
  if (n.op === 'Relu') return { activation: 'relu', alpha: 0, beta: 0 };
  return { activation: 'clip', alpha: n.attrs.min ?? -Infinity, beta: n.attrs.max ?? Infinity };
}

export function foldQdq(graph: Graph): Graph {
  const ix = indexOf(graph);
  const matches = graph.nodes.map((n) => matchLayer(ix, n)).filter((m): m is Match => !!m);
  const rename = new Map<string, string>();
  const removed = new Set<Node>();
  const d = new GraphDraft(graph);
  d.nodes.length = 0;
  const byRoot = new Map(matches.map((m) => [m.root, m]));
  for (const m of matches) for (const n of [m.activation, ...m.requant]) if (n) removed.add(n);
  for (const node of graph.nodes) {
    if (removed.has(node)) continue;
    const m = byRoot.get(node);
    if (!m) {
      d.nodes.push(node);
      continue;
    }
    const cout = m.wScale.length;
    const ws = d.constant(`${node.name}.w_scale`, 'f32', [cout], m.wScale);
    const b = m.bias instanceof Float32Array ? d.constant(`${node.name}.bias`, 'f32', [cout], m.bias) : m.bias;
    const outScale = m.requant.length ? scalarScale(graph, m.requant[0]!)! : 0;
    const window = node.op === 'Conv' ? windowAttrs(node.attrs) : {};
    const out = m.requant.length ? m.requant[0]!.outputs[0]! : (m.activation ?? node).outputs[0]!;
    for (const q of m.requant.slice(1)) rename.set(q.outputs[0]!, out);
    const attrs = { ...window, xScale: m.xScale, outScale, ...epilogueOf(m.activation) };
    d.node(node.op === 'Conv' ? 'QConv' : 'QGemm', `${node.name}.int8`, [m.x, m.w, ws, ...(b ? [b] : [])], attrs as never, out);
    const fused = [node, m.activation, ...m.requant].filter((n): n is Node => !!n).map((n) => n.name);
    d.nodes[d.nodes.length - 1] = { ...d.nodes[d.nodes.length - 1]!, fused };
  }
  // Redundant pairs: Q(DQ(q)) of the same scale and zero point 0 is q itself.
  const folded = { ...graph, constants: d.constants, types: d.types } as Graph;
  const producer = new Map(d.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const scaleOf = (n: Node) => Array.from((constData(folded, n.inputs[1]) ?? []) as ArrayLike<number>).join(',');
  for (const q of d.nodes) {
    const dq = q.op === 'QuantizeLinear' ? producer.get(q.inputs[0]!) : undefined;
    if (dq?.op !== 'DequantizeLinear' || graph.outputs.includes(q.outputs[0]!)) continue;
    const same = d.types[dq.inputs[0]!]!.dtype === d.types[q.outputs[0]!]!.dtype && scaleOf(q) === scaleOf(dq) && scaleOf(q) !== ''
      && zeroPoint(folded, q) && zeroPoint(folded, dq) && (q.attrs.axis ?? 1) === (dq.attrs.axis ?? 1);
    if (same) rename.set(q.outputs[0]!, dq.inputs[0]!);
  }
  if (matches.length === 0 && rename.size === 0) return graph;
  const resolve = (v: string): string => (rename.has(v) ? resolve(rename.get(v)!) : v);
  const kept = d.nodes.filter((n) => !(n.op === 'QuantizeLinear' && rename.has(n.outputs[0]!)));
  d.nodes.splice(0, d.nodes.length, ...kept.map((n) => (n.inputs.some((v) => rename.has(v)) ? { ...n, inputs: n.inputs.map(resolve) } : n)));
  for (const v of rename.keys()) delete d.types[v];
  return d.graph();
}

export const FoldQdq = definePass({
  name: 'FoldQdq',
  run: (graph, { logger }) => {
    const out = foldQdq(graph);
    if (out !== graph) logger('verbose', `FoldQdq: ${graph.nodes.filter((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear').length} Q/DQ layers -> ${out.nodes.filter((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear').length}; ${out.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').length} int8 layers`);
    return out;
  },
});
