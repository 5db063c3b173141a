// The pattern rewriter most passes are written with (ONNX Runtime's selector/action
// split, MLIR's "nothing changes before a match succeeds"). A pattern is a read-only
// `match` over an index of the graph plus an `action` that describes the change as
// plain data; `rewrite` applies one action at a time and re-matches until no pattern
// matches, so a pass built on it is idempotent by construction and returns the very
// same graph object when nothing matched.
//
// Design note, in steps (what `applyAction` does, sharing every untouched node and constant):
//  1. Add the action's constants (a folded weight, a composed bias) and the types of
//     values its new layers define.
//  2. Put each replacement node where the layer it replaces stood; the caller picks
//     the last layer of a pattern, so everything the new node reads is defined earlier.
//  3. Remove the layers the action names, and the types of values nobody defines now.
//  4. Forward values: readers of `from` read `to`. When `from` is a graph output its
//     name is part of the interface, so instead `to` (a layer output, checked by
//     `canForward`) is renamed to `from` everywhere.
//  5. Drop constants that only the removed or replaced layers read.
import {
  consumers, freshName, makeGraph, producers, typesEqual,
  type ConstantTensor, type Graph, type Node, type TensorType,
} from '../src/ir/index.js';
import { isFloatDType, readFloats } from '../src/interpret/index.js';
import { PassError, definePass, type Pass } from './pass.js';

export interface GraphIndex {
  readonly graph: Graph;
  readonly readers: ReadonlyMap<string, readonly Node[]>;
  readonly producer: ReadonlyMap<string, Node>;
  readonly outputs: ReadonlySet<string>;
}

export function indexGraph(graph: Graph): GraphIndex {
  return { graph, readers: consumers(graph), producer: producers(graph), outputs: new Set(graph.outputs) };
}

export interface Action {
  /** Layer name -> the node (or nodes, in order) that take its place and position. */
  readonly replace?: ReadonlyMap<string, Node | readonly Node[]>;
  readonly remove?: readonly string[];
  /** Value -> the value its readers read instead (the removed layer computed the same). */
  readonly forward?: ReadonlyMap<string, string>;
  readonly constants?: Readonly<Record<string, ConstantTensor>>;
  /** Types of values the new layers define (a layer output a replacement keeps needs none). */
  readonly types?: Readonly<Record<string, TensorType>>;
}

export interface Pattern<M> {
  readonly name: string;
  /** Read-only: the match rooted at `node`, or undefined. */
  match(ix: GraphIndex, node: Node): M | undefined;
  action(ix: GraphIndex, match: M): Action;
}

/** The one layer reading `value`, when rewriting across it drops nothing anybody else needs. */
export function soleReader(ix: GraphIndex, value: string): Node | undefined {
  const readers = ix.readers.get(value) ?? [];
  return readers.length === 1 && !ix.outputs.has(value) ? readers[0] : undefined;
}

/** True when every reader of `value` is one of `nodes` and it is no graph output. */
export function readOnlyBy(ix: GraphIndex, value: string, nodes: readonly Node[]): boolean {
  return !ix.outputs.has(value) && (ix.readers.get(value) ?? []).every((r) => nodes.includes(r));
}

/** A float constant's values as f64, or undefined when `value` is no float constant. */
export function constantFloats(graph: Graph, value: string): Float64Array | undefined {
  const c = graph.constants[value];
  return c && isFloatDType(c.type.dtype) ? readFloats({ dtype: c.type.dtype, shape: c.type.shape as number[], data: c.data }) : undefined;
}

/** True when `value` is a float constant whose every element equals `x`. */
export function isSplat(graph: Graph, value: string, x: number): boolean {
  const c = graph.constants[value];
  if (!c || !isFloatDType(c.type.dtype) || c.data.length === 0) return false;
  // Decodes only the first element before giving up: most weights are no splat, and
  // matchers ask this of every large weight on every rewrite step.
  const first = readFloats({ dtype: c.type.dtype, shape: [1], data: c.data.subarray(0, 1) })[0];
  return first === x && constantFloats(graph, value)!.every((e) => e === x);
}

/** The single number a float constant of one element holds. */
export function scalarOf(graph: Graph, value: string): number | undefined {
  const v = constantFloats(graph, value);
  return v && v.length === 1 ? v[0] : undefined;
}

/**
 * Whether readers of `from` may read `to` instead: same type, and when `from` is a
 * graph output, `to` must be a layer output that can take the output's name.
 */
export function canForward(ix: GraphIndex, from: string, to: string): boolean {
  const g = ix.graph;
  if (!typesEqual(g.types[from]!, g.types[to]!)) return false;
  if (!ix.outputs.has(from)) return true;
  return ix.producer.has(to) && !ix.outputs.has(to);
}

