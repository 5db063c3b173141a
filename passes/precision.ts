// Precision analysis: which dtype each layer computes in, given the precisions a
// build allows and per-layer constraints (TensorRT's --layerPrecisions with
// --precisionConstraints prefer|obey). The pass that applies it (assign-precision.ts)
// only rewrites what this decides, so the decision can be printed and tested alone.
//
// The rules, in order, for each layer that computes on floats:
//  1. A constraint for the layer (its name, or any layer it fused) or for '*' wins:
//     'obey' fails the build when it cannot be honoured, 'prefer' falls back to fp32
//     with the reason recorded.
//  2. Softmax, normalization and reduction layers keep fp32: their accumulations
//     need the range (exponentials, sums of squares).
//  3. Data movement (reshape, transpose, concat, slice, ...) and pooling follow the
//     dtype of their input, so they never force a conversion on their own.
//  4. Anything else takes the preferred low precision allowed: fp16, then bf16.
//     int8 needs calibration scales, which kiln does not compute yet, so it is
//     never chosen here.
//  5. Every choice is checked against the op's own type inference; a layer whose op
//     does not accept the dtype keeps fp32.
import { DTYPE_INFO, KilnError, getOp, inferNode, type DType, type Graph, type Node } from '../src/ir/index.js';

export type Precision = 'fp32' | 'fp16' | 'bf16' | 'int8';
export type PrecisionConstraints = 'none' | 'prefer' | 'obey';

export const PRECISION_DTYPE: Readonly<Record<Precision, DType>> = { fp32: 'f32', fp16: 'f16', bf16: 'bf16', int8: 'i8' };

export interface PrecisionOptions {
  /** The precisions the build allows; fp32 always is. */
  allowed: readonly Precision[];
  /** Per layer (name or '*'): `{ conv1: 'fp32', '*': 'fp16' }` or the CLI's 'conv1:fp32,*:fp16'. */
  layerPrecisions?: Readonly<Record<string, Precision>> | string;
  /** Default 'prefer' when layerPrecisions is given, else 'none' (constraints ignored). */
  constraints?: PrecisionConstraints;
}

export interface PrecisionDecision {
  dtype: DType;
  reason: string;
}

const KEEP_FP32 = new Set(['softmax', 'normalization', 'reduce']);
const FOLLOW = new Set(['movement', 'pool']);
const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'int8'];

/** Parses 'conv1:fp32,*:fp16'; names may contain ':' (the precision is after the last one). */
export function parseLayerPrecisions(spec: string): Record<string, Precision> {
  const out: Record<string, Precision> = {};
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.lastIndexOf(':');
    const [layer, p] = [item.slice(0, at), item.slice(at + 1)];
    if (at <= 0 || !PRECISIONS.includes(p as Precision)) {
      throw new KilnError('KILN_CONFIG', `layer precision '${item}' is not layer:precision with precision one of ${PRECISIONS.join(', ')}`, { argument: 'layerPrecisions', received: item });
    }
    out[layer] = p as Precision;
  }
  return out;
}

const isFloat = (d: DType) => DTYPE_INFO[d].float;

/** Whether `node` is a layer whose precision is chosen: it writes floats and is no Cast. */
export function computesOnFloats(graph: Graph, node: Node): boolean {
  return node.op !== 'Cast' && node.outputs.length > 0 && node.outputs.every((o) => isFloat(graph.types[o]!.dtype));
}

/** Rule 5: the op accepts `dtype` for every float input. */
function accepts(graph: Graph, node: Node, dtype: DType, typeOf: (v: string) => DType): boolean {
  try {
    const types = node.inputs.map((v) => (v === '' ? undefined : { dtype: isFloat(typeOf(v)) ? dtype : typeOf(v), shape: graph.types[v]!.shape }));
    return inferNode(node, types).every((t) => t.dtype === dtype);
  } catch {
    return false;
  }
}

/** The analysis: a decision for every layer that computes on floats, in graph order. */
export function choosePrecisions(graph: Graph, options: PrecisionOptions): Map<string, PrecisionDecision> {
  const allowed = new Set<Precision>(['fp32', ...options.allowed]);
  const requests = typeof options.layerPrecisions === 'string' ? parseLayerPrecisions(options.layerPrecisions) : options.layerPrecisions ?? {};
  const constraints = options.constraints ?? (Object.keys(requests).length > 0 ? 'prefer' : 'none');
  const low = (['fp16', 'bf16'] as const).find((p) => allowed.has(p));
  const chosen = new Map<string, PrecisionDecision>();
  const dtypeOf = new Map<string, DType>();
  const typeOf = (v: string) => dtypeOf.get(v) ?? graph.types[v]!.dtype;
  for (const node of graph.nodes) {
    if (!computesOnFloats(graph, node)) continue;
    const group = getOp(node.op).group;
    const names = [node.name, ...(node.fused ?? [])];
    const asked = constraints === 'none' ? undefined : names.map((n) => requests[n]).find((p) => p !== undefined) ?? requests['*'];
    let decision: PrecisionDecision;
    if (asked !== undefined && allowed.has(asked) && asked !== 'int8' && accepts(graph, node, PRECISION_DTYPE[asked], typeOf)) {
      decision = { dtype: PRECISION_DTYPE[asked], reason: `constraint ${asked}` };
    } else if (asked !== undefined && constraints === 'obey') {
      const why = !allowed.has(asked) ? `${asked} is not among the allowed precisions (${[...allowed].join(', ')})`
        : asked === 'int8' ? 'int8 needs calibration scales, which this build does not have' : `${node.op} does not compute in ${asked}`;
      throw new KilnError('KILN_CONFIG', `layer '${node.name}' (${node.op}): cannot obey precision ${asked}: ${why}`, { layer: node.name, op: node.op, argument: 'layerPrecisions', received: asked });
    } else if (KEEP_FP32.has(group)) {
      decision = { dtype: 'f32', reason: `${group} keeps fp32 for range` };
    } else if (FOLLOW.has(group)) {
      const first = node.inputs.find((v) => v !== '' && isFloat(typeOf(v)));
      const d = first !== undefined ? typeOf(first) : 'f32';
      decision = accepts(graph, node, d, typeOf) ? { dtype: d, reason: 'follows its input' } : { dtype: 'f32', reason: `${node.op} does not compute in ${d}` };
    } else if (low && accepts(graph, node, PRECISION_DTYPE[low], typeOf)) {
      decision = { dtype: PRECISION_DTYPE[low], reason: `${low} allowed` };
    } else {
      decision = { dtype: 'f32', reason: low ? `${node.op} does not compute in ${low}` : 'only fp32 allowed' };
    }
    if (asked !== undefined && decision.reason !== `constraint ${asked}`) decision.reason += ` (preferred ${asked} not possible)`;
    chosen.set(node.name, decision);
    for (const o of node.outputs) dtypeOf.set(o, decision.dtype);
  }
  return chosen;
}
