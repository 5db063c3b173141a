// Quantize: with calibration scales per tensor, rewrites each Conv (2-d, groups 1)
// and MatMul (fully connected: x [M,K] times a constant w [N,K] transposed) whose
// weights are constant and whose input has a scale into
//
//   x ─► QuantizeLinear(x_scale) ─► QConv / QGemm [i8 weights, per-channel scales,
//                                                   bias + activation epilogue] ─► y f32
//
// y keeps its name and f32 type, so every other layer (pooling, softmax, ...) stays
// as it was, in fp32. Runs after the fusion passes so the bias and activation are
// already in the layer's epilogue and become the int8 epilogue. Layers the
// precision constraints pin to fp32 (or fp16/bf16, not built yet) stay untouched.
import type { Graph, Node } from '../src/ir/index.js';
import { GraphDraft, quantizeWeights } from './quantize-graph.js';

export type LayerPrecision = 'fp32' | 'fp16' | 'bf16' | 'int8';

/** Parses `conv1:fp32,fc*:int8,*:int8` (first match wins; `*` is a wildcard) into a lookup. */
export function parseLayerPrecisions(spec: string): (layer: string) => LayerPrecision | undefined {
  const rules = spec.split(',').map((s) => s.trim()).filter(Boolean).map((rule) => {
    const at = rule.lastIndexOf(':');
    const precision = rule.slice(at + 1) as LayerPrecision;
    if (at <= 0 || !['fp32', 'fp16', 'bf16', 'int8'].includes(precision)) throw new Error(`layer precision '${rule}' must be 'layer:fp32|fp16|bf16|int8'`);
    const pattern = new RegExp(`^${rule.slice(0, at).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return { pattern, precision };
  });
  return (layer) => rules.find((r) => r.pattern.test(layer))?.precision;
}

export interface QuantizeOptions {
  /** Calibrated scale of each tensor (calibrate() or a cache). */
  scales: ReadonlyMap<string, number>;
  /** The precision a layer is constrained to; undefined: int8 allowed. */
  precisionOf?: (layer: string) => LayerPrecision | undefined;
}

function allowed(node: Node, o: QuantizeOptions): boolean {
  if (!o.precisionOf) return true;
  // A fused layer stays fp32 when any layer it stands for is pinned to another precision.
  return [node.name, ...(node.fused ?? [])].every((n) => (o.precisionOf!(n) ?? 'int8') === 'int8');
}

/** Rewrites what it can; returns the same graph when nothing qualifies. */
export function quantizeGraph(graph: Graph, o: QuantizeOptions): Graph {
  const d = new GraphDraft(graph);
  d.nodes.length = 0;
  let changed = false;
  for (const node of graph.nodes) {
    const x = node.inputs[0]!;
    const w = graph.constants[node.inputs[1] ?? ''];
    const b = node.inputs[2] ? graph.constants[node.inputs[2]] : undefined;
    const xScale = o.scales.get(x);
    const xType = graph.types[x]!;
    const conv = node.op === 'Conv' && (node.attrs.groups ?? 1) === 1 && xType.shape.length === 4;
    const fc = node.op === 'MatMul' && node.attrs.transB === true && node.attrs.transA !== true && xType.shape.length === 2 && w?.type.shape.length === 2;
    // QConv/QGemm have no residual input: a fused residual stays fp32.
    const ok = (conv || fc) && !node.inputs[3] && w?.type.dtype === 'f32' && xType.dtype === 'f32' && xScale !== undefined && xScale > 0 && (!node.inputs[2] || b) && allowed(node, o);
    if (!ok) {
      d.nodes.push(node);
      continue;
    }
    changed = true;
    const cout = w.type.shape[0] as number;
    const { q, scales } = quantizeWeights(w.data as Float32Array, cout);
    const s = Math.fround(xScale);
    const xq = d.node('QuantizeLinear', `${node.name}.quantize`, [x, d.constant(`${node.name}.x_scale`, 'f32', [1], Float32Array.of(s))], {});
    const wq = d.constant(`${node.name}.w_int8`, 'i8', [...(w.type.shape as number[])], q);
    const ws = d.constant(`${node.name}.w_scale`, 'f32', [cout], scales);
    const epilogue = { xScale: s, activation: node.attrs.activation ?? 'none', alpha: node.attrs.alpha ?? 0, beta: node.attrs.beta ?? 0 };
    const window = conv ? Object.fromEntries(['strides', 'padsBegin', 'padsEnd', 'dilations'].filter((k) => node.attrs[k] !== undefined).map((k) => [k, node.attrs[k]!])) : {};
    const inputs = [xq, wq, ws, ...(node.inputs[2] ? [node.inputs[2]] : [])];
    d.node(conv ? 'QConv' : 'QGemm', `${node.name}.int8`, inputs, { ...window, ...epilogue }, node.outputs[0]);
    const added = d.nodes[d.nodes.length - 1]!;
    d.nodes[d.nodes.length - 1] = { ...added, fused: node.fused ?? [node.name] };
  }
  if (!changed) return graph;
  // Unused f32 weights stay out of the plan.
  const read = new Set([...d.nodes.flatMap((n) => n.inputs), ...d.outputs]);
  for (const name of Object.keys(d.constants)) if (!read.has(name)) (delete d.constants[name], delete d.types[name]);
  return d.graph();
}
