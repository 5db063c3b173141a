// FoldScaleIntoConv: folds per-channel affine layers (Scale, BatchNorm, Mul/Div/Add/Sub
// by a per-channel constant; see affine.ts) into the weights and bias of a Conv or of
// a MatMul with constant weights, so they cost nothing at run time.
//
//  After:  y = Conv(x; W, b) * s[o] + t[o]        => Conv(x; W[o] * s[o], b[o] * s[o] + t[o])
//          y = MatMul(a, B) * s[n] + t[n]          => B's column n (row n when transB) times s[n]
//          A whole chain of such layers folds at once; the Conv/MatMul must have no
//          activation (relu(z) * s is no affine map of z) and be the chain's only reader.
//  Before: y = Conv(x * s[c] + t[c]; W, b)         => Conv(x; W[o,c] * s[c], b[o] + Σ_{c,k} W[o,c,k] t[c])
//          Legal only when t = 0 or the Conv has no padding: the Conv pads the *scaled*
//          tensor with zeros, which the folded Conv would see as x = 0, i.e. t, not 0.
//          The Scale's output must be read only by Convs, as their data input; each
//          of them takes the fold.
//
// A bias add straight after a bias-less MatMul is left to FuseEpilogues, so that
// layer keeps the `fc1 + bias` name it has always had.
import { DTYPE_INFO, volume, type ConstantTensor, type DType, type Graph, type Node } from '../src/ir/index.js';
import { writeFloats } from '../src/interpret/index.js';
import { affineOf, composeAffine, identityAffine, type Affine } from './affine.js';
import { definePass } from './pass.js';
import { constantFloats, freshIn, fusedNode, rewrite, soleReader, type Action, type GraphIndex, type Pattern } from './rewrite.js';

const isFloatConstant = (g: Graph, v: string) => v in g.constants && DTYPE_INFO[g.constants[v]!.type.dtype].float;
const hasNoActivation = (n: Node) => (n.attrs.activation ?? 'none') === 'none';

/** Output channels and their axis, when the root's weights (and bias) are constants we may rewrite. */
function channelsOf(ix: GraphIndex, root: Node): { axis: number; channels: number } | undefined {
  const g = ix.graph;
  const [, w, b] = root.inputs;
  // A fused residual would be scaled along with the product: no longer a weight fold.
  if ((root.op !== 'Conv' && root.op !== 'MatMul') || !hasNoActivation(root) || !isFloatConstant(g, w!) || root.inputs[3]) return undefined;
  if (b && !(b in g.constants)) return undefined;
  const shape = g.types[root.outputs[0]!]!.shape;
  const axis = root.op === 'Conv' ? 1 : shape.length - 1;
  const channels = shape[axis];
  return typeof channels === 'number' ? { axis, channels } : undefined;
}

interface AfterMatch {
  root: Node;
  chain: Node[];
  affine: Affine;
}

/** The bias add FuseEpilogues folds into a bias-less MatMul (a [N] or [1,N] constant). */
function isEpilogueBias(g: Graph, root: Node, chain: readonly Node[]): boolean {
  if (root.op !== 'MatMul' || (root.inputs[2] ?? '') !== '' || chain.length !== 1 || chain[0]!.op !== 'Add') return false;
  const c = chain[0]!.inputs.find((v) => v !== root.outputs[0])!;
  const shape = g.types[c]!.shape;
  return shape.length === 1 || (shape.length === 2 && shape[0] === 1);
}

const after: Pattern<AfterMatch> = {
  name: 'FoldAffineAfter',
  match: (ix, root) => {
    const ch = channelsOf(ix, root);
    if (!ch) return undefined;
    const chain: Node[] = [];
    let affine = identityAffine(ch.channels);
    for (let v = root.outputs[0]!, r = soleReader(ix, v); r; v = r.outputs[0]!, r = soleReader(ix, v)) {
      const a = affineOf(ix.graph, r, v, ch.axis, ch.channels);
      if (!a) break;
      chain.push(r);
      affine = composeAffine(affine, a);
    }
    return chain.length > 0 && !isEpilogueBias(ix.graph, root, chain) ? { root, chain, affine } : undefined;
  },
  action: (ix, { root, chain, affine }) => {
    const g = ix.graph;
    const [x, w, b] = root.inputs as [string, string, string | undefined];
    const wType = g.types[w]!;
    const W = constantFloats(g, w)!;
    const shape = wType.shape as number[];
    // Conv: W[o, ...] is row o. MatMul: output column n is B's last dim, or B's row when transB.
    const rowLen = volume(shape)! / shape[0]!;
    const last = shape[shape.length - 1]!;
    const channelOf = root.op === 'Conv' ? (i: number) => Math.floor(i / rowLen)
      : root.attrs.transB === true ? (i: number) => Math.floor(i / last) % shape[shape.length - 2]! : (i: number) => i % last;
    const scaled = W.map((v, i) => v * affine.s[channelOf(i)]!);
    const bias = b ? constantFloats(g, b)! : new Float64Array(affine.s.length);
    const newBias = bias.map((v, c) => v * affine.s[c]! + affine.t[c]!);
    const constants: Record<string, ConstantTensor> = {};
    const wName = putConstant(ix, root, w, wType.dtype, shape, scaled, constants);
    const inputs = [x, wName];
    if (b || newBias.some((v) => v !== 0)) inputs.push(putConstant(ix, root, b || `${root.name}.bias`, wType.dtype, [affine.s.length], newBias, constants));
    const end = chain[chain.length - 1]!;
    const node = fusedNode([root, ...chain], { op: root.op, inputs, outputs: [end.outputs[0]!], attrs: root.attrs }, g);
    return { replace: new Map([[end.name, node]]), remove: [root.name, ...chain.slice(0, -1).map((n) => n.name)], constants };
  },
};

