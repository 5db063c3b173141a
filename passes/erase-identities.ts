// EraseIdentities: removes layers that compute nothing, and merges movement layers
// that undo or compose with each other. Each one erased is a kernel launch and a
// copy saved; exporters and the DSL's own shuffles produce them often.
//
//   Scale(x; scale 1, shift 0, power 1)   Mul(x, 1) / Add(x, 0) / Sub(x, 0) / Div(x, 1) / Pow(x, 1)
//   Reshape(x) to x's own shape           Transpose(x) by the identity permutation
//   Reshape(Reshape(x)) -> Reshape(x)     Transpose(Transpose(x)) -> Transpose(x), composed
//   Transpose(x) that keeps the order of x's non-1 dims -> Reshape(x): no data moves
//   Cast(x) to x's dtype, Identity(x), Dropout(x)   (where the registry has those ops)
//
// A constant operand may broadcast, but only when the result keeps x's type: x[1,4] +
// zeros[3,4] is a [3,4] broadcast, no identity. A layer is erased by forwarding its
// readers to its input; see `canForward` for the graph-output case.
import { getOp, hasOp, shapesEqual, type Node } from '../src/ir/index.js';
import { definePass } from './pass.js';
import { canForward, isSplat, rewrite, soleReader, type Action, type GraphIndex, type Pattern } from './rewrite.js';

/** Per binary op: the constant that leaves the other operand unchanged, and on which sides. */
const NEUTRAL: Readonly<Record<string, { value: number; commutes: boolean }>> = {
  Add: { value: 0, commutes: true },
  Sub: { value: 0, commutes: false },
  Mul: { value: 1, commutes: true },
  Div: { value: 1, commutes: false },
  Pow: { value: 1, commutes: false },
};

/** The input an identity layer passes through unchanged, or undefined. */
function passedThrough(ix: GraphIndex, node: Node): string | undefined {
  const g = ix.graph;
  const [x, ...rest] = node.inputs;
  const out = node.outputs[0]!;
  const sameType = () => shapesEqual(g.types[x!]!.shape, g.types[out]!.shape) && g.types[x!]!.dtype === g.types[out]!.dtype;
  switch (node.op) {
    case 'Scale': {
      const [shift, scale, power] = rest;
      const neutral = (v: string | undefined, n: number) => v === undefined || v === '' || isSplat(g, v, n);
      return neutral(shift, 0) && neutral(scale, 1) && neutral(power, 1) ? x : undefined;
    }
    case 'Reshape':
      return sameType() ? x : undefined;
    case 'Transpose':
      return (node.attrs.perm as number[]).every((p, i) => p === i) ? x : undefined;
    case 'Cast':
    case 'Identity':
    case 'Dropout':
      return node.outputs.length === 1 && sameType() ? x : undefined;
  }
  const neutral = NEUTRAL[node.op];
  if (!neutral || getOp(node.op).group !== 'binary') return undefined;
  const [a, b] = node.inputs as [string, string];
  const keeps = (v: string) => shapesEqual(g.types[v]!.shape, g.types[out]!.shape);
  if (isSplat(g, b, neutral.value) && keeps(a)) return a;
  if (neutral.commutes && isSplat(g, a, neutral.value) && keeps(b)) return b;
  return undefined;
}

const identity: Pattern<{ node: Node; source: string }> = {
  name: 'EraseIdentity',
  match: (ix, node) => {
    if (!hasOp(node.op) || node.outputs.length !== 1) return undefined;
    const source = passedThrough(ix, node);
    return source !== undefined && canForward(ix, node.outputs[0]!, source) ? { node, source } : undefined;
  },
  action: (_ix, { node, source }): Action => ({ remove: [node.name], forward: new Map([[node.outputs[0]!, source]]) }),
};

/** The producer of a layer's input, when it is a layer of the same op. */
function innerOfSameOp(ix: GraphIndex, node: Node): Node | undefined {
  const inner = ix.producer.get(node.inputs[0]!);
  return inner?.op === node.op ? inner : undefined;
}

/** The inner layer goes too when the outer one was its only reader. */
function innerIfDone(ix: GraphIndex, node: Node, inner: Node): string[] {
  return soleReader(ix, inner.outputs[0]!) === node ? [inner.name] : [];
}

/** Reshape(Reshape(x)) reads x directly, with the outer layer's (fully resolved) target shape. */
const reshapeChain: Pattern<{ node: Node; inner: Node }> = {
  name: 'MergeReshapes',
  match: (ix, node) => {
    const inner = node.op === 'Reshape' ? innerOfSameOp(ix, node) : undefined;
    return inner ? { node, inner } : undefined;
  },
  action: (ix, { node, inner }) => ({
    replace: new Map([[node.name, { ...node, inputs: [inner.inputs[0]!], attrs: { ...node.attrs, shape: [...ix.graph.types[node.outputs[0]!]!.shape] } }]]),
    remove: innerIfDone(ix, node, inner),
  }),
};

/** Transpose(Transpose(x), q) = Transpose(x, p∘q): output dim j is input dim p[q[j]]. */
const transposeChain: Pattern<{ node: Node; inner: Node }> = {
  name: 'ComposeTransposes',
  match: (ix, node) => {
    const inner = node.op === 'Transpose' ? innerOfSameOp(ix, node) : undefined;
    return inner ? { node, inner } : undefined;
  },
  action: (ix, { node, inner }) => {
    const [p, q] = [inner.attrs.perm as number[], node.attrs.perm as number[]];
    return {
      replace: new Map([[node.name, { ...node, inputs: [inner.inputs[0]!], attrs: { ...node.attrs, perm: q.map((j) => p[j]!) } }]]),
      remove: innerIfDone(ix, node, inner),
    };
  },
};

/**
 * A Transpose moving only size-1 dims ([1,16,256] by [1,0,2]) leaves the bytes in
 * place: it is a Reshape, which memory planning can alias and which merges with the
 * Reshapes around it. Symbolic dims count as non-1, so this holds for any binding.
 */
const transposeAsReshape: Pattern<Node> = {
  name: 'TransposeAsReshape',
  match: (ix, node) => {
    if (node.op !== 'Transpose') return undefined;
    const shape = ix.graph.types[node.inputs[0]!]!.shape;
    const moved = (node.attrs.perm as number[]).filter((p) => shape[p] !== 1);
    return moved.every((p, i) => i === 0 || moved[i - 1]! < p) && !(node.attrs.perm as number[]).every((p, i) => p === i) ? node : undefined;
  },
  action: (ix, node) => ({
    replace: new Map([[node.name, { name: node.name, op: 'Reshape', inputs: node.inputs, outputs: node.outputs, attrs: { shape: [...ix.graph.types[node.outputs[0]!]!.shape] }, ...(node.fused ? { fused: node.fused } : {}) }]]),
  }),
};

export const EraseIdentities = definePass({
  name: 'EraseIdentities',
  run: (graph, { logger }) => {
    const out = rewrite(graph, [identity, transposeChain, transposeAsReshape, reshapeChain] as Pattern<unknown>[]);
    if (out !== graph) logger('verbose', `EraseIdentities: ${graph.nodes.length} -> ${out.nodes.length} layers`);
    return out;
  },
});
