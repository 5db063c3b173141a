// Builds small ONNX models in tests with the importer's own protobuf schema, so each
// test states its model in a few lines (node, value info, initializer) rather than
// shipping binary fixtures.
import { ModelProtoType, TensorProtoType } from '../../src/onnx/proto/schema.js';
import { ATTRIBUTE_TYPES } from '../../src/onnx/proto/schema.js';

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16 } as const;

export type Attr = number | string | number[] | string[] | { tensor: object } | { graph: object } | { float: number } | { floats: number[] };

/** An AttributeProto from a JS value: integers -> INT(S), other numbers -> FLOAT(S), strings -> STRING(S). */
export function attr(name: string, v: Attr): object {
  const enc = (s: string) => new TextEncoder().encode(s);
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: ATTRIBUTE_TYPES.INT, i: v } : { name, type: ATTRIBUTE_TYPES.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: ATTRIBUTE_TYPES.STRING, s: enc(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: ATTRIBUTE_TYPES.STRINGS, strings: (v as string[]).map(enc) };
    const ints = (v as number[]).every(Number.isInteger);
    return ints ? { name, type: ATTRIBUTE_TYPES.INTS, ints: v } : { name, type: ATTRIBUTE_TYPES.FLOATS, floats: v };
  }
  if ('float' in v) return { name, type: ATTRIBUTE_TYPES.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: ATTRIBUTE_TYPES.FLOATS, floats: v.floats };
  if ('tensor' in v) return { name, type: ATTRIBUTE_TYPES.TENSOR, t: v.tensor };
  return { name, type: ATTRIBUTE_TYPES.GRAPH, g: v.graph };
}

export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, name = ''): object {
  return { op_type: op, input: inputs, output: outputs, name, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) };
}

/** A tensor ValueInfoProto; dims may be numbers, dim_param names, or null (neither). */
export function io(name: string, elemType: number, dims: (number | string | null)[]): object {
  const dim = dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

/** A TensorProto; values go to raw_data as little-endian bytes when `raw` is given, else to the typed field. */
export function tensorProto(name: string, dataType: number, dims: number[], fields: Record<string, unknown>): object {
  return { name, data_type: dataType, dims, ...fields };
}

export function floatTensor(name: string, dims: number[], values: number[]): object {
  return tensorProto(name, DT.FLOAT, dims, { raw_data: new Uint8Array(Float32Array.from(values).buffer) });
}

export function int64Tensor(name: string, dims: number[], values: number[]): object {
  return tensorProto(name, DT.INT64, dims, { raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
}

export interface ModelSpec {
  nodes: object[];
  inputs: object[];
  outputs: object[];
  initializers?: object[];
  opset?: number;
  /** Extra opset imports, e.g. { domain: 'com.microsoft', version: 1 }. */
  opsets?: { domain: string; version: number }[];
  noGraph?: boolean;
}

export function graphProto(spec: Pick<ModelSpec, 'nodes' | 'inputs' | 'outputs' | 'initializers'>): object {
  return { name: 'g', node: spec.nodes, input: spec.inputs, output: spec.outputs, initializer: spec.initializers ?? [] };
}

export function model(spec: ModelSpec): Uint8Array {
  const obj = {
    ir_version: 8,
    producer_name: 'kiln-test',
    opset_import: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.opsets ?? [])],
    ...(spec.noGraph ? {} : { graph: graphProto(spec) }),
  };
  return ModelProtoType.encode(ModelProtoType.fromObject(obj)).finish();
}

export function encodeTensor(t: object): Uint8Array {
  return TensorProtoType.encode(TensorProtoType.fromObject(t)).finish();
}
