// Rendering helpers shared by the kernel templates: literals, activations, index
// types, grid-stride loops, coordinate decomposition, and the kernel wrapper. All
// output is a pure function of the inputs (no Maps iterated by insertion of
// random keys, no floats printed by locale), so the same plan gives the same text.
import { ACTIVATION_CODES, type PlanDType, type PlanTensor } from '../plan-desc.js';
import { CUDA_DIALECT as D } from './dialect.js';

export const DTYPE_BYTES: Record<PlanDType, number> = { f32: 4, f16: 2, bf16: 2, i8: 1, u8: 1, i32: 4, i64: 8, bool: 1 };

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A float32 literal that round-trips exactly (9 significant digits). */
export function f32(x: number): string {
  if (Number.isNaN(x)) return `${D.math.bitsToFloat}(0x7fc00000)`;
  if (x === Infinity) return `${D.math.bitsToFloat}(0x7f800000)`;
  if (x === -Infinity) return `${D.math.bitsToFloat}(0xff800000)`;
  const s = Math.fround(x).toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

/** `int` when every index fits with room for a grid-stride step, else 64-bit. */
export function indexType(...counts: number[]): string {
  return Math.max(...counts) < 2 ** 30 ? 'int' : 'long long';
}

/**
 * Statements applying the activation of plan code `code` to the float variable
 * `v` in place. Semantics follow native/cpu/activation.cc exactly, NaN handling
 * included (relu maps NaN to 0; clip's comparisons let NaN through).
 */
export function activation(code: number, v: string, alpha: number, beta: number): string {
  const { exp, tanh, erf } = D.math;
  switch (code) {
    case ACTIVATION_CODES.none: return '';
    case ACTIVATION_CODES.relu: return `${v} = ${v} > 0.f ? ${v} : 0.f;`;
    case ACTIVATION_CODES.sigmoid: return `${v} = 1.f / (1.f + ${exp}(-${v}));`;
    case ACTIVATION_CODES.tanh: return `${v} = ${tanh}(${v});`;
    case ACTIVATION_CODES.leakyRelu: return `${v} = ${v} >= 0.f ? ${v} : ${v} * ${f32(alpha)};`;
    case ACTIVATION_CODES.clip: return `${v} = ${v} < ${f32(alpha)} ? ${f32(alpha)} : ${v}; ${v} = ${f32(beta)} < ${v} ? ${f32(beta)} : ${v};`;
    case ACTIVATION_CODES.gelu: return `${v} = 0.5f * ${v} * (1.f + ${erf}(${v} * 0.707106781f));`;
    case ACTIVATION_CODES.silu: return `${v} = ${v} / (1.f + ${exp}(-${v}));`;
    case ACTIVATION_CODES.geluTanh: return `${v} = 0.5f * ${v} * (1.f + ${tanh}(0.797884561f * (${v} + 0.044715f * ${v} * ${v} * ${v})));`;
    default: throw new Error(`unknown activation code ${code}`);
  }
}

/** Row-major strides of a shape, in elements. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
}

/**
 * Code that splits the linear index `i` over `shape` and accumulates, for each
 * operand, sum(coord[d] * operandStrides[d]) into the named variable. Dims where
 * every operand's stride is 0 are skipped; constant divisors become multiplies.
 */
export function gatherIndex(i: string, shape: readonly number[], operands: { name: string; strides: number[] }[], type: string): string {
  const lines = operands.map((o) => `${type} ${o.name} = 0;`);
  lines.push(`${type} r_ = ${i};`);
  for (let d = shape.length - 1; d >= 0; d--) {
    const used = operands.filter((o) => o.strides[d] !== 0);
    if (used.length === 0 && d > 0) {
      lines.push(`r_ /= ${shape[d]};`);
      continue;
    }
    const coord = d === 0 ? 'r_' : `(r_ % ${shape[d]})`;
    lines.push(`{ const ${type} c_ = ${coord};${used.map((o) => ` ${o.name} += c_ * ${o.strides[d]};`).join('')}${d > 0 ? ` r_ /= ${shape[d]};` : ''} }`);
  }
  return lines.join('\n');
}

/** Broadcast strides of `shape` against `out` (numpy rules, aligned right; 0 where broadcast). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = strides(shape);
  return out.map((_, d) => {
    const k = d - (out.length - shape.length);
    return k < 0 || shape[k] === 1 ? 0 : own[k]!;
  });
}

export interface LaunchShape {
  grid: [number, number, number];
  block: [number, number, number];
}

export const ELEMENTWISE_THREADS = 256;

/** One thread per element, grid-stride past 2^20 blocks. */
export function elementwiseLaunch(n: number): LaunchShape {
  return { grid: [Math.max(1, Math.min(Math.ceil(n / ELEMENTWISE_THREADS), 1 << 20)), 1, 1], block: [ELEMENTWISE_THREADS, 1, 1] };
}

/** `for (I i = global thread; i < n; i += all threads) { body }` */
export function gridStride(type: string, n: number, body: string): string {
  return `for (${type} i = (${type})${D.block.x} * ${D.blockDim} + ${D.thread}; i < ${n}; i += (${type})${D.gridDim} * ${D.blockDim}) {\n${indent(body)}\n}`;
}

export interface Param {
  name: string;
  type: string;
  /** Written by the kernel (no const). */
  out?: boolean;
}

/** A kernel definition. `restrict` only where no operand shares bytes with another. */
export function renderKernel(name: string, params: Param[], threads: number, restrict: boolean, body: string): string {
  const list = params.map((p) => `${p.out ? '' : 'const '}${p.type}* ${restrict ? `${D.restrict} ` : ''}${p.name}`).join(', ');
  return `${D.kernel} ${D.launchBounds(threads)} ${name}(${list}) {\n${indent(body)}\n}`;
}

export function indent(code: string, by = '  '): string {
  return code.split('\n').map((l) => (l ? by + l : l)).join('\n');
}

/** True when two arena tensors share any byte (in-place layers). */
export function overlaps(a: PlanTensor, b: PlanTensor): boolean {
  if (a.location !== b.location) return false;
  const end = (t: PlanTensor) => t.offset + numel(t.shape) * DTYPE_BYTES[t.dtype];
  return a.offset < end(b) && b.offset < end(a);
}
