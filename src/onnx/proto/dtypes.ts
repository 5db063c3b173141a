// ONNX's TensorProto.DataType table: the name of each code, the typed array its
// values decode into, the kiln dtype it maps to (when kiln has one) and the field a
// non-raw tensor stores it in. One table, read by decoding, import and the runner.
import type { DType } from '../../ir/index.js';

export type OnnxArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

type Storage = 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data';

export interface OnnxDTypeInfo {
  name: string;
  /** Bytes per element in raw_data; 0 where elements are not byte-sized (strings, 4-bit). */
  bytes: number;
  array?: new (n: number | ArrayBuffer) => OnnxArray;
  storage?: Storage;
  kiln?: DType;
}

export const ONNX_DTYPES: Readonly<Record<number, OnnxDTypeInfo>> = {
  1: { name: 'float', bytes: 4, array: Float32Array, storage: 'float_data', kiln: 'f32' },
  2: { name: 'uint8', bytes: 1, array: Uint8Array, storage: 'int32_data', kiln: 'u8' },
  3: { name: 'int8', bytes: 1, array: Int8Array, storage: 'int32_data', kiln: 'i8' },
  4: { name: 'uint16', bytes: 2, array: Uint16Array, storage: 'int32_data' },
  5: { name: 'int16', bytes: 2, array: Int16Array, storage: 'int32_data' },
  6: { name: 'int32', bytes: 4, array: Int32Array, storage: 'int32_data', kiln: 'i32' },
  7: { name: 'int64', bytes: 8, array: BigInt64Array, storage: 'int64_data', kiln: 'i64' },
  8: { name: 'string', bytes: 0, storage: 'string_data' },
  9: { name: 'bool', bytes: 1, array: Uint8Array, storage: 'int32_data', kiln: 'bool' },
  10: { name: 'float16', bytes: 2, array: Uint16Array, storage: 'int32_data', kiln: 'f16' },
  11: { name: 'double', bytes: 8, array: Float64Array, storage: 'double_data' },
  12: { name: 'uint32', bytes: 4, array: Uint32Array, storage: 'uint64_data' },
  13: { name: 'uint64', bytes: 8, array: BigUint64Array, storage: 'uint64_data' },
  14: { name: 'complex64', bytes: 8 },
  15: { name: 'complex128', bytes: 16 },
  16: { name: 'bfloat16', bytes: 2, array: Uint16Array, storage: 'int32_data', kiln: 'bf16' },
  17: { name: 'float8e4m3fn', bytes: 1, array: Uint8Array, storage: 'int32_data' },
  18: { name: 'float8e4m3fnuz', bytes: 1, array: Uint8Array, storage: 'int32_data' },
  19: { name: 'float8e5m2', bytes: 1, array: Uint8Array, storage: 'int32_data' },
  20: { name: 'float8e5m2fnuz', bytes: 1, array: Uint8Array, storage: 'int32_data' },
  21: { name: 'uint4', bytes: 0 },
  22: { name: 'int4', bytes: 0 },
  23: { name: 'float4e2m1', bytes: 0 },
  24: { name: 'float8e8m0', bytes: 1, array: Uint8Array, storage: 'int32_data' },
  25: { name: 'uint2', bytes: 0 },
  26: { name: 'int2', bytes: 0 },
};

export function onnxDTypeName(code: number): string {
  return ONNX_DTYPES[code]?.name ?? `dtype ${code}`;
}

/** The kiln dtype of an ONNX element type, if kiln has one. */
export function kilnDType(code: number): DType | undefined {
  return ONNX_DTYPES[code]?.kiln;
}

/** The ONNX element type of a kiln dtype (for Cast targets and reports). */
export function onnxCodeOf(dtype: DType): number {
  for (const [code, info] of Object.entries(ONNX_DTYPES)) if (info.kiln === dtype) return Number(code);
  throw new Error(`no ONNX code for ${dtype}`);
}
