// FuseSiblings (TensorRT's horizontal fusion): layers that read the same tensor with
// the same parameters become one wider layer followed by a Split, so the input is
// read once and one bigger GEMM replaces several small ones.
//
//          ┌► Conv(w1) ─► y1                      ┌─► y1
//     x ───┤                 ==>   x ─► Conv([w1;w2]) ─► Split(axis 1) ─┤
//          └► Conv(w2) ─► y2                      └─► y2
//
// Design note, in steps:
//  1. Key every candidate by what must be equal: for a Conv, its input, kernel size,
//     strides, padding, dilation, groups = 1 and epilogue; for a MatMul, its input A,
//     transposes, inner size and epilogue, with a constant rank-2 B. Weights and
//     biases must be float constants.
//  2. Each key with two or more layers is a group. The wide layer stands where the
//     group's first layer stood: every reader of any member comes after that.
//  3. Weights stack along the output dimension (Conv: rows of W; MatMul: B's columns,
//     or its rows when transB); a member without a bias contributes zeros.
//  4. A Split along the channel (Conv) or last (MatMul) axis gives back each member's
//     output under its own name, so readers and graph outputs stay wired.
import { DTYPE_INFO, getOp, resolveAttrs, windowParams, type ConstantTensor, type Graph, type Node } from '../src/ir/index.js';
import { writeFloats } from '../src/interpret/index.js';
import { constantFloats, freshIn, fusedNode, rewritePass, type GraphIndex, type Pattern } from './rewrite.js';

const isFloatConstant = (g: Graph, v: string | undefined) => v !== undefined && v in g.constants && DTYPE_INFO[g.constants[v]!.type.dtype].float;

/** Step 1: what siblings must share, or undefined when `node` cannot join a group. */
function siblingKey(g: Graph, node: Node): string | undefined {
  const [x, w, b] = node.inputs;
  if ((node.op !== 'Conv' && node.op !== 'MatMul') || !isFloatConstant(g, w) || (b && !isFloatConstant(g, b)) || node.inputs[3]) return undefined;
  const attrs = resolveAttrs(getOp(node.op), node);
  const epilogue = [attrs.activation, attrs.alpha, attrs.beta];
  const wShape = g.types[w!]!.shape as number[];
  if (node.op === 'Conv') {
    const window = windowParams(attrs, wShape.slice(2));
    if (attrs.groups !== 1 || typeof window === 'string') return undefined;
    return JSON.stringify(['Conv', x, g.types[x!]!.dtype, wShape.slice(1), window, epilogue]);
  }
  if (wShape.length !== 2 || x! in g.constants) return undefined;
  return JSON.stringify(['MatMul', x, attrs.transA, attrs.transB, attrs.transB ? wShape[1] : wShape[0], epilogue]);
}

/** Step 2: the first group of two or more siblings. */
function matchGroup(ix: GraphIndex, node: Node): Node[] | undefined {
  const key = siblingKey(ix.graph, node);
  if (key === undefined) return undefined;
  const group = (ix.readers.get(node.inputs[0]!) ?? []).filter((n) => siblingKey(ix.graph, n) === key);
  return group.length >= 2 && group[0] === node ? group : undefined;
}

/** The number of output channels (Conv) or columns (MatMul) of a member. */
function width(g: Graph, node: Node): number {
  const shape = g.types[node.outputs[0]!]!.shape;
  return shape[node.op === 'Conv' ? 1 : shape.length - 1] as number;
}

/** Step 3: stacked weights; B's columns interleave row by row when not transposed. */
function stackWeights(g: Graph, members: readonly Node[]): { data: Float64Array; shape: number[] } {
  const ws = members.map((m) => constantFloats(g, m.inputs[1]!)!);
  const first = g.types[members[0]!.inputs[1]!]!.shape as number[];
  const total = members.reduce((a, m) => a + width(g, m), 0);
  if (members[0]!.op === 'Conv' || members[0]!.attrs.transB === true) {
    const data = new Float64Array(ws.reduce((a, w) => a + w.length, 0));
    let at = 0;
    for (const w of ws) data.set(w, (at += w.length) - w.length);
    return { data, shape: [total, ...first.slice(1)] };
  }
  const k = first[0]!;
  const data = new Float64Array(k * total);
  let col = 0;
  members.forEach((m, i) => {
    const n = width(g, m);
    for (let r = 0; r < k; r++) data.set(ws[i]!.subarray(r * n, (r + 1) * n), r * total + col);
    col += n;
  });
  return { data, shape: [k, total] };
}

const siblings: Pattern<Node[]> = {
  name: 'FuseSiblings',
  match: matchGroup,
  action: (ix, members) => {
    const g = ix.graph;
    const head = members[0]!;
    const dtype = g.types[head.inputs[1]!]!.dtype;
    const names = new Set<string>();
    const fresh = (base: string) => {
      const n = freshIn(g, base, names);
      names.add(n);
      return n;
    };
    const w = stackWeights(g, members);
    const constants: Record<string, ConstantTensor> = {};
    const wName = fresh(`${head.inputs[1]}.stacked`);
    constants[wName] = { type: { dtype, shape: w.shape }, data: writeFloats(dtype, w.data) };
    const inputs = [head.inputs[0]!, wName];
    if (members.some((m) => m.inputs[2])) {
      const bias = Float64Array.from(members.flatMap((m) => (m.inputs[2] ? [...constantFloats(g, m.inputs[2])!] : new Array<number>(width(g, m)).fill(0))));
      const bName = fresh(`${head.inputs[2] || head.name}.stacked_bias`);
      constants[bName] = { type: { dtype, shape: [bias.length] }, data: writeFloats(dtype, bias) };
      inputs.push(bName);
    }
    const outType = g.types[head.outputs[0]!]!;
    const axis = head.op === 'Conv' ? 1 : outType.shape.length - 1;
    const wide = fusedNode(members, { op: head.op, inputs, outputs: [], attrs: head.attrs }, g, ' || ');
    const merged = fresh(`${wide.name}.out`);
    const total = members.reduce((a, m) => a + width(g, m), 0);
    const split: Node = { name: fresh(`${wide.name}.split`), op: 'Split', inputs: [merged], outputs: members.map((m) => m.outputs[0]!), attrs: { axis, split: members.map((m) => width(g, m)) } };
    return {
      replace: new Map([[head.name, [{ ...wide, outputs: [merged] }, split]]]),
      remove: members.slice(1).map((m) => m.name),
      constants,
      types: { [merged]: { dtype: outType.dtype, shape: outType.shape.map((d, i) => (i === axis ? total : d)) } },
    };
  },
};

export const FuseSiblings = rewritePass('FuseSiblings', [siblings]);
