// Per-channel affine maps y = x * s[c] + t[c] hidden in layers: a Scale without
// power, a Mul/Div/Add/Sub by a constant that varies along one axis at most, and
// (when the registry has it) BatchNormalization in inference form. FoldScaleIntoConv
// reads layers through this one lens, so every such layer folds the same way.
import { getOp, hasOp, normalizeAxis, type Graph, type Node } from '../src/ir/index.js';
import { constantFloats } from './rewrite.js';

export interface Affine {
  s: Float64Array;
  t: Float64Array;
}

export const identityAffine = (channels: number): Affine => ({ s: new Float64Array(channels).fill(1), t: new Float64Array(channels) });

/** x * s1 + t1, then * s2 + t2. */
export function composeAffine(first: Affine, then: Affine): Affine {
  return { s: first.s.map((s, c) => s * then.s[c]!), t: first.t.map((t, c) => t * then.s[c]! + then.t[c]!) };
}

/** A constant's values spread over `channels` along `axis` of a rank-`rank` result, when it varies along no other axis. */
function alongAxis(graph: Graph, value: string, rank: number, axis: number, channels: number): Float64Array | undefined {
  const v = constantFloats(graph, value);
  const shape = graph.types[value]!.shape;
  if (!v || shape.length > rank) return undefined;
  const at = axis - (rank - shape.length);
  if (!shape.every((d, i) => d === 1 || (i === at && d === channels))) return undefined;
  return v.length === 1 ? new Float64Array(channels).fill(v[0]!) : Float64Array.from(v);
}

function scaleAffine(graph: Graph, node: Node, axis: number, channels: number): Affine | undefined {
  const [, shift, scale, power] = node.inputs;
  const rank = graph.types[node.inputs[0]!]!.shape.length;
  const mode = node.attrs.mode;
  if (power && power !== '' && !(constantFloats(graph, power)?.every((p) => p === 1) ?? false)) return undefined;
  if (mode !== 'uniform' && !(mode === 'channel' && normalizeAxis((node.attrs.channelAxis as number | undefined) ?? 1, rank) === axis)) return undefined;
  const read = (v: string | undefined, fill: number) => {
    if (!v) return new Float64Array(channels).fill(fill);
    const d = constantFloats(graph, v);
    return d && (d.length === 1 ? new Float64Array(channels).fill(d[0]!) : d);
  };
  const [s, t] = [read(scale, 1), read(shift, 0)];
  return s && t ? { s, t } : undefined;
}

function binaryAffine(graph: Graph, node: Node, x: string, axis: number, channels: number): Affine | undefined {
  const [a, b] = node.inputs as [string, string];
  const out = graph.types[node.outputs[0]!]!;
  const rank = out.shape.length;
  // The constant may broadcast along x, never x along the constant.
  if (graph.types[x]!.shape.length !== rank || graph.types[x]!.shape.some((d, i) => d !== out.shape[i])) return undefined;
  const c = alongAxis(graph, a === x ? b : a, rank, axis, channels);
  if (!c || (a === x) === (b === x)) return undefined;
  const ones = new Float64Array(channels).fill(1);
  switch (node.op) {
    case 'Add': return { s: ones, t: c };
    case 'Mul': return { s: c, t: new Float64Array(channels) };
    case 'Sub': return a === x ? { s: ones, t: c.map((v) => -v) } : { s: ones.map(() => -1), t: c };
    case 'Div': return a === x && c.every((v) => v !== 0) ? { s: c.map((v) => 1 / v), t: new Float64Array(channels) } : undefined;
  }
  return undefined;
}

/** BatchNormalization (inputs x, scale, bias, mean, var; epsilon), where the registry defines it. */
function batchNormAffine(graph: Graph, node: Node, axis: number, channels: number): Affine | undefined {
  if (axis !== 1 || node.outputs.length !== 1) return undefined;
  const [, gamma, beta, mean, variance] = node.inputs.map((v) => (v ? constantFloats(graph, v) : undefined));
  const eps = (node.attrs.epsilon as number | undefined) ?? 1e-5;
  if (![gamma, beta, mean, variance].every((v) => v?.length === channels)) return undefined;
  const s = gamma!.map((g, c) => g / Math.sqrt(variance![c]! + eps));
  return { s, t: beta!.map((b, c) => b - mean![c]! * s[c]!) };
}

/** The affine map `node` applies to its input `x` along `axis` (of `channels`), or undefined. */
export function affineOf(graph: Graph, node: Node, x: string, axis: number, channels: number): Affine | undefined {
  if (node.inputs[0] !== x && getOp(node.op).group !== 'binary') return undefined;
  if (node.op === 'Scale') return scaleAffine(graph, node, axis, channels);
  if (node.op === 'BatchNormalization' && hasOp(node.op)) return batchNormAffine(graph, node, axis, channels);
  if (getOp(node.op).group === 'binary') return binaryAffine(graph, node, x, axis, channels);
  return undefined;
}
