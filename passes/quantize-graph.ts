// Small helpers of the Quantize pass, usable by tests too: per-output-channel
// symmetric weight quantization, and a draft that appends constants and nodes to a
// graph with their output types inferred by the op registry.
import {
  freshName, inferNode, makeGraph, type Attrs, type DType, type Graph, type Node, type TensorType, type TypedArray,
} from '../src/ir/index.js';

/** w [Cout, ...] f32 -> i8 codes in [-qmax, qmax] and f32 scales, scale[c] = max|w[c]| / qmax (1 for an all-zero row). */
export function quantizeWeights(w: Float32Array, cout: number, qmax = 127): { q: Int8Array; scales: Float32Array } {
  const per = w.length / cout;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    let amax = 0;
    for (let i = c * per; i < (c + 1) * per; i++) amax = Math.max(amax, Math.abs(w[i]!));
    const s = Math.fround(amax > 0 ? amax / qmax : 1);
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const v = Math.round(w[i]! / s);
      q[i] = v > qmax ? qmax : v < -qmax ? -qmax : v;
    }
  }
  return { q, scales };
}

/** The window attributes of a Conv that its QConv keeps (strides, pads, dilations). */
export function windowAttrs(attrs: Attrs): Attrs {
  return Object.fromEntries(['strides', 'padsBegin', 'padsEnd', 'dilations'].filter((k) => attrs[k] !== undefined).map((k) => [k, attrs[k]!]));
}

export class GraphDraft {
  readonly inputs: string[];
  readonly outputs: string[];
  readonly nodes: Node[];
  readonly types: Record<string, TensorType>;
  readonly constants: Record<string, { type: TensorType; data: TypedArray }>;

  constructor(base?: Graph) {
    this.inputs = [...(base?.inputs ?? [])];
    this.outputs = [...(base?.outputs ?? [])];
    this.nodes = [...(base?.nodes ?? [])];
    this.types = { ...(base?.types ?? {}) };
    this.constants = { ...(base?.constants ?? {}) };
  }

  private fresh(base: string): string {
    return freshName((n) => n in this.types || this.nodes.some((x) => x.name === n), base);
  }

  input(name: string, type: TensorType): string {
    this.inputs.push(name);
    this.types[name] = type;
    return name;
  }

  constant(base: string, dtype: DType, shape: number[], data: TypedArray): string {
    const name = this.fresh(base);
    this.types[name] = { dtype, shape };
    this.constants[name] = { type: { dtype, shape }, data };
    return name;
  }

  /** Appends a one-output node; returns its output value (named after the layer). */
  node(op: string, base: string, inputs: string[], attrs: Attrs, output?: string): string {
    const name = this.fresh(base);
    const out = output ?? name;
    const node: Node = { name, op, inputs, outputs: [out], attrs };
    const [type] = inferNode(node, inputs.map((v) => (v === '' ? undefined : this.types[v])));
    this.types[out] = type!;
    this.nodes.push(node);
    return out;
  }

  graph(): Graph {
    return makeGraph({ inputs: this.inputs, outputs: this.outputs, nodes: this.nodes, types: this.types, constants: this.constants });
  }
}
