// Precision analysis: which dtype each layer computes in, given the precisions a
// build allows and per-layer constraints (TensorRT's --layerPrecisions with
// --precisionConstraints prefer|obey). The pass that applies it (assign-precision.ts)
// only rewrites what this decides, so the decision can be printed and tested alone.
//
// The rules, in order, for each layer that computes on floats:
//  0. A layer the builder timed slower in 16 bits (keepFp32) stays fp32.
//  1. A constraint for the layer (its name, or any layer it fused, or a pattern) wins:
//     'obey' fails the build when it cannot be honoured, 'prefer' falls back to fp32
//     with the reason recorded.
//  2. Softmax, normalization and reduction layers keep fp32: their accumulations
//     need the range (exponentials, sums of squares).
//  3. Data movement (reshape, transpose, concat, slice, ...) and pooling follow the
//     dtype of their input, so they never force a conversion on their own.
//  4. Anything else takes the preferred low precision allowed: fp16, then bf16.
//     int8 layers come from calibration (passes/quantize.ts), never from here.
//  5. Every choice is checked against the op's own type inference and the target's
//     kernels (`supports`); a layer that cannot compute in the dtype keeps fp32.
import { DTYPE_INFO, KilnError, getOp, inferNode, type DType, type Graph, type Node } from '../src/ir/index.js';
import { parseLayerPrecisions as parseLayerSpec } from './quantize.js';

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
  /** Whether the target has a kernel for the layer in a 16-bit dtype; default: every layer. */
  supports?: (node: Node, dtype: DType) => boolean;
  /** Layers kept fp32 whatever else applies (the builder's "timed slower" verdicts), with the reason. */
  keepFp32?: ReadonlyMap<string, string>;
}

export interface PrecisionDecision {
  dtype: DType;
  reason: string;
}

const KEEP_FP32 = new Set(['softmax', 'normalization', 'reduce']);
const FOLLOW = new Set(['movement', 'pool']);
const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'int8'];

/**
 * The precision a layer is asked for, from 'conv1:fp32,fc*:bf16,*:fp16' (the CLI's form,
 * parsed by the Quantize pass's parser: first match wins, '*' a wildcard) or from a
 * record of names. A malformed spec is a KILN_CONFIG error naming the item.
 */
export function layerPrecisionLookup(spec: Readonly<Record<string, Precision>> | string): (layer: string) => Precision | undefined {
  const text = typeof spec === 'string' ? spec : Object.entries(spec).map(([layer, p]) => `${layer}:${p}`).join(',');
  try {
    return parseLayerSpec(text);
  } catch (e) {
    throw new KilnError('KILN_CONFIG', `${(e as Error).message} (precisions: ${PRECISIONS.join(', ')})`, { argument: 'layerPrecisions', received: text });
  }
}

const isFloat = (d: DType) => DTYPE_INFO[d].float;

function withoutWildcard(spec: Readonly<Record<string, Precision>> | string): Readonly<Record<string, Precision>> | string {
  if (typeof spec !== 'string') return Object.fromEntries(Object.entries(spec).filter(([layer]) => layer !== '*'));
  return spec.split(',').filter((item) => item.slice(0, item.lastIndexOf(':')).trim() !== '*').join(',');
}

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
  const spec = options.layerPrecisions ?? '';
  const given = typeof spec === 'string' ? spec.trim() !== '' : Object.keys(spec).length > 0;
  const lookup = given ? layerPrecisionLookup(spec) : () => undefined;
  // What names or patterns ask for, '*' aside: a bare '*' under obey binds only layers that can comply.
  const named = given ? layerPrecisionLookup(withoutWildcard(spec)) : () => undefined;
  const constraints = options.constraints ?? (given ? 'prefer' : 'none');
  const supports = options.supports ?? (() => true);
  // A 16-bit choice needs the op's inference and the target's kernel to agree.
  const can = (node: Node, d: DType) => accepts(graph, node, d, typeOf) && (!DTYPE_INFO[d].float || d === 'f32' || supports(node, d));
  const low = (['fp16', 'bf16'] as const).find((p) => allowed.has(p));
  const chosen = new Map<string, PrecisionDecision>();
  const dtypeOf = new Map<string, DType>();
  const typeOf = (v: string) => dtypeOf.get(v) ?? graph.types[v]!.dtype;
  for (const node of graph.nodes) {
    if (!computesOnFloats(graph, node)) continue;
    const group = getOp(node.op).group;
    const names = [node.name, ...(node.fused ?? [])];
    // A name or pattern of any fused layer wins over the '*' that the fused name itself matches.
    const asked = constraints === 'none' ? undefined : names.map(named).find((p) => p !== undefined) ?? names.map(lookup).find((p) => p !== undefined);
    const kept = options.keepFp32?.get(node.name);
    let decision: PrecisionDecision;
    if (kept !== undefined) {
      decision = { dtype: 'f32', reason: kept };
    } else if (asked === 'int8' && allowed.has('int8')) {
      // int8 layers come from calibration (the Quantize pass); here they stay as they are.
      decision = { dtype: 'f32', reason: 'int8 is assigned by calibration' };
    } else if (asked !== undefined && allowed.has(asked) && asked !== 'int8' && can(node, PRECISION_DTYPE[asked])) {
      decision = { dtype: PRECISION_DTYPE[asked], reason: `constraint ${asked}` };
    } else if (asked !== undefined && constraints === 'obey' && names.some((n) => named(n) !== undefined)) {
      const why = !allowed.has(asked) ? `${asked} is not among the allowed precisions (${[...allowed].join(', ')})`
        : asked === 'int8' ? 'int8 needs calibration scales, which this build does not have' : `${node.op} does not compute in ${asked} on this target`;
      throw new KilnError('KILN_CONFIG', `layer '${node.name}' (${node.op}): cannot obey precision ${asked}: ${why}`, { layer: node.name, op: node.op, argument: 'layerPrecisions', received: asked });
    } else if (KEEP_FP32.has(group)) {
      decision = { dtype: 'f32', reason: `${group} keeps fp32 for range` };
    } else if (FOLLOW.has(group)) {
      const first = node.inputs.find((v) => v !== '' && isFloat(typeOf(v)));
      const d = first !== undefined ? typeOf(first) : 'f32';
      decision = can(node, d) ? { dtype: d, reason: 'follows its input' } : { dtype: 'f32', reason: `${node.op} does not compute in ${d}` };
    } else if (low && can(node, PRECISION_DTYPE[low])) {
      decision = { dtype: PRECISION_DTYPE[low], reason: `${low} allowed` };
    } else {
      decision = { dtype: 'f32', reason: low ? `${node.op} does not compute in ${low}` : 'only fp32 allowed' };
    }
    if (asked !== undefined && kept === undefined && asked !== 'int8' && decision.reason !== `constraint ${asked}`) decision.reason += ` (preferred ${asked} not possible)`;
    chosen.set(node.name, decision);
    for (const o of node.outputs) dtypeOf.set(o, decision.dtype);
  }
  return chosen;
}
