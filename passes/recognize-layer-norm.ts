// RecognizeLayerNorm: layer normalization spelled out in primitive ops, as exporters
// before ONNX opset 17 (and TensorFlow graphs) write it, becomes one
// LayerNormalization layer: one kernel and one pass over the row instead of eight.
//
//   m = ReduceMean(x, axes a..r-1)   d = x - m   v = ReduceMean(d², same axes)
//   y = d / Sqrt(v + eps)  [* gamma]  [+ beta]     ->  LayerNormalization(x, gamma, beta, axis a, eps)
//
// d² may be Pow(d, 2) or d * d; eps, gamma and beta are constants (gamma and beta
// broadcast onto the normalized dims x.shape[a:]); without gamma a ones constant
// takes its place. Steps, in the selector:
//  1. The root is the last layer of the chain: a Div, or the Mul by gamma after it, or
//     the Add of beta after that. A root refuses when the chain also matches ending at
//     its sole reader, so the longest chain is the one taken.
//  2. Walk back from the Div to x, checking each layer's op, constants and axes.
//  3. Every value inside the chain is read only inside it; x may be read by anyone.
import { DTYPE_INFO, getOp, hasOp, resolveAttrs, typesEqual, type ConstantTensor, type Graph, type Node } from '../src/ir/index.js';
import { writeFloats } from '../src/interpret/index.js';
import { freshIn, fusedNode, readOnlyBy, rewritePass, scalarOf, soleReader, type GraphIndex, type Pattern } from './rewrite.js';

interface Match {
  root: Node;
  parts: Node[];
  x: string;
  axis: number;
  epsilon: number;
  gamma?: string;
  beta?: string;
}

/** The layer `op` producing `v`, or undefined. */
function producedBy(ix: GraphIndex, v: string, op: string): Node | undefined {
  const n = ix.producer.get(v);
  return n?.op === op ? n : undefined;
}

/** The first reduced axis when `node` is a keepDims mean over the trailing axes a..rank-1 of its input. */
function trailingMean(ix: GraphIndex, node: Node | undefined): number | undefined {
  if (node?.op !== 'Reduce') return undefined;
  const attrs = resolveAttrs(getOp('Reduce'), node);
  const rank = ix.graph.types[node.inputs[0]!]!.shape.length;
  const axes = [...(attrs.axes as number[])].map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  const trailing = axes.length > 0 && axes.every((a, i) => a === rank - axes.length + i);
  return attrs.mode === 'mean' && attrs.keepDims === true && trailing ? axes[0] : undefined;
}

/** The other operand of a binary `node` whose one operand is `v`, when it is a float constant. */
function constantOperand(ix: GraphIndex, node: Node, v: string): string | undefined {
  const other = node.inputs[0] === v ? node.inputs[1]! : node.inputs[1] === v ? node.inputs[0]! : undefined;
  return other !== undefined && other !== v && other in ix.graph.constants && DTYPE_INFO[ix.graph.types[other]!.dtype].float ? other : undefined;
}

/** Whether a constant broadcasts onto the normalized dims (aligned from the right, rank no larger). */
function fitsNormalized(ix: GraphIndex, c: string, x: string, axis: number): boolean {
  const normalized = ix.graph.types[x]!.shape.slice(axis);
  const shape = ix.graph.types[c]!.shape;
  const offset = normalized.length - shape.length;
  return offset >= 0 && shape.every((d, i) => d === 1 || d === normalized[offset + i]);
}

/** Step 2: from `div` back to x; the chain's layers and parameters, or undefined. */
function walkBack(ix: GraphIndex, div: Node): Omit<Match, 'root' | 'gamma' | 'beta'> | undefined {
  const [d, s] = div.inputs as [string, string];
  const sub = producedBy(ix, d, 'Sub');
  const sqrt = producedBy(ix, s, 'Sqrt');
  const addEps = sqrt && producedBy(ix, sqrt.inputs[0]!, 'Add');
  if (!sub || !addEps) return undefined;
  const [x, m] = sub.inputs as [string, string];
  const mean = ix.producer.get(m);
  const axis = trailingMean(ix, mean);
  if (axis === undefined || mean!.inputs[0] !== x) return undefined;
  const varianceValue = addEps.inputs.find((v) => scalarOf(ix.graph, v) === undefined);
  const epsValue = addEps.inputs.find((v) => v !== varianceValue);
  const epsilon = epsValue === undefined ? undefined : scalarOf(ix.graph, epsValue);
  const variance = varianceValue === undefined ? undefined : ix.producer.get(varianceValue);
  if (epsilon === undefined || !(epsilon >= 0) || trailingMean(ix, variance) !== axis) return undefined;
  const square = ix.producer.get(variance!.inputs[0]!);
  const squares = (square?.op === 'Mul' && square.inputs[0] === d && square.inputs[1] === d)
    || (square?.op === 'Pow' && square.inputs[0] === d && scalarOf(ix.graph, square.inputs[1]!) === 2);
  if (!squares) return undefined;
  return { parts: [mean!, sub, square!, variance!, addEps, sqrt!, div], x, axis, epsilon };
}

