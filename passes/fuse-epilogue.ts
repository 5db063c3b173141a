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

interface Index {
  graph: Graph;
  readers: Map<string, Node[]>;
  outputs: Set<string>;
}

/** The one layer reading `value`, when fusing across it drops nothing anybody else needs. */
function soleReader(ix: Index, value: string): Node | undefined {
  const readers = ix.readers.get(value) ?? [];
  return readers.length === 1 && !ix.outputs.has(value) ? readers[0] : undefined;
}

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
  const ix: Index = { graph, readers: consumers(graph), outputs: new Set(graph.outputs) };
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
      // A bias is only fused into a MatMul without one, so its inputs become [a, b, bias].
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
        inputs.push(b);
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
