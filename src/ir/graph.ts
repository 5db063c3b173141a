// The immutable graph. Values are named tensors (graph inputs, constants, node
// outputs); nodes are kept in topological order. Graphs are frozen with immer, so a
// pass that changes nothing can return the very same object, and `edit` gives passes
// structural sharing for free.
import { freeze, produce, type Draft } from 'immer';
import type { TypedArray } from './dtype.js';
import type { Dim, TensorType } from './shape.js';

export type AttrValue = number | string | boolean | readonly number[] | readonly string[] | readonly Dim[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  /** Unique layer name; fused layers read `conv1 + relu`. */
  readonly name: string;
  readonly op: string;
  /** Value names; '' marks an absent optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
  /** Names of the original layers this node stands for, when a pass fused several. */
  readonly fused?: readonly string[];
}

export interface ConstantTensor {
  readonly type: TensorType;
  readonly data: TypedArray;
}

export interface Graph {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly Node[];
  /** The type of every value: inputs, constants and node outputs. */
  readonly types: Readonly<Record<string, TensorType>>;
  readonly constants: Readonly<Record<string, ConstantTensor>>;
}

export function makeGraph(g: Graph): Graph {
  return freeze(g, true);
}

export const emptyGraph: Graph = makeGraph({ inputs: [], outputs: [], nodes: [], types: {}, constants: {} });

/** Applies a recipe to a draft; returns the same graph when the recipe changed nothing. */
export function edit(graph: Graph, recipe: (draft: Draft<Graph>) => void): Graph {
  return produce(graph, recipe);
}

/** Which node produces each value (graph inputs and constants have none). */
export function producers(graph: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}

/** The nodes reading each value, in graph order. */
export function consumers(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (i === '') continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

export function typeOf(graph: Graph, value: string): TensorType {
  const t = graph.types[value];
  if (!t) throw new Error(`graph has no value '${value}'`);
  return t;
}

/** A fresh value or layer name, derived from `base`, not yet used in the graph. */
export function freshName(taken: ReadonlySet<string> | ((n: string) => boolean), base: string): string {
  const has = typeof taken === 'function' ? taken : (n: string) => taken.has(n);
  if (!has(base)) return base;
  for (let i = 1; ; i++) if (!has(`${base}_${i}`)) return `${base}_${i}`;
}
