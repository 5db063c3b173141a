// FuseEpilogues: folds a bias Add and an activation into the Conv, ConvTranspose or MatMul that
// feeds them, so codegen emits one kernel with a fused epilogue instead of up to
// three kernels and two intermediate tensors.
//
//   x ─► MatMul ─► Add(b) ─► Relu ─► y        x ─► MatMul[bias b, activation relu] ─► y
//        'fc1'    'fc1.bias_add' 'relu1'  ==>      'fc1 + bias + relu1'
//
// Each link must be the only reader of the value before it, and that value must not
// be a network output: fusing would otherwise drop a tensor someone still reads.
// Written as selector (read-only matching) + check + action (one edit), so nothing
// changes unless a match succeeded, and the action is plain data.
import {
  ACTIVATIONS, consumers, edit, freshName, getOp, resolveAttrs, typesEqual,
  type Graph, type Node,
} from '../src/ir/index.js';
import { castDraft } from 'immer';
import { definePass } from './pass.js';
import { fusedNode, indexGraph, rewritePass, soleReader, type GraphIndex, type Pattern } from './rewrite.js';

interface BiasLink {
  add: Node;
  constant: string;
  /** A [1,N] constant must become [N], the shape MatMul's bias input takes. */
  flatten: boolean;
}

interface Match {
  root: Node;
  bias?: BiasLink;
  activation?: Node;
}

type Index = GraphIndex;

const hasNoActivation = (n: Node) => (n.attrs.activation ?? 'none') === 'none';

/** Check: MatMul without bias or activation, read only by Add(mm, c) with c a constant [N] or [1,N]. */
function matchBias(ix: Index, root: Node): BiasLink | undefined {
  if (root.op !== 'MatMul' || (root.inputs[2] ?? '') !== '' || !hasNoActivation(root)) return undefined;
  const out = root.outputs[0]!;
  const add = soleReader(ix, out);
  if (add?.op !== 'Add') return undefined;
  const constant = add.inputs[0] === out ? add.inputs[1]! : add.inputs[0]!;
  const c = ix.graph.constants[constant];
  const mm = ix.graph.types[out]!;
  const n = mm.shape[mm.shape.length - 1];
  if (!c || typeof n !== 'number' || c.type.dtype !== mm.dtype) return undefined;
  const shape = c.type.shape;
  const fits = (shape.length === 1 && shape[0] === n) || (shape.length === 2 && shape[0] === 1 && shape[1] === n);
  // The Add must not broadcast the product to a bigger shape: then it is no epilogue.
  if (!fits || !typesEqual(ix.graph.types[add.outputs[0]!]!, mm)) return undefined;
  return { add, constant, flatten: shape.length === 2 };
}

/** Check: the value is read only by an activation layer with an epilogue equivalent. */
function matchActivation(ix: Index, root: Node, value: string): Node | undefined {
  if (!hasNoActivation(root)) return undefined;
  const act = soleReader(ix, value);
  return act && getOp(act.op).group === 'activation' && ACTIVATIONS[act.op] ? act : undefined;
}

/** Selector: every fusable chain. Chains are disjoint: each starts at its own Conv/MatMul and follows sole-reader edges. */
function select(graph: Graph): Match[] {
  const ix = indexGraph(graph);
  const matches: Match[] = [];
  for (const root of graph.nodes) {
    if (root.op !== 'Conv' && root.op !== 'ConvTranspose' && root.op !== 'MatMul') continue;
    const bias = matchBias(ix, root);
    const tail = bias ? bias.add.outputs[0]! : root.outputs[0]!;
    const activation = matchActivation(ix, root, tail);
    if (bias || activation) matches.push({ root, bias, activation });
  }
  return matches;
}

/** Action: the fused node replaces the root; the chain's last value keeps its name, so readers and outputs stay wired. */
function apply(graph: Graph, matches: readonly Match[]): Graph {
  const layerNames = new Set(graph.nodes.map((n) => n.name));
  const readers = consumers(graph);
  const valueTaken = (v: string) => v in graph.types || layerNames.has(v);
  return edit(graph, (g) => {
    const removed = new Set<string>();
    const replaced = new Map<string, Node>();
    for (const { root, bias, activation } of matches) {
      const labels = [root.name];
      const fused = [...(root.fused ?? [root.name])];
      // A bias is only fused into a MatMul without one, so its inputs become [a, b, bias]
      // (and a residual FuseResidualAdds gave it stays last: + bias commutes with + residual).
      const inputs = bias ? root.inputs.slice(0, 2) : [...root.inputs];
      const attrs = { ...root.attrs };
      const dropValues = [root.outputs[0]!];
      if (bias) {
        let b = bias.constant;
        if (bias.flatten) {
          const c = graph.constants[b]!;
          const last = c.type.shape[1]!;
          b = freshName((v) => valueTaken(v) || v in g.types, `${b}.flat`);
          g.constants[b] = { type: { dtype: c.type.dtype, shape: [last] }, data: c.data.slice() };
          g.types[b] = { dtype: c.type.dtype, shape: [last] };
          if (readers.get(bias.constant)!.length === 1 && !graph.outputs.includes(bias.constant)) {
            delete g.constants[bias.constant];
            delete g.types[bias.constant];
          }
        }
        inputs.push(b, ...root.inputs.slice(3));
        labels.push('bias');
        fused.push(...(bias.add.fused ?? [bias.add.name]));
        removed.add(bias.add.name);
        if (activation) dropValues.push(bias.add.outputs[0]!);
      }
      if (activation) {
        // Defaults filled in: an imported LeakyRelu may leave alpha out.
        const [alpha, beta] = ACTIVATIONS[activation.op]!.params(resolveAttrs(getOp(activation.op), activation));
        Object.assign(attrs, { activation: ACTIVATIONS[activation.op]!.epilogue, alpha, beta });
        labels.push(activation.name);
        fused.push(...(activation.fused ?? [activation.name]));
        removed.add(activation.name);
      }
      const last = activation ?? bias!.add;
      const name = freshName(layerNames, labels.join(' + '));
      layerNames.add(name);
      replaced.set(root.name, { name, op: root.op, inputs, outputs: [last.outputs[0]!], attrs, fused });
      for (const v of dropValues) delete g.types[v];
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n.name)).map((n) => castDraft(replaced.get(n.name)) ?? n);
  });
}

