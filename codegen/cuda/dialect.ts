// CUDA C++ as data: every spelling the renderer needs from the dialect lives here
// (qualifiers, barrier, thread indices, type names, math builtins), so kernel
// templates read as algorithms and another dialect (HIP) would be one more table.
import type { PlanDType } from '../plan-desc.js';

export const CUDA_DIALECT = {
  kernel: 'extern "C" __global__ void',
  launchBounds: (threads: number) => `__launch_bounds__(${threads})`,
  device: '__device__ __forceinline__',
  shared: '__shared__',
  barrier: '__syncthreads();',
  restrict: '__restrict__',
  thread: 'threadIdx.x',
  block: { x: 'blockIdx.x', y: 'blockIdx.y', z: 'blockIdx.z' },
  blockDim: 'blockDim.x',
  gridDim: 'gridDim.x',
  warpSize: 32,
  shuffleXor: (v: string, lane: string) => `__shfl_xor_sync(0xffffffffu, ${v}, ${lane})`,
  unroll: '#pragma unroll',
  /** Compute types; only f32 kernels do arithmetic today. */
  types: { f32: 'float', i32: 'int', i64: 'long long' } as Partial<Record<PlanDType, string>>,
  /** Data movement copies raw words of the element's size, whatever the dtype. */
  words: { 1: 'unsigned char', 2: 'unsigned short', 4: 'unsigned int', 8: 'unsigned long long' } as Record<number, string>,
  /** Half storage: raw 16-bit words and the conversions (PTX cvt, so no header is needed under NVRTC). */
  half: { storage: 'unsigned short', toFloat: 'kiln_h2f', fromFloat: 'kiln_f2h', pack: 'kiln_pack2' },
  /** Warp-wide tensor-core multiply-add, m16n8k16, f16 operands, f32 accumulators (PTX mma.sync). */
  mma: 'kiln_mma16816',
  /** The same on f32 bits read as tf32 (10-bit mantissa), m16n8k8, f32 accumulators. */
  mmaTf32: 'kiln_mma1688tf32',
  /** f32 bits rounded to tf32 (nearest, ties away; PTX cvt.rna.tf32.f32): the mma itself would truncate. */
  toTf32: 'kiln_to_tf32',
  /**
   * Asynchronous 16-byte copies global -> shared (PTX cp.async.cg, sm_80+): `copy(dst, src, full)`
   * copies 16 bytes, or writes 16 zero bytes when `full` is false (src is then not read);
   * `commit()` closes a group of copies; `wait<N>()` waits until at most N groups are pending.
   */
  cpAsync: { copy: 'kiln_cp16', commit: 'kiln_cp_commit', wait: 'kiln_cp_wait' },
  /** Alignment of a shared array that 16-byte copies target. */
  align16: 'alignas(16)',
  /** Bytes of two words picked by a selector (PTX prmt). */
  bytePerm: '__byte_perm',
  math: { exp: 'expf', tanh: 'tanhf', erf: 'erff', pow: 'powf', bitsToFloat: '__int_as_float' },
} as const;

export type Dialect = typeof CUDA_DIALECT;

/**
 * Device helpers every module starts with, for the plan's 16-bit storage format
 * (IEEE half, or bfloat16: the conversions and the mma's operand type differ, the
 * kernels do not). The CPU emulator (test/gpu/emulator) defines KILN_EMULATOR and its
 * own versions of the same functions (a bf16 module sets its emuBf16 flag).
 */
export function cudaHelpers(format: 'f16' | 'bf16' = 'f16'): string {
  const d = CUDA_DIALECT.device;
  const bf = format === 'bf16';
  return [
    `// 16-bit storage: ${bf ? 'bfloat16' : 'IEEE half'}`,
    '#ifndef KILN_EMULATOR',
    bf ? `${d} float kiln_h2f(unsigned short h) { return __int_as_float((unsigned)h << 16); }`
      : `${d} float kiln_h2f(unsigned short h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }`,
    `${d} unsigned short kiln_f2h(float f) { unsigned short h; asm("cvt.rn.${bf ? 'bf16' : 'f16'}.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }`,
    `${d} unsigned kiln_pack2(unsigned short lo, unsigned short hi) { return (unsigned)lo | ((unsigned)hi << 16); }`,
    '// c (4 floats, this lane\'s share of a 16x8 f32 tile) += A (16x16, row-major, 4 regs) x B (16x8, col-major, 2 regs)',
    `${d} void kiln_mma16816(float* c, const unsigned* a, const unsigned* b) {`,
    `  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.${bf ? 'bf16.bf16' : 'f16.f16'}.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"`,
    '               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])',
    '               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));',
    '}',
    '// c += A (16x8 tf32, row-major, 4 regs of f32 bits) x B (8x8, col-major, 2 regs)',
    `${d} void kiln_mma1688tf32(float* c, const unsigned* a, const unsigned* b) {`,
    '  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"',
    '               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])',
    '               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));',
    '}',
    `${d} unsigned kiln_to_tf32(unsigned bits) { unsigned r; asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(bits))); return r; }`,
    `${d} void kiln_cp16(void* dst, const void* src, bool full) {`,
    '  unsigned s;',
    '  asm volatile("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(s) : "l"(dst));',
    '  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(s), "l"(src), "r"(full ? 16 : 0));',
    '}',
    `${d} void kiln_cp_commit() { asm volatile("cp.async.commit_group;"); }`,
    `template <int N> ${d} void kiln_cp_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N)); }`,
    '#else',
    ...(bf ? ['static const bool kiln_bf16_storage = (emuBf16 = true);'] : []),
    '#endif',
  ].join('\n');
}
