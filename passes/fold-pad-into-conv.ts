// FoldPadIntoConv: a zero Pad of the spatial dims in front of a Conv becomes the
// Conv's own padding (TensorRT folds padding into convolution): one layer and one
// padded copy of the input fewer, and the conv kernels skip the zero taps.
//
//   x ─► Pad(constant 0, spatial) ─► Conv[pads p] ─► y     x ─► Conv[pads p + pad] ─► y
//          'pad1'                      'conv1'      ==>          'pad1 + conv1'
//
// Conv padding reads outside the image as zero, so this is exact for mode 'constant'
// with value 0 and non-negative pads that leave the batch and channel dims alone.
// Every reader of the padded tensor must be a Conv reading it as its input (all are
// rewritten in one step, so the Pad goes), and it must be no network output.
import { getOp, padParams, resolveAttrs, windowParams, type Node } from '../src/ir/index.js';
import { fusedNode, rewritePass, type GraphIndex, type Pattern } from './rewrite.js';

interface Match {
  pad: Node;
  begin: number[];
  end: number[];
  convs: Node[];
}

/** Check: a zero constant Pad of spatial dims only, read only by Convs as their input x. */
function match(ix: GraphIndex, conv: Node): Match | undefined {
  const pad = conv.op === 'Conv' ? ix.producer.get(conv.inputs[0]!) : undefined;
  if (pad?.op !== 'Pad' || ix.outputs.has(pad.outputs[0]!)) return undefined;
  const attrs = resolveAttrs(getOp('Pad'), pad);
  const rank = ix.graph.types[pad.inputs[0]!]!.shape.length;
  const p = padParams(rank, attrs.pads as number[], attrs.axes as number[]);
  if (attrs.mode !== 'constant' || attrs.value !== 0 || typeof p === 'string') return undefined;
  const { begin, end } = p;
  if ([...begin, ...end].some((v) => v < 0) || begin[0] || begin[1] || end[0] || end[1]) return undefined;
  const out = pad.outputs[0]!;
  const convs = ix.readers.get(out) ?? [];
  const asInput = (c: Node) => c.op === 'Conv' && c.inputs[0] === out && !c.inputs.slice(1).includes(out);
  if (!convs.every(asInput) || convs[0] !== conv) return undefined;
  return { pad, begin: begin.slice(2), end: end.slice(2), convs: [...convs] };
}

/** Action: each Conv reads x with the Pad's amounts added to its own padding; the Pad goes. */
function action(ix: GraphIndex, m: Match) {
  const replace = new Map<string, Node>();
  for (const conv of m.convs) {
    const attrs = resolveAttrs(getOp('Conv'), conv);
    const w = windowParams(attrs, (ix.graph.types[conv.inputs[1]!]!.shape as number[]).slice(2));
    if (typeof w === 'string') throw new Error(`FoldPadIntoConv: layer '${conv.name}': ${w}`);
    const padsBegin = w.padsBegin.map((v, i) => v + m.begin[i]!);
    const padsEnd = w.padsEnd.map((v, i) => v + m.end[i]!);
    const node = { op: 'Conv', inputs: [m.pad.inputs[0]!, ...conv.inputs.slice(1)], outputs: conv.outputs, attrs: { ...conv.attrs, padsBegin, padsEnd } };
    replace.set(conv.name, fusedNode([m.pad, conv], node, ix.graph));
  }
  return { replace, remove: [m.pad.name] };
}

const padConv: Pattern<Match> = { name: 'FoldPadIntoConv', match, action };

export const FoldPadIntoConv = rewritePass('FoldPadIntoConv', [padConv]);
