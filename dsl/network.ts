// The Network: what TensorRT calls INetworkDefinition. It records one node per DSL
// call, running the op's shape inference at once so a mistake fails at the line that
// made it, naming the layer. `graph` hands the recorded network to the builder as an
// immutable, verified src/ir Graph.
import {
  KilnError, canonicalDim, formatType, freshName, inferNode, isDType, makeGraph, verify,
  type AttrValue, type DType, type Dim, type Graph, type Node, type TensorType, type TypedArray,
} from '../src/ir/index.js';
import { NetworkTensor } from './tensor.js';
import { resolveWeights, toWeightStore, type WeightStore, type WeightTensor, type WeightsArg } from './weights.js';

interface MutableNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface NetworkOptions {
  name?: string;
  /** Named weights that layers refer to by name (e.g. loaded from .safetensors). */
  weights?: WeightStore | Readonly<Record<string, WeightTensor>>;
}

export class Network {
  readonly name: string;
  private readonly store: Map<string, WeightTensor>;
  private readonly inputNames: string[] = [];
  private readonly outputNames: string[] = [];
  private readonly nodes: MutableNode[] = [];
  private readonly types: Record<string, TensorType> = {};
  private readonly constants: Record<string, { type: TensorType; data: TypedArray }> = {};
  private readonly layerNames = new Set<string>();
  private readonly weightConstants = new Map<string, string>();

  constructor(options: NetworkOptions = {}) {
    this.name = options.name ?? 'network';
    this.store = toWeightStore(options.weights);
  }

  /**
   * A network input. Dims may be symbolic: names (`'batch'`) or expressions over them
   * (`'2*seq'`), resolved by the builder's optimization profile.
   */
  input(name: string, dtype: DType, shape: readonly Dim[]): NetworkTensor {
    const where = `input '${name}'`;
    if (!isDType(dtype)) throw new KilnError('KILN_DSL', `${where}: unknown dtype '${String(dtype)}'`, { argument: 'dtype', received: String(dtype) });
    if (!Array.isArray(shape) || shape.some((d) => !(typeof d === 'string' ? d.length > 0 : Number.isInteger(d) && d >= 0))) {
      throw new KilnError('KILN_DSL', `${where}: shape must be a list of non-negative integers or dim names, received ${JSON.stringify(shape)}`, { argument: 'shape' });
    }
    const dims = shape.map((d) => {
      try {
        return canonicalDim(d);
      } catch (e) {
        throw new KilnError('KILN_DSL', `${where}: ${(e as Error).message}`, { argument: 'shape', received: String(d) });
      }
    });
    this.claimValue(name, where);
    this.inputNames.push(name);
    this.types[name] = { dtype, shape: dims };
    return new NetworkTensor(this, name);
  }

  /** A constant tensor (TensorRT's IConstantLayer). */
  constant(name: string, weights: WeightsArg, shape: readonly number[]): NetworkTensor {
    const t = resolveWeights(this.store, weights, shape, name, 'weights');
    return new NetworkTensor(this, this.addConstant(name, t));
  }

  /** Concatenates tensors along `axis` (TensorRT's IConcatenationLayer). */
  concat(tensors: readonly NetworkTensor[], options: { axis: number; name?: string }): NetworkTensor {
    if (tensors.length === 0) throw new KilnError('KILN_DSL', `concat: needs at least one tensor`, { argument: 'tensors' });
    return this.addLayer('Concat', options.name, tensors, { axis: options.axis });
  }

  /** Marks a tensor as a network output, optionally renaming it (the binding name users see). */
  markOutput(tensor: NetworkTensor, name?: string): void {
    this.own(tensor, 'markOutput', 'tensor');
    let value = tensor.name;
    if (name !== undefined && name !== value) {
      this.claimValue(name, `markOutput '${name}'`);
      this.rename(value, name);
      tensor.rename(name);
      value = name;
    }
    if (this.outputNames.includes(value)) throw new KilnError('KILN_DSL', `markOutput: '${value}' is already an output`, { argument: 'tensor' });
    this.outputNames.push(value);
  }

  /** The recorded network as an immutable, verified graph. */
  get graph(): Graph {
    const g = makeGraph(structuredCloneGraph({
      inputs: this.inputNames,
      outputs: this.outputNames,
      nodes: this.nodes,
      types: this.types,
      constants: this.constants,
    }));
    verify(g);
    return g;
  }

  typeOf(value: string): TensorType {
    return this.types[value]!;
  }