function chainAt(ix: GraphIndex, root: Node): Match | undefined {
  if (!hasOp('LayerNormalization')) return undefined;
  // Step 1: peel beta and gamma off the root, down to the Div.
  let node: Node | undefined = root;
  let beta: string | undefined;
  let gamma: string | undefined;
  const extra: Node[] = [];
  if (node.op === 'Add') {
    const mul = ix.producer.get(node.inputs[0]!)?.op === 'Mul' ? ix.producer.get(node.inputs[0]!) : ix.producer.get(node.inputs[1]!);
    beta = mul && constantOperand(ix, node, mul.outputs[0]!);
    if (!beta) return undefined;
    extra.push(node);
    node = mul;
  }
  if (node?.op === 'Mul') {
    const div = [ix.producer.get(node.inputs[0]!), ix.producer.get(node.inputs[1]!)].find((n) => n?.op === 'Div');
    gamma = div && constantOperand(ix, node, div.outputs[0]!);
    if (!gamma) return undefined;
    extra.push(node);
    node = div;
  }
  if (node?.op !== 'Div') return undefined;
  const chain = walkBack(ix, node);
  if (!chain) return undefined;
  const { x, axis } = chain;
  if ([gamma, beta].some((c) => c !== undefined && !fitsNormalized(ix, c, x, axis))) return undefined;
  const parts = [...chain.parts, ...extra.reverse()];
  // Step 3.
  const inner = parts.filter((n) => n !== root);
  const ok = typesEqual(ix.graph.types[x]!, ix.graph.types[root.outputs[0]!]!) && inner.every((n) => readOnlyBy(ix, n.outputs[0]!, parts));
  return ok ? { ...chain, root, parts, gamma, beta } : undefined;
}

/** Step 1's refusal: the chain at `root`, unless a longer one ends at its reader or the next. */
function match(ix: GraphIndex, root: Node): Match | undefined {
  const m = chainAt(ix, root);
  const next = m && root.op !== 'Add' ? soleReader(ix, root.outputs[0]!) : undefined;
  const after = next?.op === 'Mul' ? soleReader(ix, next.outputs[0]!) : undefined;
  const longer = [next, after].some((n) => (n?.op === 'Mul' || n?.op === 'Add') && chainAt(ix, n));
  return longer ? undefined : m;
}

/** Without gamma, LayerNormalization still needs a scale: ones over the normalized dims. */
function onesScale(g: Graph, m: Match): { name: string; tensor: ConstantTensor } | undefined {
  if (m.gamma) return undefined;
  const t = g.types[m.x]!;
  const dims = t.shape.slice(m.axis) as number[];
  const n = dims.reduce((a, b) => a * b, 1);
  return { name: freshIn(g, `${m.root.name}.scale`), tensor: { type: { dtype: t.dtype, shape: dims }, data: writeFloats(t.dtype, new Float64Array(n).fill(1)) } };
}

const layerNorm: Pattern<Match> = {
  name: 'RecognizeLayerNorm',
  match: (ix, root) => {
    const m = match(ix, root);
    // The ones scale needs static normalized dims.
    return m && (m.gamma || ix.graph.types[m.x]!.shape.slice(m.axis).every((d) => typeof d === 'number')) ? m : undefined;
  },
  action: (ix, m) => {
    const ones = onesScale(ix.graph, m);
    const inputs = [m.x, m.gamma ?? ones!.name, ...(m.beta ? [m.beta] : [])];
    const ordered = ix.graph.nodes.filter((n) => m.parts.includes(n));
    const node = fusedNode(ordered, { op: 'LayerNormalization', inputs, outputs: m.root.outputs, attrs: { axis: m.axis, epsilon: m.epsilon } }, ix.graph);
    return {
      replace: new Map([[m.root.name, node]]),
      remove: m.parts.filter((n) => n !== m.root).map((n) => n.name),
      constants: ones ? { [ones.name]: ones.tensor } : {},
    };
  },
};

export const RecognizeLayerNorm = rewritePass('RecognizeLayerNorm', [layerNorm]);
