// Element types of kiln tensors: one table, so every layer (DSL, interpreter,
// codegen, plan) agrees on names, sizes and the typed arrays that hold them.

export const DTYPES = ['f32', 'f16', 'bf16', 'i8', 'u8', 'i32', 'i64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

interface DTypeInfo {
  bytes: number;
  float: boolean;
  /** The typed array class a tensor of this dtype is stored in (f16/bf16 as raw bits). */
  array: new (n: number) => TypedArray;
}

export const DTYPE_INFO: Readonly<Record<DType, DTypeInfo>> = {
  f32: { bytes: 4, float: true, array: Float32Array },
  f16: { bytes: 2, float: true, array: Uint16Array },
  bf16: { bytes: 2, float: true, array: Uint16Array },
  i8: { bytes: 1, float: false, array: Int8Array },
  u8: { bytes: 1, float: false, array: Uint8Array },
  i32: { bytes: 4, float: false, array: Int32Array },
  i64: { bytes: 8, float: false, array: BigInt64Array },
  bool: { bytes: 1, float: false, array: Uint8Array },
};

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

/** The dtype a typed array most plausibly holds; used to describe what a caller passed. */
export function dtypeOfArray(a: unknown): DType | undefined {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof BigInt64Array) return 'i64';
  if (a instanceof Int8Array) return 'i8';
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint16Array) return 'f16';
  return undefined;
}

export function allocate(dtype: DType, n: number): TypedArray {
  return new DTYPE_INFO[dtype].array(n);
}