  /** @internal Records a layer; returns its output. Inference errors name the layer. */
  addLayer(op: string, name: string | undefined, inputs: readonly (NetworkTensor | string | undefined)[], attrs: Record<string, AttrValue>): NetworkTensor {
    return this.addMultiOutputLayer(op, name, inputs, attrs)[0]!;
  }

  /**
   * @internal Records a layer with every output its op infers (RNN's Y and Y_h, ...).
   * Output 0 takes the layer's name, output k the name `layer.suffixes[k]` (or `layer.k`).
   */
  addMultiOutputLayer(op: string, name: string | undefined, inputs: readonly (NetworkTensor | string | undefined)[], attrs: Record<string, AttrValue>, suffixes: readonly string[] = []): NetworkTensor[] {
    const layer = this.layerName(name, op);
    const ins = inputs.map((t, i) => {
      if (t === undefined) return '';
      if (typeof t === 'string') return t;
      this.own(t, layer, `input ${i}`);
      return t.name;
    });
    const node: Node = { name: layer, op, inputs: ins, outputs: [layer], attrs };
    const types = inferNode(node, ins.map((i) => (i === '' ? undefined : this.types[i])));
    const outputs = types.map((_, k) => (k === 0 ? layer : `${layer}.${suffixes[k] ?? k}`));
    for (const o of outputs) this.claimValue(o, `layer '${layer}'`);
    this.layerNames.add(layer);
    this.nodes.push({ ...node, inputs: ins, outputs, attrs: { ...attrs } });
    outputs.forEach((o, k) => (this.types[o] = types[k]!));
    return outputs.map((o) => new NetworkTensor(this, o));
  }

  /** @internal Resolves a weight argument for a layer and records it as a constant. */
  weights(layer: string, argument: string, arg: WeightsArg, shape: readonly number[]): string {
    const cached = typeof arg === 'string' ? this.weightConstants.get(arg) : undefined;
    if (cached !== undefined) {
      resolveWeights(this.store, arg, shape, layer, argument);
      return cached;
    }
    const t = resolveWeights(this.store, arg, shape, layer, argument);
    const name = this.addConstant(typeof arg === 'string' ? arg : `${layer}.${argument}`, t);
    if (typeof arg === 'string') this.weightConstants.set(arg, name);
    return name;
  }

  /** @internal A fresh layer name: the one asked for (must be unused) or `op_k`. */
  layerName(name: string | undefined, op: string): string {
    if (name === undefined) return freshName((n) => this.isTaken(n), `${op.toLowerCase()}_${this.nodes.length + 1}`);
    if (this.isTaken(name)) throw new KilnError('KILN_DSL', `layer name '${name}' is already used in network '${this.name}'`, { layer: name });
    return name;
  }

  private addConstant(base: string, t: WeightTensor): string {
    const name = freshName((n) => this.isTaken(n), base);
    this.constants[name] = { type: { dtype: t.dtype, shape: [...t.shape] }, data: t.data };
    this.types[name] = { dtype: t.dtype, shape: [...t.shape] };
    return name;
  }

  private isTaken(n: string): boolean {
    return n in this.types || this.layerNames.has(n);
  }

  private claimValue(name: string, where: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new KilnError('KILN_DSL', `${where}: a name must be a non-empty string`);
    if (this.isTaken(name)) throw new KilnError('KILN_DSL', `${where}: name '${name}' is already used in network '${this.name}'`);
  }

  private own(t: NetworkTensor, layer: string, argument: string): void {
    if (!(t instanceof NetworkTensor) || t.network !== this) {
      throw new KilnError('KILN_DSL', `layer '${layer}': argument '${argument}' is not a tensor of network '${this.name}'`, { layer, argument });
    }
  }

  private rename(from: string, to: string): void {
    this.types[to] = this.types[from]!;
    delete this.types[from];
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((i) => (i === from ? to : i));
      n.outputs = n.outputs.map((o) => (o === from ? to : o));
    }
    const k = this.inputNames.indexOf(from);
    if (k >= 0) this.inputNames[k] = to;
  }

  describe(value: string): string {
    return formatType(this.types[value]!);
  }
}

/** Copies the mutable records so the frozen graph never aliases the builder's state. */
function structuredCloneGraph(g: { inputs: string[]; outputs: string[]; nodes: MutableNode[]; types: Record<string, TensorType>; constants: Graph['constants'] }): Graph {
  return {
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    nodes: g.nodes.map((n) => ({ name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })),
    types: Object.fromEntries(Object.entries(g.types).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape] }])),
    constants: { ...g.constants },
  };
}
