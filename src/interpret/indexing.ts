// Index arithmetic shared by kernels: numpy broadcasting as an explicit map from
// each output element to the input element it reads, which keeps the elementwise
// and batched-matmul loops flat and easy to check.
import { stridesOf } from '../ir/index.js';

/**
 * For every flat index of `outShape`, the flat index of the element of `inShape`
 * (right-aligned, size-1 dims repeated) that numpy broadcasting reads.
 */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Stride 0 along a broadcast dim makes every output position there read the same element.
  const strides = outShape.map((d, i) => {
    const j = i - (rank - inShape.length);
    return j < 0 || inShape[j] === 1 ? 0 : inStrides[j]!;
  });
  const total = outShape.reduce((a, b) => a * b, 1);
  const map = new Int32Array(total);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let flat = 0; flat < total; flat++) {
    map[flat] = src;
    // Odometer increment over the output index, last dim fastest.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

/** Product of dims in [from, to). */
export function product(shape: readonly number[], from = 0, to = shape.length): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= shape[i]!;
  return p;
}
