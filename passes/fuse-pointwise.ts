// FusePointwise (vertical fusion): a group of elementwise layers, each feeding the
// next, becomes one Pointwise layer whose program lists them (src/ir/ops/fused.ts):
// one kernel reads the group's inputs once and writes one output, instead of one
// launch and one intermediate tensor per layer.
//
//   x ─► Mul(c) ─► Add(y) ─► Sigmoid ─► z      x, c, y ─► Pointwise[Mul, Add, Sigmoid] ─► z
//
// Design note, in steps:
//  1. A layer may join when its op may appear in a program (elementwise group, one or
//     two inputs, float attributes only) and all its values share one float dtype.
//  2. Join a layer with the producer of an input when that producer may join too and
//     this layer is the only reader of its output (no graph output): then the value
//     never leaves the group. Union-find over those edges gives the groups.
//  3. Each producer joins through its one reader, so a group is an in-tree: its last
//     layer (the root) is the only one whose output leaves. The Pointwise layer takes
//     the root's place and output name; everything it reads is defined before it.
//  4. Registers: the group's outside inputs (each once), then one per layer in graph
//     order. Groups of one layer stay as they are: there is nothing to save.
// Runs after FuseEpilogues, so activations a Conv/MatMul can absorb are gone first.
import { getOp, pointwiseAttrNames, resolveAttrs, type Node } from '../src/ir/index.js';
import { definePass } from './pass.js';
import { applyAction, fusedNode, indexGraph, type GraphIndex } from './rewrite.js';

/** Step 1. */
function mayJoin(ix: GraphIndex, node: Node): boolean {
  if (node.outputs.length !== 1 || pointwiseAttrNames(node.op) === undefined || node.inputs.some((i) => i === '')) return false;
  const dtype = ix.graph.types[node.outputs[0]!]!.dtype;
  return (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16') && node.inputs.every((i) => ix.graph.types[i]!.dtype === dtype);
}

/** Steps 2-3: groups of two or more layers, each listed in graph order (root last). */
function findGroups(ix: GraphIndex): Node[][] {
  const parent = new Map<string, string>();
  const find = (n: string): string => {
    let r = n;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(n, r);
    return r;
  };
  const joins = new Set(ix.graph.nodes.filter((n) => mayJoin(ix, n)).map((n) => n.name));
  for (const n of joins) parent.set(n, n);
  for (const node of ix.graph.nodes) {
    if (!joins.has(node.name)) continue;
    for (const v of node.inputs) {
      const p = ix.producer.get(v);
      const onlyHere = !ix.outputs.has(v) && (ix.readers.get(v) ?? []).every((r) => r === node);
      if (p && joins.has(p.name) && onlyHere) parent.set(find(p.name), find(node.name));
    }
  }
  const groups = new Map<string, Node[]>();
  for (const node of ix.graph.nodes) {
    if (!joins.has(node.name)) continue;
    const root = find(node.name);
    groups.set(root, [...(groups.get(root) ?? []), node]);
  }
  return [...groups.values()].filter((g) => g.length >= 2);
}

/** Step 4: the Pointwise layer standing for a group. */
function pointwiseNode(ix: GraphIndex, group: readonly Node[]): Node {
  const inside = new Map(group.map((n, i) => [n.outputs[0]!, i]));
  const outside = [...new Set(group.flatMap((n) => n.inputs).filter((v) => !inside.has(v)))];
  const reg = (v: string) => (inside.has(v) ? outside.length + inside.get(v)! : outside.indexOf(v));
  const ops: string[] = [];
  const args: number[] = [];
  const params: number[] = [];
  for (const n of group) {
    const attrs = resolveAttrs(getOp(n.op), n);
    const names = pointwiseAttrNames(n.op)!;
    ops.push(n.op);
    args.push(reg(n.inputs[0]!), n.inputs.length > 1 ? reg(n.inputs[1]!) : -1);
    params.push(...[0, 1].map((k) => (names[k] !== undefined ? (attrs[names[k]!] as number) : 0)));
  }
  const root = group[group.length - 1]!;
  return fusedNode(group, { op: 'Pointwise', inputs: outside, outputs: root.outputs, attrs: { ops, args, params } }, ix.graph);
}

export const FusePointwise = definePass({
  name: 'FusePointwise',
  run: (graph, { logger }) => {
    const ix = indexGraph(graph);
    const groups = findGroups(ix);
    if (groups.length === 0) return graph;
    const replace = new Map(groups.map((g) => [g[g.length - 1]!.name, pointwiseNode(ix, g)]));
    const remove = groups.flatMap((g) => g.slice(0, -1).map((n) => n.name));
    logger('verbose', `FusePointwise: ${groups.length} group(s) of ${groups.map((g) => g.length).join(', ')} layers`);
    return applyAction(graph, { replace, remove });
  },
});
