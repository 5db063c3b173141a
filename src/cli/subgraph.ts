// Subgraphs of a kiln graph, for `kiln surgeon extract` and `kiln debug reduce`: the
// layers between named tensors (walking back from the outputs and stopping at the
// inputs), and the layers a set of kept nodes needs. Types come from the graph's
// inference, so a cut tensor becomes a graph input of the type it had.
import { makeGraph, verify, type Graph, type Node } from '../ir/index.js';
import { UsageError } from './errors.js';

/** Where each tensor can be found, for messages that list what exists. */
function describeMissing(graph: Graph, name: string, flag: string): UsageError {
  const known = graph.nodes.flatMap((n) => n.outputs).concat(graph.inputs);
  const near = known.filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
  const folded = name in graph.constants ? ` ('${name}' is a constant: the importer folded it)` : '';
  return new UsageError(`${flag} names '${name}', which is no tensor of the model${folded}${near.length ? `; similar: ${near.join(', ')}` : ''}; list the tensors with kiln build MODEL --verbose`);
}

/** The layers computing `outputs` from `inputs` (cut points), with the cut tensors as graph inputs. */
export function extractSubgraph(graph: Graph, inputs: readonly string[], outputs: readonly string[]): Graph {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const exists = (v: string) => producer.has(v) || graph.inputs.includes(v);
  for (const v of inputs) if (!exists(v)) throw describeMissing(graph, v, '--inputs');
  for (const v of outputs) if (!exists(v)) throw describeMissing(graph, v, '--outputs');
  if (outputs.length === 0) throw new UsageError('--outputs names no tensor; e.g. --outputs logits');

  const cut = new Set(inputs);
  const keep = new Set<Node>();
  const reached = new Set<string>();
  const stack = [...outputs];
  const via = new Map<string, string>();
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (reached.has(v)) continue;
    reached.add(v);
    if (cut.has(v) || v in graph.constants) continue;
    const p = producer.get(v);
    if (!p) {
      const from = outputs.includes(v) ? '' : ` (reached from '${via.get(v) ?? '?'}')`;
      throw new UsageError(`the outputs depend on model input '${v}'${from}, which --inputs does not name; add it: --inputs ${[...inputs, v].join(',')}`);
    }
    keep.add(p);
    for (const i of p.inputs) {
      if (i === '' || reached.has(i)) continue;
      via.set(i, p.name);
      stack.push(i);
    }
  }
  const unused = inputs.filter((v) => !reached.has(v));
  if (unused.length) throw new UsageError(`--inputs names ${unused.map((v) => `'${v}'`).join(', ')}, which the outputs do not depend on; drop ${unused.length === 1 ? 'it' : 'them'}`);
  return subgraphOf(graph, graph.nodes.filter((n) => keep.has(n)), inputs, outputs);
}

/** A graph of `nodes` (in graph order) with the given interface; constants they read come along. */
export function subgraphOf(graph: Graph, nodes: readonly Node[], inputs: readonly string[], outputs: readonly string[]): Graph {
  const used = new Set(nodes.flatMap((n) => n.inputs).concat(outputs));
  const values = new Set([...inputs, ...nodes.flatMap((n) => n.outputs), ...outputs]);
  const types = Object.fromEntries([...values, ...used].filter((v) => v !== '' && graph.types[v]).map((v) => [v, graph.types[v]!]));
  const constants = Object.fromEntries(Object.entries(graph.constants).filter(([k]) => used.has(k)));
  const g = makeGraph({ inputs: [...inputs], outputs: [...outputs], nodes: [...nodes], types, constants });
  verify(g);
  return g;
}

/**
 * The subgraph that keeps `nodes` (a subset of the graph's, in order): every value a
 * kept node reads that no kept node makes becomes an input (constants stay constants);
 * outputs are the kept values that the original graph outputs or a dropped node reads,
 * or, when there are none, the last kept node's outputs.
 */
export function keepNodes(graph: Graph, nodes: readonly Node[]): Graph {
  const kept = new Set(nodes);
  const made = new Set(nodes.flatMap((n) => n.outputs));
  const inputs: string[] = [];
  for (const n of nodes) {
    for (const i of n.inputs) if (i !== '' && !made.has(i) && !(i in graph.constants) && !inputs.includes(i)) inputs.push(i);
  }
  const readOutside = new Set(graph.nodes.filter((n) => !kept.has(n)).flatMap((n) => n.inputs));
  let outputs = [...made].filter((v) => graph.outputs.includes(v) || readOutside.has(v));
  if (outputs.length === 0 && nodes.length > 0) outputs = nodes[nodes.length - 1]!.outputs.filter((o) => o !== '');
  return subgraphOf(graph, nodes, inputs, outputs);
}
