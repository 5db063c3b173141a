// Tiny graphs for interpreter tests, built straight on src/ir (the DSL lives
// elsewhere and is still moving): list the nodes and input types, and inference
// fills in every other type.
import { expect } from 'vitest';
import { inferNode, makeGraph, type Attrs, type ConstantTensor, type Graph, type Node, type TensorType } from '../../src/ir/index.js';
import { interpret, tensorValues, type Tensor } from '../../src/interpret/index.js';

export interface NodeSpec {
  op: string;
  inputs: string[];
  /** Defaults to the node's name. */
  outputs?: string[];
  /** Defaults to `${op}_${index}`. */
  name?: string;
  attrs?: Attrs;
}

export interface GraphSpec {
  inputs?: Record<string, TensorType>;
  constants?: Record<string, Tensor>;
  nodes: NodeSpec[];
  /** Defaults to the outputs of the last node. */
  outputs?: string[];
}

export function buildGraph(spec: GraphSpec): Graph {
  const types: Record<string, TensorType> = { ...(spec.inputs ?? {}) };
  const constants: Record<string, ConstantTensor> = {};
  for (const [name, t] of Object.entries(spec.constants ?? {})) {
    constants[name] = { type: { dtype: t.dtype, shape: t.shape }, data: t.data };
    types[name] = { dtype: t.dtype, shape: t.shape };
  }
  const nodes: Node[] = spec.nodes.map((s, i) => {
    const name = s.name ?? `${s.op}_${i}`;
    const node: Node = { name, op: s.op, inputs: s.inputs, outputs: s.outputs ?? [name], attrs: s.attrs ?? {} };
    const outTypes = inferNode(node, node.inputs.map((v) => (v === '' ? undefined : types[v])));
    node.outputs.forEach((o, k) => (types[o] = outTypes[k]!));
    return node;
  });
  const outputs = spec.outputs ?? nodes[nodes.length - 1]!.outputs;
  return makeGraph({ inputs: Object.keys(spec.inputs ?? {}), outputs: [...outputs], nodes, types, constants });
}

/** Runs one op on the given tensors (undefined = absent optional input) and returns its output. */
export function runOp(op: string, inputs: (Tensor | undefined)[], attrs: Attrs = {}): Tensor {
  const names = inputs.map((t, i) => (t ? `in${i}` : ''));
  const given: Record<string, Tensor> = {};
  const types: Record<string, TensorType> = {};
  inputs.forEach((t, i) => {
    if (!t) return;
    given[`in${i}`] = t;
    types[`in${i}`] = { dtype: t.dtype, shape: t.shape };
  });
  const graph = buildGraph({ inputs: types, nodes: [{ op, inputs: names, name: 'y', attrs }] });
  return interpret(graph, given).y!;
}

/** Asserts dtype, shape and values (to `digits` decimals, 6 unless told). */
export function expectTensor(t: Tensor, dtype: string, shape: number[], values: number[], digits = 6): void {
  expect(t.dtype).toBe(dtype);
  expect(t.shape).toEqual(shape);
  const got = tensorValues(t);
  expect(got.length).toBe(values.length);
  got.forEach((v, i) => {
    if (Number.isNaN(values[i]!)) expect(v, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(values[i]!)) expect(v, `element ${i}`).toBe(values[i]);
    else expect(v, `element ${i}`).toBeCloseTo(values[i]!, digits);
  });
}

/** The thrown error, for asserting message and code together. */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the call to throw');
}
