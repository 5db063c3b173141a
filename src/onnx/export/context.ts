// What an op exporter writes into: ONNX nodes, initializers and fresh names, built up
// as plain objects that protobufjs encodes at the end (export.ts). Attributes carry
// their ONNX kind explicitly (an int is not a float even when it looks like one).
import { KilnError, layerLabel, type DType, type Graph, type Node, type TensorType, type TypedArray } from '../../ir/index.js';
import { tensor } from '../../interpret/index.js';
import { ATTRIBUTE_TYPES } from '../proto/schema.js';
import { onnxCodeOf } from '../proto/dtypes.js';

export interface TensorObject {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

export interface AttributeObject {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  t?: TensorObject;
  ints?: number[];
  floats?: number[];
  strings?: Uint8Array[];
}

export interface NodeObject {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeObject[];
  domain: string;
}

/** An attribute value with its ONNX kind; build them with the `attr` helpers. */
export type AttrArg = Omit<AttributeObject, 'name'>;

const text = new TextEncoder();
export const attr = {
  int: (v: number | boolean): AttrArg => ({ type: ATTRIBUTE_TYPES.INT, i: typeof v === 'boolean' ? (v ? 1 : 0) : v }),
  float: (v: number): AttrArg => ({ type: ATTRIBUTE_TYPES.FLOAT, f: v }),
  string: (v: string): AttrArg => ({ type: ATTRIBUTE_TYPES.STRING, s: text.encode(v) }),
  ints: (v: readonly number[]): AttrArg => ({ type: ATTRIBUTE_TYPES.INTS, ints: [...v] }),
  floats: (v: readonly number[]): AttrArg => ({ type: ATTRIBUTE_TYPES.FLOATS, floats: [...v] }),
  strings: (v: readonly string[]): AttrArg => ({ type: ATTRIBUTE_TYPES.STRINGS, strings: v.map((s) => text.encode(s)) }),
  tensor: (t: TensorObject): AttrArg => ({ type: ATTRIBUTE_TYPES.TENSOR, t }),
};

/** A TensorProto holding `data` as raw little-endian bytes (kiln's typed arrays already are). */
export function tensorObject(name: string, dtype: DType, shape: readonly number[], data: TypedArray): TensorObject {
  return { name, dims: [...shape], data_type: onnxCodeOf(dtype), raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
}

/** The export refuses a layer it cannot write as standard ONNX ops. */
export class ExportError extends KilnError {
  constructor(node: Pick<Node, 'name' | 'op'>, why: string, what: string) {
    super('KILN_EXPORT', `${layerLabel(node)}: ${why}; ${what}`, { layer: node.name, op: node.op });
    this.name = 'ExportError';
  }
}

export class ExportContext {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  /** Types of values the exporters invented (a fused layer's inner results). */
  private readonly extraTypes = new Map<string, TensorType>();
  private readonly taken: Set<string>;

  constructor(readonly graph: Graph) {
    this.taken = new Set([...Object.keys(graph.types), ...Object.keys(graph.constants), ...graph.nodes.map((n) => n.name)]);
  }

  /** A value or node name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  typeOf(value: string): TensorType {
    const t = this.graph.types[value] ?? this.extraTypes.get(value);
    if (!t) throw new Error(`export: no type for value '${value}'`);
    return t;
  }

  /** Records the type of an invented value, for exporters that look at it later. */
  setType(value: string, t: TensorType): void {
    this.extraTypes.set(value, t);
  }

  /** A new intermediate value name typed `t`. */
  temp(base: string, t: TensorType): string {
    const name = this.fresh(base);
    this.setType(name, t);
    return name;
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrArg | undefined> = {}, name?: string): void {
    const attribute = Object.entries(attrs).filter((e): e is [string, AttrArg] => e[1] !== undefined).map(([n, a]) => ({ name: n, ...a }));
    // ONNX drops trailing absent optional inputs; '' in the middle stays.
    const input = [...inputs];
    while (input.length > 0 && input[input.length - 1] === '') input.pop();
    this.nodes.push({ name: name ?? this.fresh(`${opType}_${this.nodes.length}`), op_type: opType, input, output: [...outputs], attribute, domain: '' });
  }

  /** A new initializer from plain numbers (bigint for i64 where exactness matters). */
  constant(hint: string, dtype: DType, shape: readonly number[], values: readonly (number | bigint)[]): string {
    const name = this.fresh(hint);
    const t = dtype === 'i64' ? { data: BigInt64Array.from(values.map((v) => BigInt(v))) } : tensor(dtype, [...shape], values.map(Number));
    this.initializers.push(tensorObject(name, dtype, shape, t.data as TypedArray));
    this.setType(name, { dtype, shape });
    return name;
  }

  /** An i64 vector initializer (shapes, axes, pads); ±2^63 clamps to int64's range. */
  ints(hint: string, values: readonly number[]): string {
    const clamp = (v: number) => (v >= 2 ** 63 ? 2n ** 63n - 1n : v <= -(2 ** 63) ? -(2n ** 63n) : BigInt(Math.trunc(v)));
    return this.constant(hint, 'i64', [values.length], values.map(clamp));
  }

  private readonly symbolDims = new Map<string, string>();

  /**
   * An i64[1] value holding the run-time size of symbolic dim `sym`, read with Shape
   * from the first graph input that has it as a dim; undefined when none has.
   */
  symbolDim(sym: string): string | undefined {
    const cached = this.symbolDims.get(sym);
    if (cached) return cached;
    for (const input of this.graph.inputs) {
      const axis = this.graph.types[input]!.shape.indexOf(sym);
      if (axis < 0) continue;
      const v = this.temp(`${input}/dim_${sym}`, { dtype: 'i64', shape: [1] });
      this.node('Shape', [input], [v], { start: attr.int(axis), end: attr.int(axis + 1) }, v);
      this.symbolDims.set(sym, v);
      return v;
    }
    return undefined;
  }

  /** A scalar initializer of the dtype of `like`. */
  scalarLike(hint: string, like: string, v: number): string {
    return this.constant(hint, this.typeOf(like).dtype, [], [v]);
  }
}
