// Quantize: with calibration scales per tensor, rewrites each Conv (2-d, groups 1)
// and MatMul (fully connected: x [M,K] times a constant w [N,K] transposed) whose
// weights are constant and whose input has a scale into
//
//   x ─► QuantizeLinear(x_scale) ─► QConv / QGemm [i8 weights, per-channel scales,
//                                                   bias + activation epilogue] ─► y
//
// and the layers of AssignLayout's NHWC regions likewise: a MatMul over NHWC pixels
// (x [N,H,W,K], a 1x1 conv) into QMatMul, its residual kept in the epilogue (i8 when
// its producer writes i8), and a depthwise ConvNhwc into QConvNhwc. An NHWC value
// (`v.nhwc`) takes the scale calibrated for v: a per-tensor scale ignores layout.
// y keeps its name; it stays f32 unless every reader is another int8 layer, which
// then reads it as i8 straight from the producer's requantizing epilogue. Every
// other layer (pooling, softmax, ...) stays as it was, in fp32. Runs after the
// fusion passes so the bias and activation are already in the layer's epilogue and
// become the int8 epilogue. Layers the precision constraints pin to fp32 (or
// fp16/bf16) stay untouched.
import { ACTIVATIONS, type Attrs, type Graph, type Node } from '../src/ir/index.js';
import { FusePointwise } from './fuse-pointwise.js';
import { GraphDraft, quantizeWeights, windowAttrs } from './quantize-graph.js';

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
  /**
   * Largest weight code, default 63 (7-bit weights, ONNX Runtime's reduce_range):
   * AVX2's u8 x s8 product of a pair of weights saturates i16 beyond |w0| + |w1| =
   * 128, and 8-bit weights then take two passes (native/cpu/int8-gemm.h). 127 for
   * VNNI targets, which lose nothing to it.
   */
  weightMax?: number;
  /**
   * Values written as i8 even where int8Writers would not (a graph output): the
   * builder times one layer alone as it would run in the network, writing i8 for
   * its int8 readers.
   */
  i8Outputs?: ReadonlySet<string>;
}

function allowed(node: Node, o: QuantizeOptions): boolean {
  if (!o.precisionOf) return true;
  // A fused layer stays fp32 when any layer it stands for is pinned to another precision.
  return [node.name, ...(node.fused ?? [])].every((n) => (o.precisionOf!(n) ?? 'int8') === 'int8');
}

/** What a layer becomes in int8, by its op and shapes alone. */
type Int8Kind = 'QConv' | 'QGemm' | 'QMatMul' | 'QConvNhwc';

/** Every op the Quantize pass makes that computes in int8. */
export const INT8_LAYER_OPS: ReadonlySet<string> = new Set<Int8Kind>(['QConv', 'QGemm', 'QMatMul', 'QConvNhwc']);

function int8Kind(graph: Graph, node: Node): Int8Kind | undefined {
  const xType = graph.types[node.inputs[0]!]!;
  const w = graph.constants[node.inputs[1] ?? ''];
  const rank = xType.shape.length;
  if (node.op === 'Conv' && (node.attrs.groups ?? 1) === 1 && rank === 4) return 'QConv';
  if (node.op === 'MatMul' && node.attrs.transB === true && node.attrs.transA !== true && w?.type.shape.length === 2) return rank === 2 ? 'QGemm' : rank > 2 ? 'QMatMul' : undefined;
  const c = xType.shape[3];
  const depthwise = rank === 4 && w?.type.shape.length === 4 && w.type.shape[0] === c && w.type.shape[1] === 1 && node.attrs.groups === c && (c as number) > 1;
  if (node.op === 'ConvNhwc' && depthwise && !node.inputs[3]) return 'QConvNhwc';
  return undefined;
}

const NHWC_SUFFIX = /\.nhwc(_\d+)?$/;