export const FuseEpilogues = definePass({
  name: 'FuseEpilogues',
  run: (graph, { logger }) => {
    const matches = select(graph);
    if (matches.length === 0) return graph;
    const out = apply(graph, matches);
    logger('verbose', `FuseEpilogues: fused ${matches.length} chain(s): ${matches.map((m) => [m.root.name, m.bias?.add.name, m.activation?.name].filter(Boolean).join(' -> ')).join('; ')}`);
    return out;
  },
});

// FuseResidualAdds: the skip connection of a residual block (TensorRT's conv + bias +
// add + relu) joins the epilogue of the Conv or MatMul that feeds it:
//
//   x ─► Conv ─► Add ◄── r        x ─► Conv[residual r, activation relu] ─► y
//              └► Relu ─► y  ==>      'conv2 + bias + add1 + relu1'
//
// y = act(conv(x) + b + r): the Add's other operand must have the conv output's exact
// type (no broadcast), the conv output must be read by the Add alone, and the root must
// not have an activation yet (it would apply before the add). A Relu (any epilogue
// activation) read only after the Add is fused too. The fused layer stands where the
// last fused layer stood, so r is computed before it. Separate from FuseEpilogues so a
// target whose kernels lack the residual input can leave it out by name.
interface ResidualMatch {
  root: Node;
  add: Node;
  residual: string;
  activation?: Node;
}

/** Check: `value` comes from a Conv/MatMul without residual or activation, read only by `add`. */
function residualRoot(ix: GraphIndex, add: Node, value: string, other: string): Node | undefined {
  const root = ix.producer.get(value);
  if (!root || (root.op !== 'Conv' && root.op !== 'MatMul') || root.inputs[3] || !hasNoActivation(root)) return undefined;
  if (other === value || soleReader(ix, value) !== add) return undefined;
  const g = ix.graph;
  return typesEqual(g.types[other]!, g.types[value]!) && typesEqual(g.types[add.outputs[0]!]!, g.types[value]!) ? root : undefined;
}

const residualAdd: Pattern<ResidualMatch> = {
  name: 'FuseResidualAdd',
  match: (ix, add) => {
    if (add.op !== 'Add') return undefined;
    const [a, b] = add.inputs as [string, string];
    // Both operands may qualify (a downsampling block adds two convs): take the later
    // one, whose output then never waits for the other branch.
    const order = ix.graph.nodes;
    const candidates = [[a, b], [b, a]]
      .map(([v, r]) => ({ root: residualRoot(ix, add, v!, r!), residual: r! }))
      .filter((c) => c.root)
      .sort((p, q) => order.indexOf(q.root!) - order.indexOf(p.root!));
    const best = candidates[0];
    if (!best) return undefined;
    const next = soleReader(ix, add.outputs[0]!);
    const activation = next && getOp(next.op).group === 'activation' && ACTIVATIONS[next.op] ? next : undefined;
    return { root: best.root!, add, residual: best.residual, activation };
  },
  action: (ix, { root, add, residual, activation }) => {
    const attrs = { ...root.attrs };
    if (activation) {
      const [alpha, beta] = ACTIVATIONS[activation.op]!.params(resolveAttrs(getOp(activation.op), activation));
      Object.assign(attrs, { activation: ACTIVATIONS[activation.op]!.epilogue, alpha, beta });
    }
    const last = activation ?? add;
    const inputs = [root.inputs[0]!, root.inputs[1]!, root.inputs[2] ?? '', residual];
    const parts = activation ? [root, add, activation] : [root, add];
    const fused = fusedNode(parts, { op: root.op, inputs, outputs: [last.outputs[0]!], attrs }, ix.graph);
    return { replace: new Map([[last.name, fused]]), remove: parts.filter((n) => n !== last).map((n) => n.name) };
  },
};

const residualAdds = rewritePass('FuseResidualAdds', [residualAdd]);

// A bias Add or activation after the skip Add (act(conv + r + b)) only becomes adjacent to
// the layer once the Add is in, after FuseEpilogues ran: take those tails here, for layers
// with a residual only, so one pipeline run reaches the fixpoint (the pipeline is idempotent).
export const FuseResidualAdds = definePass({
  name: 'FuseResidualAdds',
  run: (graph, ctx) => {
    const out = residualAdds.run(graph, ctx);
    if (out === graph) return graph;
    const tails = select(out).filter((m) => m.root.inputs[3]);
    return tails.length === 0 ? out : apply(out, tails);
  },
});
