// The interpreter's tensor: a dtype, a static shape and the typed array that holds
// it (f16/bf16 as raw bits, i64 as BigInt64Array, bool as 0/1 bytes). Float kernels
// read any float dtype into f64, compute, and round once at the output, which is
// where a real f32 (or f16-storing) engine rounds too.
import { DTYPE_INFO, allocate, type DType, type TypedArray } from '../ir/index.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBF16Bits, f32ToF16Bits } from './float16.js';

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export function isFloatDType(dtype: DType): boolean {
  return DTYPE_INFO[dtype].float;
}

/** Decodes any float tensor to f64 values. */
export function readFloats(t: Tensor): Float64Array {
  const out = new Float64Array(t.data.length);
  if (t.dtype === 'f16') for (let i = 0; i < out.length; i++) out[i] = f16BitsToF32(t.data[i] as number);
  else if (t.dtype === 'bf16') for (let i = 0; i < out.length; i++) out[i] = bf16BitsToF32(t.data[i] as number);
  else if (t.dtype === 'f32') out.set(t.data as Float32Array);
  else throw new Error(`readFloats: ${t.dtype} is not a float dtype`);
  return out;
}

/** Rounds f64 values into the storage of a float dtype. */
export function writeFloats(dtype: DType, values: ArrayLike<number>): TypedArray {
  const n = values.length;
  if (dtype === 'f32') return Float32Array.from(values);
  const out = new Uint16Array(n);
  if (dtype === 'f16') for (let i = 0; i < n; i++) out[i] = f32ToF16Bits(values[i]!);
  else if (dtype === 'bf16') for (let i = 0; i < n; i++) out[i] = f32ToBF16Bits(values[i]!);
  else throw new Error(`writeFloats: ${dtype} is not a float dtype`);
  return out;
}

/**
 * Builds a tensor from plain values: floats are rounded to the dtype (f16/bf16 to bit
 * patterns), integers stored as given (i64 accepts numbers or bigints), bool as 0/1.
 */
export function tensor(dtype: DType, shape: readonly number[], values: ArrayLike<number> | ArrayLike<bigint>): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`tensor ${dtype}[${shape.join(',')}] needs ${n} values, got ${values.length}`);
  let data: TypedArray;
  if (isFloatDType(dtype)) {
    data = writeFloats(dtype, Array.from(values as ArrayLike<number>, Number));
  } else if (dtype === 'i64') {
    data = BigInt64Array.from(Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v)));
  } else {
    data = allocate(dtype, n);
    for (let i = 0; i < n; i++) data[i] = dtype === 'bool' ? (Number(values[i]) ? 1 : 0) : Number(values[i]);
  }
  return { dtype, shape: [...shape], data };
}

/** The values of a tensor as numbers (f16/bf16 decoded, i64 converted; may lose precision past 2^53). */
export function tensorValues(t: Tensor): number[] {
  if (isFloatDType(t.dtype)) return Array.from(readFloats(t));
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}
