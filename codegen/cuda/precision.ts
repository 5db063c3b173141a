// Storage precision of a CUDA plan. The plan's layers keep their logical f32
// types (the CPU checks and the interpreter see the network as written); what
// changes under fp16 / bf16 is how the GPU stores intermediate activations: every
// f32 arena tensor that is neither a network input nor an output is kept as a
// 16-bit float (IEEE half, or bfloat16) in the first half of its f32-sized slot,
// and conv / gemm weights get a 16-bit copy in the weight blob (padded for the
// tensor-core tiles). Arithmetic stays f32 everywhere except inside tensor-core
// GEMMs (16-bit x 16-bit, f32 sums). Kernels are written once for "half" storage:
// the module's helpers (kiln_h2f, kiln_f2h, kiln_mma16816; dialect.ts) convert and
// multiply in the plan's 16-bit format.
import { f32ToBF16Bits } from '../../src/interpret/float16.js';
import type { PlanDesc, PlanDType, PlanTensor } from '../plan-desc.js';
import { CUDA_DIALECT as D } from './dialect.js';
import { overlaps } from './render.js';

/** fp32; tf32 (f32 storage, convs on tensor cores reading f32 as tf32); fp16 / bf16 (16-bit storage). */
export type CudaPrecision = 'fp32' | 'tf32' | 'fp16' | 'bf16';

export const CUDA_PRECISIONS: readonly CudaPrecision[] = ['fp32', 'tf32', 'fp16', 'bf16'];

/** The 16-bit format of half storage. */
export type HalfFormat = 'f16' | 'bf16';

/** How each plan tensor is stored on the device; templates render loads and stores through it. */
export class Storage {
  /** tf32: f32 storage whose NHWC convs may run on tensor cores as tf32 (10-bit mantissa products, f32 sums). */
  constructor(private readonly halves: ReadonlySet<PlanTensor> = new Set(), readonly format: HalfFormat = 'f16', readonly tf32 = false) {}

  /** Rows of f32 values as this storage's 16-bit format, each row padded with zeros to `padCols` (weight copies). */
  rows(src: Float32Array, rows: number, cols: number, padCols: number): Uint8Array {
    return toHalfRows(src, rows, cols, padCols, this.format);
  }

  isHalf(t: PlanTensor): boolean {
    return this.halves.has(t);
  }

  /** The C type of one stored element. */
  type(t: PlanTensor): string {
    if (this.halves.has(t)) return D.half.storage;
    const c = D.types[t.dtype];
    if (!c) throw new Error(`tensor '${t.name}' has dtype ${t.dtype}, which CUDA kernels do no arithmetic on`);
    return c;
  }

  /** An f32 expression for the stored element `ref` (e.g. `x[i]`) of tensor `t`. */
  load(t: PlanTensor, ref: string): string {
    return this.halves.has(t) ? `${D.half.toFloat}(${ref})` : ref;
  }

  /** The value to store into tensor `t` for the f32 expression `v`. */
  store(t: PlanTensor, v: string): string {
    return this.halves.has(t) ? `${D.half.fromFloat}(${v})` : v;
  }

  /** Bytes one stored element takes. */
  bytes(t: PlanTensor, dtypeBytes: Record<PlanDType, number>): number {
    return this.halves.has(t) ? 2 : dtypeBytes[t.dtype];
  }

  get any(): boolean {
    return this.halves.size > 0;
  }
}

/**
 * Which tensors fp16 stores as half: f32 arena tensors other than the network's
 * inputs and outputs. Tensors that share bytes within one layer (in-place layers,
 * reshapes that alias) must agree, so a float one keeps its partner float too.
 */
export function chooseStorage(plan: PlanDesc, precision: CudaPrecision): Storage {
  if (!CUDA_PRECISIONS.includes(precision)) throw new Error(`CUDA precision must be one of ${CUDA_PRECISIONS.join(', ')}, got '${String(precision)}'`);
  if (precision === 'fp32' || precision === 'tf32') return new Storage(new Set(), 'f16', precision === 'tf32');
  const io = new Set([...plan.inputs, ...plan.outputs]);
  const half = new Set<number>();
  plan.tensors.forEach((t, i) => {
    if (t.location === 'arena' && t.dtype === 'f32' && !io.has(i)) half.add(i);
  });
  for (let changed = true; changed;) {
    changed = false;
    for (const l of plan.layers) {
      for (const o of l.outputs) {
        for (const i of l.inputs) {
          if (half.has(o) === half.has(i) || !overlaps(plan.tensors[o]!, plan.tensors[i]!)) continue;
          half.delete(o);
          half.delete(i);
          changed = true;
        }
      }
    }
  }
  return new Storage(new Set([...half].map((i) => plan.tensors[i]!)), precision === 'bf16' ? 'bf16' : 'f16');
}

/** IEEE half bits of a float, rounded to nearest even (as cvt.rn.f16.f32). */
export function halfBits(x: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = x;
  const bits = u[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;  // a carry into the exponent is right, up to inf
  return sign | h;
}

/** Rows of `rows` f32 values of length `cols`, as half (or bfloat16), each row padded with zeros to `padCols`. */
export function toHalfRows(src: Float32Array, rows: number, cols: number, padCols: number, format: HalfFormat = 'f16'): Uint8Array {
  const bits = format === 'bf16' ? f32ToBF16Bits : halfBits;
  const out = new Uint16Array(rows * padCols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * padCols + c] = bits(src[r * cols + c]!);
  return new Uint8Array(out.buffer);
}