/** Stores rewritten values under the old name when only `root` reads it, else under a fresh one. */
function putConstant(ix: GraphIndex, root: Node, name: string, dtype: DType, shape: number[], values: Float64Array, out: Record<string, ConstantTensor>): string {
  const g = ix.graph;
  const owned = name in g.constants && (ix.readers.get(name) ?? []).every((n) => n === root) && !ix.outputs.has(name);
  const target = owned ? name : freshIn(g, name in g.constants ? `${name}.folded` : name, new Set(Object.keys(out)));
  out[target] = { type: { dtype, shape }, data: writeFloats(dtype, values) };
  return target;
}

interface BeforeMatch {
  scale: Node;
  x: string;
  convs: Node[];
  affine: Affine;
}

const isPadded = (conv: Node) => [conv.attrs.padsBegin, conv.attrs.padsEnd].some((p) => ((p as number[] | undefined) ?? []).some((v) => v !== 0));

/** Every reader must be a Conv taking the scaled tensor as its data input, and may take the fold. */
const before: Pattern<BeforeMatch> = {
  name: 'FoldAffineBefore',
  match: (ix, scale) => {
    const g = ix.graph;
    const out = scale.outputs[0]!;
    const convs = [...(ix.readers.get(out) ?? [])];
    if (convs.length === 0 || ix.outputs.has(out)) return undefined;
    const fits = (c: Node) => c.op === 'Conv' && !c.inputs[3] && c.inputs[0] === out && c.inputs[1] !== out && isFloatConstant(g, c.inputs[1]!) && (!c.inputs[2] || isFloatConstant(g, c.inputs[2]));
    if (!convs.every(fits)) return undefined;
    const x = scale.op === 'Scale' ? scale.inputs[0]! : scale.inputs.find((v) => !(v in g.constants));
    const channels = g.types[out]!.shape[1];
    if (x === undefined || typeof channels !== 'number') return undefined;
    const affine = affineOf(g, scale, x, 1, channels);
    if (!affine || (affine.t.some((v) => v !== 0) && convs.some(isPadded))) return undefined;
    return { scale, x, convs, affine };
  },
  action: (ix, { scale, x, convs, affine }): Action => {
    const g = ix.graph;
    const constants: Record<string, ConstantTensor> = {};
    const replace = new Map<string, Node>();
    for (const conv of convs) {
      const [, w, b] = conv.inputs as [string, string, string | undefined];
      const wType = g.types[w]!;
      const shape = wType.shape as number[];
      const [cout, cinPerGroup] = shape as [number, number];
      const k = volume(shape.slice(2))!;
      const coutPerGroup = cout / ((conv.attrs.groups as number | undefined) ?? 1);
      const newBias = b ? Float64Array.from(constantFloats(g, b)!) : new Float64Array(cout);
      const scaled = constantFloats(g, w)!.map((v, i) => {
        const o = Math.floor(i / (cinPerGroup * k));
        const c = Math.floor(o / coutPerGroup) * cinPerGroup + (Math.floor(i / k) % cinPerGroup);
        newBias[o] = newBias[o]! + v * affine.t[c]!;
        return v * affine.s[c]!;
      });
      const inputs = [x, putConstant(ix, conv, w, wType.dtype, shape, scaled, constants)];
      if (b || newBias.some((v) => v !== 0)) inputs.push(putConstant(ix, conv, b || `${conv.name}.bias`, wType.dtype, [cout], newBias, constants));
      replace.set(conv.name, fusedNode([scale, conv], { op: 'Conv', inputs, outputs: conv.outputs, attrs: conv.attrs }, g));
    }
    return { replace, remove: [scale.name], constants };
  },
};

export const FoldScaleIntoConv = definePass({
  name: 'FoldScaleIntoConv',
  run: (graph, { logger }) => {
    const out = rewrite(graph, [after, before] as Pattern<unknown>[]);
    if (out !== graph) logger('verbose', `FoldScaleIntoConv: ${graph.nodes.length} -> ${out.nodes.length} layers`);
    return out;
  },
});
