// The one loop behind every layout kernel of the interpreter: an output whose element
// at each multi-index is a chosen input element or a fill value. Kernels only say which.
import { allocate, type DType, type TypedArray } from '../../ir/index.js';
import { product } from '../indexing.js';
import { isFloatDType, writeFloats, type Tensor } from '../tensor.js';

type OutType = { dtype: DType; shape: number[] };

/** One element of `dtype` holding `value` as ONNX casts it (floats rounded, ints truncated, bool nonzero). */
export function scalarOf(dtype: DType, value: number): number | bigint {
  if (isFloatDType(dtype)) return writeFloats(dtype, [value])[0] as number;
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  if (dtype === 'i64') return BigInt(Math.trunc(value));
  return Math.trunc(value);
}

/**
 * The output of type `out` whose element at multi-index idx is x's element at flat
 * index src(idx), or `fill` where src returns a negative number.
 */
export function take(x: Tensor, out: OutType, src: (idx: readonly number[]) => number, fill: number | bigint = scalarOf(out.dtype, 0)): Tensor {
  const n = product(out.shape);
  const data: TypedArray = allocate(out.dtype, n);
  const rank = out.shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    const s = src(idx);
    data[o] = s < 0 ? fill : x.data[s]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < out.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: out.dtype, shape: [...out.shape], data };
}
