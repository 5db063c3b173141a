// Output comparison as ONNX's backend runner does it: numpy's assert_allclose with
// rtol 1e-3 and atol 1e-7 for floating outputs (NaN equals NaN, infinities must match),
// exact equality for integers and bools. Returns why they differ, or undefined.
import { bf16BitsToF32, f16BitsToF32 } from '../../src/interpret/index.js';
import type { OutputTensor } from '../../src/index.js';
import { onnxDTypeName, kilnDType, type DecodedTensor } from '../../src/onnx/index.js';

export const RTOL = 1e-3;
export const ATOL = 1e-7;

function floats(data: ArrayLike<number>, dtype: string): (i: number) => number {
  if (dtype === 'f16') return (i) => f16BitsToF32(data[i]!);
  if (dtype === 'bf16') return (i) => bf16BitsToF32(data[i]!);
  return (i) => data[i]!;
}

export function compareOutput(got: OutputTensor, want: DecodedTensor, rtol = RTOL, atol = ATOL): string | undefined {
  const dtype = kilnDType(want.dataType);
  if (got.dtype !== dtype) return `dtype ${got.dtype}, expected ${onnxDTypeName(want.dataType)}`;
  if (got.shape.join(',') !== want.dims.join(',')) return `shape [${got.shape}], expected [${want.dims}]`;
  const n = want.data.length;
  if (got.data.length !== n) return `${got.data.length} elements, expected ${n}`;
  if (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16') {
    const a = floats(got.data as ArrayLike<number>, dtype);
    const e = floats(want.data as ArrayLike<number>, dtype);
    let bad = 0;
    let first = -1;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const [x, y] = [a(i), e(i)];
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (x === y) continue;
      const err = Math.abs(x - y);
      if (!(err <= atol + rtol * Math.abs(y))) {
        if (first < 0) first = i;
        bad++;
        worst = Math.max(worst, Number.isFinite(err) ? err : Infinity);
      }
    }
    if (bad === 0) return undefined;
    return `${bad} of ${n} elements differ (first at ${first}: ${a(first)} vs ${e(first)}; max abs error ${worst.toPrecision(3)})`;
  }
  const g = got.data as ArrayLike<number | bigint>;
  const w = want.data as ArrayLike<number | bigint>;
  for (let i = 0; i < n; i++) {
    if (BigInt(g[i]!) !== BigInt(w[i]!)) return `element ${i} is ${g[i]}, expected ${w[i]} (exact)`;
  }
  return undefined;
}
