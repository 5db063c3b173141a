// FuseInt8StemIO: the two helper layers around an int8 stem conv move into it. After
// the Quantize pass MobileNetV2's stem reads
//
//   image ─► QuantizeLinear(s) ─► QConv[xScale s] ─► Transpose[0,2,3,1] ─► NHWC blocks
//   f32       'stem.quantize'      'stem.int8'         'y to NHWC'
//
// and becomes   image ─► QConv[xScale s, xQuantize, nhwcOut] ─► NHWC blocks: the conv
// quantizes the f32 rows as it stages them and writes [n][oh][ow][c] itself
// (native/cpu/int8-stem.h), two passes over the batch's pixels fewer. Only QConv
// layers on the stem path (int8StemShape: 1 to 4 input channels, not a 1x1 stride-1
// unpadded window) take either attribute: the other native QConv paths refuse them.
// Both rewrites are exact: the QuantizeLinear must be per tensor with zero point 0
// into i8, its scale the QConv's xScale, its output read by this QConv alone; the
// Transpose must be the only reader of the conv's output, which is no graph output.
// Runs after the int8 choice (chooseInt8 times the layers as quantizeGraph writes
// them); the QConv keeps its name and `fused` list (the helpers were no network layers).
import { getOp, resolveAttrs, windowParams, type Graph, type Node } from '../src/ir/index.js';
import { rewritePass, scalarOf, soleReader, type Action, type GraphIndex, type Pattern } from './rewrite.js';

const TO_NHWC = [0, 2, 3, 1];

/**
 * Whether native QConv runs `node` (a QConv, or the fp32 Conv of groups 1 it is made
 * from: chooseInt8 asks before the Quantize pass) on its stem path, the one that takes
 * xQuantize and nhwcOut.
 */
export function int8StemShape(graph: Graph, node: Node): boolean {
  const x = graph.types[node.inputs[0]!];
  const w = graph.types[node.inputs[1]!];
  const cin = x?.shape[1];
  const conv = node.op === 'QConv' || (node.op === 'Conv' && resolveAttrs(getOp('Conv'), node).groups === 1);
  if (!conv || x?.shape.length !== 4 || w?.shape.length !== 4 || typeof cin !== 'number' || cin < 1 || cin > 4) return false;
  const p = windowParams(resolveAttrs(getOp(node.op), node), w.shape.slice(2) as number[]);
  if (typeof p === 'string') return false;
  const direct = w.shape[2] === 1 && w.shape[3] === 1 && p.strides.every((s) => s === 1) && [...p.padsBegin, ...p.padsEnd].every((v) => v === 0);
  return !direct;
}

const attrOf = (node: Node, key: string) => resolveAttrs(getOp(node.op), node)[key];

/** Whether `node` is a Transpose NCHW -> NHWC, the one a stem can take in. */
export function isToNhwc(node: Node): boolean {
  const perm = node.attrs.perm as number[] | undefined;
  return node.op === 'Transpose' && node.inputs.length === 1 && perm?.length === 4 && perm.every((p, i) => p === TO_NHWC[i]);
}

/** Check: a stem QConv (not yet nhwcOut) whose one reader is a Transpose to NHWC. Rooted at the Transpose. */
function matchTranspose(ix: GraphIndex, transpose: Node): { conv: Node; transpose: Node } | undefined {
  if (!isToNhwc(transpose)) return undefined;
  const y = transpose.inputs[0]!;
  const conv = ix.producer.get(y);
  if (!conv || conv.op !== 'QConv' || attrOf(conv, 'nhwcOut') === true || soleReader(ix, y) !== transpose) return undefined;
  return int8StemShape(ix.graph, conv) ? { conv, transpose } : undefined;
}

/** Action: the QConv writes the Transpose's output, NHWC, in the Transpose's place. */
function fuseTranspose(_ix: GraphIndex, m: { conv: Node; transpose: Node }): Action {
  const conv: Node = { ...m.conv, outputs: [...m.transpose.outputs], attrs: { ...m.conv.attrs, nhwcOut: true } };
  return { replace: new Map([[m.transpose.name, conv]]), remove: [m.conv.name] };
}

/** Check: a stem QConv whose x is a per-tensor, zero-point-0 i8 QuantizeLinear by its own xScale, read by it alone. */
function matchQuantize(ix: GraphIndex, conv: Node): { conv: Node; quantize: Node } | undefined {
  if (conv.op !== 'QConv' || attrOf(conv, 'xQuantize') === true || !int8StemShape(ix.graph, conv)) return undefined;
  const x = conv.inputs[0]!;
  const quantize = ix.producer.get(x);
  if (quantize?.op !== 'QuantizeLinear' || soleReader(ix, x) !== conv || conv.inputs.indexOf(x, 1) > 0) return undefined;
  const g = ix.graph;
  const scale = scalarOf(g, quantize.inputs[1]!);
  const zp = quantize.inputs[2];
  const zeroPoint = !zp || (g.constants[zp] !== undefined && Array.from(g.constants[zp].data as ArrayLike<number>).every((v) => v === 0));
  const sameScale = scale !== undefined && Math.fround(scale) === Math.fround(attrOf(conv, 'xScale') as number);
  return g.types[x]?.dtype === 'i8' && g.types[quantize.inputs[0]!]?.dtype === 'f32' && zeroPoint && sameScale ? { conv, quantize } : undefined;
}

/** Action: the QConv reads the f32 tensor and quantizes it itself. */
function fuseQuantize(_ix: GraphIndex, m: { conv: Node; quantize: Node }): Action {
  const conv: Node = { ...m.conv, inputs: [m.quantize.inputs[0]!, ...m.conv.inputs.slice(1)], attrs: { ...m.conv.attrs, xQuantize: true } };
  return { replace: new Map([[m.conv.name, conv]]), remove: [m.quantize.name] };
}

const transposeIntoStem: Pattern<{ conv: Node; transpose: Node }> = { name: 'FuseInt8StemIO/transpose', match: matchTranspose, action: fuseTranspose };
const quantizeIntoStem: Pattern<{ conv: Node; quantize: Node }> = { name: 'FuseInt8StemIO/quantize', match: matchQuantize, action: fuseQuantize };

export const FuseInt8StemIO = rewritePass('FuseInt8StemIO', [transposeIntoStem, quantizeIntoStem] as readonly Pattern<unknown>[]);
