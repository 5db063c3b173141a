// The reference interpreter: runs a graph node by node with plain kernels. It is the
// oracle every optimized path is compared against, so it re-derives each output type
// from the concrete input shapes and checks both the graph's declared types and what
// the kernel returned, rather than trusting either.
import {
  DTYPE_INFO, GraphError, formatType, getOp, inferNode, layerLabel, resolveAttrs,
  type AttrValue, type Attrs, type Graph, type Node, type TensorType,
} from '../ir/index.js';
import { checkInputs, type DimBinder } from './check-inputs.js';
import { getKernel, kernelFail, type KernelContext } from './kernel.js';
import './kernels/index.js';
import type { Tensor } from './tensor.js';

export interface InterpretOptions {
  /** 'outputs' (default) returns the graph outputs; 'all' every input, constant and node output. */
  keep?: 'outputs' | 'all';
}

/** Replaces symbolic dims in 'dims' attributes (Reshape's shape) with their bound sizes. */
function concreteAttrs(node: Node, dims: DimBinder): Attrs {
  const def = getOp(node.op);
  const attrs: Record<string, AttrValue> = { ...resolveAttrs(def, node) };
  for (const [key, spec] of Object.entries(def.attrs)) {
    if (spec.kind !== 'dims') continue;
    attrs[key] = (attrs[key] as (number | string)[]).map((d) => {
      if (typeof d === 'number') return d;
      return dims.value(d) ?? dims.get(d) ?? kernelFail(node, `attribute '${key}' uses '${d}', which no input binds`, key);
    });
  }
  return attrs;
}

function runNode(graph: Graph, node: Node, values: Map<string, Tensor>, dims: DimBinder): void {
  const where = layerLabel(node);
  const inputs = node.inputs.map((name) => {
    if (name === '') return undefined;
    const t = values.get(name);
    if (!t) throw new GraphError(`${where}: input '${name}' is not computed before the layer`, { layer: node.name, op: node.op });
    return t;
  });
  const attrs = concreteAttrs(node, dims);
  const inferred = inferNode({ ...node, attrs }, inputs.map((t) => t && { dtype: t.dtype, shape: t.shape }));
  if (inferred.length !== node.outputs.length) throw new GraphError(`${where}: has ${node.outputs.length} outputs, op gives ${inferred.length}`, { layer: node.name, op: node.op });
  const outputs = inferred.map((t, k) => {
    const name = node.outputs[k]!;
    const declared = graph.types[name];
    const why = !declared ? 'it has no declared type' : declared.dtype !== t.dtype ? `dtype ${t.dtype} is not ${declared.dtype}` : dims.unify(declared.shape, t.shape as number[], `output '${name}'`);
    if (why) {
      throw new GraphError(`${where}: output '${name}' is declared ${declared ? formatType(declared) : '?'} but computes to ${formatType(t)}: ${why}`, { layer: node.name, op: node.op, expected: declared && formatType(declared), received: formatType(t) });
    }
    return { dtype: t.dtype, shape: t.shape as number[] };
  });

  const kernel = getKernel(node.op) ?? kernelFail(node, `the interpreter has no kernel for ${node.op}`);
  const ctx: KernelContext = { node, attrs, inputs, outputs, fail: (m, argument) => kernelFail(node, m, argument) };
  const results = kernel.fn(ctx);
  results.forEach((r, k) => checkResult(node, r, outputs[k]!));
  node.outputs.forEach((name, k) => values.set(name, results[k]!));
}

/** A kernel that returns the wrong type is an interpreter bug; say so at the layer. */
function checkResult(node: Node, r: Tensor, want: TensorType): void {
  const n = (want.shape as number[]).reduce((a, b) => a * b, 1);
  const ok = r.dtype === want.dtype && formatType(r) === formatType(want) && r.data instanceof DTYPE_INFO[r.dtype].array && r.data.length === n;
  if (!ok) kernelFail(node, `kernel returned ${formatType(r)} (${r.data.constructor.name} of ${r.data.length}), expected ${formatType(want)}`);
}

/**
 * Runs `graph` on `inputs`. Throws KilnError 'KILN_INPUT' when an input is missing,
 * unknown, or of the wrong dtype/shape (symbolic dims bind to the sizes given).
 */
export function interpret(graph: Graph, inputs: Readonly<Record<string, Tensor>>, options: InterpretOptions = {}): Record<string, Tensor> {
  const dims = checkInputs(graph, inputs);
  const values = new Map<string, Tensor>();
  for (const name of graph.inputs) values.set(name, inputs[name]!);
  for (const [name, c] of Object.entries(graph.constants)) {
    values.set(name, { dtype: c.type.dtype, shape: c.type.shape as number[], data: c.data });
  }
  for (const node of graph.nodes) runNode(graph, node, values, dims);

  if (options.keep === 'all') return Object.fromEntries(values);
  return Object.fromEntries(graph.outputs.map((o) => {
    const t = values.get(o);
    if (!t) throw new GraphError(`output '${o}' is not defined by any layer, input or constant`);
    return [o, t];
  }));
}