/** The calibrated scale of value v: its own, or for AssignLayout's NHWC copy `x.nhwc` that of x. */
export function scaleOf(scales: ReadonlyMap<string, number>, v: string): number | undefined {
  return scales.get(v) ?? (NHWC_SUFFIX.test(v) ? scales.get(v.replace(NHWC_SUFFIX, '')) : undefined);
}

/** Whether `node` becomes an int8 layer: a kind above with constant f32 weights, its input calibrated. */
function quantizable(graph: Graph, node: Node, o: QuantizeOptions): boolean {
  const kind = int8Kind(graph, node);
  if (!kind) return false;
  const x = node.inputs[0]!;
  const w = graph.constants[node.inputs[1] ?? ''];
  const xScale = scaleOf(o.scales, x);
  // QMatMul adds the residual in its epilogue; QConv / QGemm split it off (activationOp).
  const residualOk = !node.inputs[3] || kind === 'QMatMul' || !!activationOp(node);
  return w?.type.dtype === 'f32' && graph.types[x]!.dtype === 'f32' && xScale !== undefined && xScale > 0
    && (!node.inputs[2] || !!graph.constants[node.inputs[2]]) && residualOk && allowed(node, o);
}

/** The activation layer that follows a residual Add: the int8 layers have no residual input, so y = act(q(x) + b + r) becomes QConv, Add, act. */
function activationOp(node: Node): { op: string; attrs: Attrs } | undefined {
  const act = (node.attrs.activation ?? 'none') as string;
  if (act === 'none') return { op: '', attrs: {} };
  const op = Object.keys(ACTIVATIONS).find((k) => ACTIVATIONS[k]!.epilogue === act);
  if (!op) return undefined;
  const [alpha, beta] = [node.attrs.alpha as number, node.attrs.beta as number];
  return { op, attrs: op === 'LeakyRelu' ? { alpha } : op === 'Clip' ? { min: alpha, max: beta } : {} };
}

/** The layers quantizeGraph turns into QConv / QGemm (in graph order). */
export function quantizableLayers(graph: Graph, o: QuantizeOptions): Node[] {
  return graph.nodes.filter((n) => quantizable(graph, n, o));
}

/**
 * A layer that i8 codes pass through with their scale: a Transpose moves them, and a 2-D
 * max pool picks among them (max commutes with a positive per-tensor scale).
 */
export const isPassThrough = (n: Node) => (n.op === 'Transpose' && n.inputs.length === 1) || isMaxPool(n);
/** A 2-D max pool: its output, smaller than its input, may be dequantized for fp32 readers. */
export const isMaxPool = (n: Node) => n.op === 'Pool' && n.attrs.mode === 'max' && (n.attrs.kernel as number[]).length === 2;

/** The layer whose output reaches value v, past the pass-through layers (reformats) between them. */
export function int8Source(producer: ReadonlyMap<string, Node>, v: string): Node | undefined {
  const p = producer.get(v);
  return p && isPassThrough(p) ? int8Source(producer, p.inputs[0]!) : p;
}

/**
 * Of the `chosen` layers, those that write i8 (requantized): every reader is a chosen
 * layer reading it as x, or a chosen QMatMul reading it as its residual only, and it
 * is no graph output. A layer with a residual writes i8 only as a QMatMul (the others
 * add theirs in f32 after the layer).
 */
