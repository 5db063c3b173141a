// The verifier: the invariants every graph holds between passes. It re-runs type
// inference on every node, so a pass that rewires a graph into nonsense is caught
// at the pass that did it.
import { DTYPE_INFO } from './dtype.js';
import { GraphError } from './errors.js';
import type { Graph } from './graph.js';
import { hasOp, inferNode, layerLabel, type ShapeNeed } from './op-registry.js';
import { formatType, typesEqual, volume, type TensorType } from './shape.js';
import { canonicalDim } from './dim-expr.js';

export interface VerifyOptions {
  /** Receives the conditions on symbolic dims that hold only for some sizes. */
  needs?: ShapeNeed[];
}

/** Every symbolic dim must be canonical text, so equal dims compare equal. */
function checkCanonical(name: string, t: TensorType): void {
  for (const d of t.shape) {
    let c;
    try {
      c = canonicalDim(d);
    } catch (e) {
      throw new GraphError(`value '${name}' ${formatType(t)}: ${(e as Error).message}`);
    }
    if (c !== d) throw new GraphError(`value '${name}' ${formatType(t)}: dim '${d}' is not in canonical form '${c}' (build dims with dimAdd/dimMul/... or canonicalDim)`);
  }
}

export function verify(graph: Graph, options: VerifyOptions = {}): void {
  const defined = new Set<string>();
  const define = (name: string, where: string) => {
    if (defined.has(name)) throw new GraphError(`${where}: value '${name}' is defined twice`);
    if (!graph.types[name]) throw new GraphError(`${where}: value '${name}' has no type`);
    checkCanonical(name, graph.types[name]);
    defined.add(name);
  };
  for (const name of graph.inputs) {
    if (name in graph.constants) throw new GraphError(`input '${name}' is also a constant`);
    define(name, `input '${name}'`);
  }
  for (const [name, c] of Object.entries(graph.constants)) {
    define(name, `constant '${name}'`);
    const n = volume(c.type.shape);
    if (n === undefined || c.data.length !== n || !(c.data instanceof DTYPE_INFO[c.type.dtype].array)) {
      throw new GraphError(`constant '${name}' ${formatType(c.type)} holds ${c.data.length} elements of ${c.data.constructor.name}`);
    }
    if (!typesEqual(c.type, graph.types[name]!)) throw new GraphError(`constant '${name}' is ${formatType(c.type)} but typed ${formatType(graph.types[name]!)}`);
  }
  const names = new Set<string>();
  for (const node of graph.nodes) {
    const where = layerLabel(node);
    if (names.has(node.name)) throw new GraphError(`${where}: layer name is used twice`, { layer: node.name });
    names.add(node.name);
    if (!hasOp(node.op)) throw new GraphError(`${where}: unknown op`, { layer: node.name, op: node.op });
    const inputTypes: (TensorType | undefined)[] = node.inputs.map((i) => {
      if (i === '') return undefined;
      if (!defined.has(i)) throw new GraphError(`${where}: input '${i}' is not defined before the layer`, { layer: node.name });
      return graph.types[i];
    });
    const inferred = inferNode(node, inputTypes, options.needs);
    if (inferred.length !== node.outputs.length) throw new GraphError(`${where}: has ${node.outputs.length} outputs, op gives ${inferred.length}`, { layer: node.name });
    node.outputs.forEach((o, k) => {
      define(o, where);
      if (!typesEqual(inferred[k]!, graph.types[o]!)) {
        throw new GraphError(`${where}: output '${o}' is typed ${formatType(graph.types[o]!)} but infers to ${formatType(inferred[k]!)}`, { layer: node.name, expected: formatType(inferred[k]!), received: formatType(graph.types[o]!) });
      }
    });
  }
  if (graph.outputs.length === 0) throw new GraphError('the network has no outputs; mark at least one with markOutput');
  const outs = new Set<string>();
  for (const o of graph.outputs) {
    if (!defined.has(o)) throw new GraphError(`output '${o}' is not defined by any layer, input or constant`);
    if (outs.has(o)) throw new GraphError(`output '${o}' is marked twice`);
    outs.add(o);
  }
}

/** The conditions on symbolic dims a graph relies on (verifying it on the way). */
export function shapeNeeds(graph: Graph): ShapeNeed[] {
  const needs: ShapeNeed[] = [];
  verify(graph, { needs });
  return needs;
}