/** A fresh layer or value name, unused in `graph` and not in `extra`. */
export function freshIn(graph: Graph, base: string, extra: ReadonlySet<string> = new Set()): string {
  const layers = new Set(graph.nodes.map((n) => n.name));
  return freshName((n) => n in graph.types || layers.has(n) || extra.has(n), base);
}

/** `conv1 + scale1` (or `conv1 || conv2` side by side): the name and `fused` list of a layer standing for several. */
export function fusedNode(parts: readonly Node[], node: Omit<Node, 'name' | 'fused'>, graph: Graph, separator = ' + '): Node {
  const fused = parts.flatMap((p) => p.fused ?? [p.name]);
  const taken = new Set(graph.nodes.map((n) => n.name));
  for (const p of parts) taken.delete(p.name);
  return { ...node, name: freshName(taken, parts.map((p) => p.name).join(separator)), fused };
}

/** Steps 1-5 of the design note. */
export function applyAction(graph: Graph, action: Action): Graph {
  const removed = new Set(action.remove ?? []);
  const replace = action.replace ?? new Map<string, Node | readonly Node[]>();
  const forward = action.forward ?? new Map<string, string>();
  const touched = graph.nodes.filter((n) => removed.has(n.name) || replace.has(n.name));
  const outputs = new Set(graph.outputs);
  const follow = (v: string): string => {
    for (let seen = 0; forward.has(v) && !outputs.has(v); seen++) {
      if (seen > forward.size) throw new PassError('rewrite', `forwarding cycle through value '${v}'`);
      v = forward.get(v)!;
    }
    return v;
  };
  // Forwarding into a graph output renames the source value instead (step 4).
  const rename = new Map<string, string>();
  for (const [from, to] of forward) if (outputs.has(from)) rename.set(follow(to), from);
  const resolve = (v: string): string => {
    const w = follow(v);
    return rename.get(w) ?? w;
  };
  // Plain copies of the two records, not an immer draft: drafting a graph's constants
  // costs more than the whole rewrite on a model with hundreds of weights.
  const types: Record<string, TensorType> = { ...graph.types };
  const constants: Record<string, ConstantTensor> = { ...graph.constants };
  for (const [name, c] of Object.entries(action.constants ?? {})) {
    constants[name] = c;
    types[name] = c.type;
  }
  Object.assign(types, action.types ?? {});
  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    if (removed.has(n.name)) continue;
    const put = replace.get(n.name) ?? n;
    for (const node of Array.isArray(put) ? (put as readonly Node[]) : [put as Node]) {
      const inputs = node.inputs.map((i) => (i === '' ? i : resolve(i)));
      const outs = node.outputs.map((o) => rename.get(o) ?? o);
      const same = node === n && inputs.every((v, i) => v === n.inputs[i]) && outs.every((v, i) => v === n.outputs[i]);
      nodes.push(same ? n : { ...node, inputs, outputs: outs });
    }
  }
  const defined = new Set([...graph.inputs, ...Object.keys(constants), ...nodes.flatMap((n) => n.outputs)]);
  for (const n of touched) for (const o of n.outputs) if (!defined.has(o)) delete types[o];
  for (const [source, output] of rename) {
    types[output] = types[source]!;
    delete types[source];
  }
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const v of new Set(touched.flatMap((n) => n.inputs))) {
    if (v in constants && !read.has(v) && !outputs.has(v)) {
      delete constants[v];
      delete types[v];
    }
  }
  const unchanged = nodes.length === graph.nodes.length && nodes.every((n, i) => n === graph.nodes[i]) && Object.keys(action.constants ?? {}).length === 0 && Object.keys(action.types ?? {}).length === 0;
  return unchanged ? graph : makeGraph({ ...graph, nodes, types, constants });
}

/** Applies the first match of any pattern, again and again, until none matches. */
export function rewrite(graph: Graph, patterns: readonly Pattern<unknown>[], maxSteps = 100_000): Graph {
  let current = graph;
  for (let step = 0; step < maxSteps; step++) {
    const ix = indexGraph(current);
    let next: Graph | undefined;
    for (const node of current.nodes) {
      for (const p of patterns) {
        const m = p.match(ix, node);
        if (m === undefined) continue;
        next = applyAction(current, p.action(ix, m));
        break;
      }
      if (next) break;
    }
    if (!next || next === current) return current;
    current = next;
  }
  throw new PassError(patterns.map((p) => p.name).join('/'), `rewriting did not finish within ${maxSteps} steps`);
}

/** A pass that rewrites with `patterns` until none matches, logging the layer count when it changed. */
export function rewritePass<M>(name: string, patterns: readonly Pattern<M>[]): Pass {
  return definePass({
    name,
    run: (graph, { logger }) => {
      const out = rewrite(graph, patterns as readonly Pattern<unknown>[]);
      if (out !== graph) logger('verbose', `${name}: ${graph.nodes.length} -> ${out.nodes.length} layers`);
      return out;
    },
  });
}
