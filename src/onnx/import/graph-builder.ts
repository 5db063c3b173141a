// The IR graph the importer writes into. Built directly rather than through the DSL
// Network because ONNX names values and layers separately and some ops have several
// outputs. Every node is type-inferred as it is added (a mistake fails at the node
// that made it), and a node whose inputs are all constants is evaluated at once with
// the reference interpreter and becomes a constant: constant subgraphs fold at import.
import {
  freshName, inferNode, makeGraph, verify,
  type AttrValue, type Graph, type Node, type TensorType, type TypedArray,
} from '../../ir/index.js';
import { getKernel, interpret } from '../../interpret/index.js';

interface MutableNode { name: string; op: string; inputs: string[]; outputs: string[]; attrs: Record<string, AttrValue> }

export class GraphBuilder {
  readonly inputs: string[] = [];
  private readonly nodes: MutableNode[] = [];
  readonly types: Record<string, TensorType> = {};
  readonly constants: Record<string, { type: TensorType; data: TypedArray }> = {};
  private readonly layerNames = new Set<string>();

  /** `reserved` holds every ONNX tensor name, so generated names never shadow one. */
  constructor(private readonly reserved: ReadonlySet<string>) {}

  private taken = (n: string): boolean => n in this.types || this.reserved.has(n);

  /** A fresh value name derived from `base` (used for intermediates). */
  freshValue(base: string): string {
    return freshName(this.taken, base);
  }

  /** `name` itself when no value has it yet (ONNX output names), else a fresh one. */
  claim(name: string): string {
    return name in this.types ? this.freshValue(name) : name;
  }

  addInput(name: string, type: TensorType): void {
    this.inputs.push(name);
    this.types[name] = type;
  }

  /** Adds a constant under `name`, or a fresh name when `fresh` (or the name is taken). */
  addConstant(name: string, type: TensorType, data: TypedArray, fresh = false): string {
    const n = fresh || name in this.types ? this.freshValue(name) : name;
    this.constants[n] = { type, data };
    this.types[n] = type;
    return n;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  isConstant(value: string): boolean {
    return value in this.constants;
  }

  /**
   * Adds one IR node named after `layer` with outputs named `outputs` (which must be
   * fresh); folds it into constants when every input is a constant and the
   * interpreter can run it. Returns the output types.
   */
  addNode(op: string, layer: string, inputs: readonly string[], attrs: Record<string, AttrValue>, outputs: readonly string[], fold = true): TensorType[] {
    const node: Node = { name: freshName((n) => this.layerNames.has(n), layer), op, inputs: [...inputs], outputs: [...outputs], attrs: { ...attrs } };
    const types = inferNode(node, inputs.map((i) => (i === '' ? undefined : this.types[i])));
    if (types.length !== outputs.length) throw new Error(`${op} gives ${types.length} outputs, ${outputs.length} named`);
    const foldable = fold && inputs.length > 0 && inputs.every((i) => i === '' || this.isConstant(i)) && getKernel(op) !== undefined;
    if (foldable && this.fold(node, types)) return types;
    this.layerNames.add(node.name);
    this.nodes.push(node as MutableNode);
    outputs.forEach((o, k) => (this.types[o] = types[k]!));
    return types;
  }

  private fold(node: Node, types: TensorType[]): boolean {
    const used = node.inputs.filter((i) => i !== '');
    const mini: Graph = {
      inputs: [],
      outputs: [...node.outputs],
      nodes: [node],
      types: Object.fromEntries([...used.map((i) => [i, this.types[i]!]), ...node.outputs.map((o, k) => [o, types[k]!])]),
      constants: Object.fromEntries(used.map((i) => [i, this.constants[i]!])),
    };
    let results;
    try {
      results = interpret(mini, {});
    } catch {
      return false; // the engine will compute it (and report what is wrong, if anything)
    }
    node.outputs.forEach((o, k) => {
      const r = results[o]!;
      this.addConstant(o, { dtype: r.dtype, shape: r.shape }, r.data);
    });
    return true;
  }

  /** The finished graph: only what the outputs need, verified. */
  finish(outputs: readonly string[]): Graph {
    const live = new Set(outputs);
    const kept: MutableNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!n.outputs.some((o) => live.has(o))) continue;
      kept.push(n);
      for (const v of n.inputs) if (v !== '') live.add(v);
    }
    kept.reverse();
    const values = new Set([...this.inputs, ...kept.flatMap((n) => n.outputs), ...Object.keys(this.constants).filter((c) => live.has(c))]);
    const graph = makeGraph({
      inputs: [...this.inputs],
      outputs: [...outputs],
      nodes: kept.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })),
      types: Object.fromEntries(Object.entries(this.types).filter(([k]) => values.has(k))),
      constants: Object.fromEntries(Object.entries(this.constants).filter(([k]) => values.has(k))),
    });
    verify(graph);
    return graph;
  }
}
