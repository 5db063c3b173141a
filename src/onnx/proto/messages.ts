// The shapes of decoded ONNX messages (what protobufjs hands back for schema.ts), and
// the few helpers that read them: int64 fields arrive as Long objects, and proto2
// presence is an own property (absent fields fall back to prototype defaults).

export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

export type Int64 = number | LongLike;

export interface StringStringEntry { key: string; value: string }
export interface OperatorSetId { domain: string; version: Int64 }

export interface TensorProto {
  dims: Int64[];
  data_type: number;
  segment?: { begin: Int64; end: Int64 };
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  double_data: number[];
  uint64_data: Int64[];
  external_data: StringStringEntry[];
  data_location: number;
}

export interface SparseTensorProto { values?: TensorProto; indices?: TensorProto; dims: Int64[] }

export interface Dimension { dim_value: Int64; dim_param: string; value?: 'dim_value' | 'dim_param' }
export interface TensorShapeProto { dim: Dimension[] }

export interface TypeProto {
  tensor_type?: { elem_type: number; shape?: TensorShapeProto };
  sparse_tensor_type?: { elem_type: number; shape?: TensorShapeProto };
  sequence_type?: unknown;
  map_type?: unknown;
  optional_type?: unknown;
  value?: 'tensor_type' | 'sequence_type' | 'map_type' | 'sparse_tensor_type' | 'optional_type';
}

export interface ValueInfoProto { name: string; type?: TypeProto }

export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  tp?: TypeProto;
  type_protos: TypeProto[];
  ref_attr_name: string;
  sparse_tensor?: SparseTensorProto;
  sparse_tensors: SparseTensorProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: AttributeProto[];
  domain: string;
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
  sparse_initializer: SparseTensorProto[];
}

export interface ModelProto {
  ir_version: Int64;
  producer_name: string;
  producer_version: string;
  graph?: GraphProto;
  opset_import: OperatorSetId[];
  metadata_props: StringStringEntry[];
  functions: { name: string; domain: string }[];
}

/** proto2 presence: decoded fields are own properties, defaults live on the prototype. */
export function has(msg: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(msg, field);
}

function isLong(v: Int64): v is LongLike {
  return typeof v === 'object' && v !== null && 'low' in v && 'high' in v;
}

/** An int64 field as an exact BigInt. */
export function toBigInt(v: Int64): bigint {
  if (!isLong(v)) return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.unsigned ? v.high >>> 0 : v.high);
  return (hi << 32n) | lo;
}

/** An int64 field as a number; values past 2^53 round (fine for dims, axes and bounds like INT64_MAX). */
export function toNumber(v: Int64): number {
  return isLong(v) ? Number(toBigInt(v)) : v;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function bytesToString(b: Uint8Array): string {
  return utf8.decode(b);
}