export function int8Writers(graph: Graph, chosen: ReadonlySet<Node>, i8Outputs?: ReadonlySet<string>): Set<Node> {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const v of n.inputs) readers.set(v, [...(readers.get(v) ?? []), n]);
  const outputs = new Set(graph.outputs);
  const readersOf = (v: string) => readers.get(v) ?? [];
  // v can be i8: it is read, is no graph output, and every reader (`all` of them, or
  // any when the fp32 ones may read a DequantizeLinear of it) takes it as i8.
  const i8Value = (v: string, all: boolean) => !outputs.has(v) && readersOf(v).length > 0 && (!all || readersOf(v).every((r) => readsAsInt8(r, v)));
  // A Transpose passes i8 on unchanged (a per-tensor scale ignores layout): AssignLayout's
  // reformat between an NCHW int8 layer (MobileNet's stem) and its NHWC readers. A max pool
  // takes the max of codes; its fp32 readers read a DequantizeLinear of its smaller output
  // (ResNet's stem conv writes i8 into its pool).
  function readsAsInt8(n: Node, y: string): boolean {
    if (isPassThrough(n)) return i8Value(n.outputs[0]!, !isMaxPool(n));
    return chosen.has(n) && ((n.inputs[0] === y && !n.inputs.slice(1).includes(y))
      || (int8Kind(graph, n) === 'QMatMul' && n.inputs[3] === y && !n.inputs.slice(0, 3).includes(y)));
  }
  return new Set([...chosen].filter((node) => {
    const y = node.outputs[0]!;
    const residualOk = !node.inputs[3] || int8Kind(graph, node) === 'QMatMul';
    return residualOk && (i8Outputs?.has(y) || i8Value(y, true));
  }));
}

/**
 * Rewrites what it can; returns the same graph when nothing qualifies. Steps:
 * 1. pick the layers to quantize;
 * 2. a quantized layer whose output is read only by quantized layers (as their x,
 *    or as a QMatMul's residual) writes i8 itself, requantized by that tensor's scale: no f32 tensor and no
 *    QuantizeLinear between consecutive int8 layers;
 * 3. every other f32 input of a quantized layer gets one QuantizeLinear, shared by
 *    all its quantized readers;
 * 4. a fused residual of a QConv / QGemm splits into the layer, Add and the
 *    activation, which FusePointwise joins again into one Pointwise layer; QMatMul
 *    keeps its residual (i8 where it arrives as i8).
 */
export function quantizeGraph(graph: Graph, o: QuantizeOptions): Graph {
  const chosen = new Set(quantizableLayers(graph, o));
  if (chosen.size === 0) return graph;
  const writers = int8Writers(graph, chosen, o.i8Outputs);
  const d = new GraphDraft(graph);
  d.nodes.length = 0;
  const quantized = new Map<string, string>();
  // The scale of each value carried as i8 codes: a requantizing layer's outScale, a
  // QuantizeLinear's, and through pass-through layers unchanged (a max pool's output
  // keeps its input's scale, not the one calibrated for it).
  const codeScale = new Map<string, number>();
  const dequantized = new Map<string, string>();
  const carriedAsI8 = (v: string) => v !== '' && graph.types[v]?.dtype === 'f32' && d.types[v]?.dtype === 'i8';
  const dequantize = (v: string): string => {
    let f = dequantized.get(v);
    if (!f) {
      f = d.node('DequantizeLinear', `${v}.dequantize`, [v, d.constant(`${v}.dq_scale`, 'f32', [1], Float32Array.of(codeScale.get(v)!))], {});
      dequantized.set(v, f);
    }
    return f;
  };
  const weightMax = o.weightMax ?? 63;
  for (const node of graph.nodes) {
    if (!chosen.has(node)) {
      // A pass-through layer of an i8 value (its producer writes i8 for int8 readers) moves i8.
      if (isPassThrough(node) && carriedAsI8(node.inputs[0]!)) {
        d.nodes.push(node);
        d.types[node.outputs[0]!] = { ...d.types[node.outputs[0]!]!, dtype: 'i8' };
        codeScale.set(node.outputs[0]!, codeScale.get(node.inputs[0]!)!);
        continue;
      }
      // Other fp32 layers read a DequantizeLinear of what now comes as i8.
      const inputs = node.inputs.map((v) => (carriedAsI8(v) ? dequantize(v) : v));
      d.nodes.push(inputs.some((v, i) => v !== node.inputs[i]) ? { ...node, inputs } : node);
      continue;
    }
    const kind = int8Kind(graph, node)!;
    const x = node.inputs[0]!;
    const w = graph.constants[node.inputs[1]!]!;
    const cout = w.type.shape[0] as number;
    // Depthwise sums go through vpmaddwd (no u8 x s8 pair limit): full 8-bit weights.
    const { q, scales } = quantizeWeights(w.data as Float32Array, cout, kind === 'QConvNhwc' ? 127 : weightMax);
    let xq = carriedAsI8(x) ? x : quantized.get(x);
    if (!xq) {
      const xs = Math.fround(scaleOf(o.scales, x)!);
      xq = d.node('QuantizeLinear', `${node.name}.quantize`, [x, d.constant(`${node.name}.x_scale`, 'f32', [1], Float32Array.of(xs))], {});
      quantized.set(x, xq);
      codeScale.set(xq, xs);
    }
    const s = codeScale.get(xq)!;
    const wq = d.constant(`${node.name}.w_int8`, 'i8', [...(w.type.shape as number[])], q);
    const ws = d.constant(`${node.name}.w_scale`, 'f32', [cout], scales);
    const outScale = writers.has(node) ? Math.fround(scaleOf(o.scales, node.outputs[0]!) ?? 0) : 0;
    if (outScale > 0) codeScale.set(node.outputs[0]!, outScale);
    const fused = node.fused ?? [node.name];
    const epilogue = { activation: node.attrs.activation ?? 'none', alpha: node.attrs.alpha ?? 0, beta: node.attrs.beta ?? 0 };
    if (kind === 'QMatMul' || kind === 'QConvNhwc') {
      const r = node.inputs[3];
      // A residual that arrives as i8 (its producer requantizes), or whose quantized copy
      // exists already, is read as i8 with its scale: a quarter of the bytes.
      const rq = r && (carriedAsI8(r) ? r : quantized.get(r));
      const residualScale = rq ? codeScale.get(rq)! : 0;
      const inputs = [xq, wq, ws, node.inputs[2] ?? '', rq || r || ''];
      while (inputs[inputs.length - 1] === '') inputs.pop();
      const attrs = kind === 'QMatMul' ? { xScale: s, outScale, residualScale, ...epilogue } : { ...windowAttrs(node.attrs), xScale: s, outScale, ...epilogue };
      d.node(kind, `${node.name}.int8`, inputs, attrs, node.outputs[0]);
      d.nodes[d.nodes.length - 1] = { ...d.nodes[d.nodes.length - 1]!, fused };
      continue;
    }
    const residual = node.inputs[3];
    const act = residual ? { activation: 'none', alpha: 0, beta: 0 } : epilogue;
    const conv = kind === 'QConv';
    const window = conv ? windowAttrs(node.attrs) : {};
    const inputs = [xq, wq, ws, ...(node.inputs[2] ? [node.inputs[2]] : [])];
    const y = d.node(kind, `${node.name}.int8`, inputs, { ...window, xScale: s, outScale, ...act }, residual ? undefined : node.outputs[0]);
    d.nodes[d.nodes.length - 1] = { ...d.nodes[d.nodes.length - 1]!, fused };
    if (residual) {
      const after = activationOp(node)!;
      const sum = d.node('Add', `${node.name}.residual`, [y, carriedAsI8(residual) ? dequantize(residual) : residual], {}, after.op ? undefined : node.outputs[0]);
      if (after.op) d.node(after.op, `${node.name}.activation`, [sum], after.attrs, node.outputs[0]);
    }
  }
  // Unused f32 weights stay out of the plan.
  const read = new Set([...d.nodes.flatMap((n) => n.inputs), ...d.outputs]);
  for (const name of Object.keys(d.constants)) if (!read.has(name)) (delete d.constants[name], delete d.types[name]);
  // A split residual's Add and activation become one Pointwise layer: one pass over the f32 tensors, not two.
  const out = d.graph();
  return [...chosen].some((n) => n.inputs[3] && int8Kind(graph, n) !== 'QMatMul') ? FusePointwise.run(out, { logger: () => {}, options: {} }) : out;
}
