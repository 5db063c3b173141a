// Tactics of layers stored in bf16 or fp16 (every float operand 16-bit, after the
// builder's precision assignment). The native library wraps each f32 conv / gemm
// tactic for 16-bit storage (widen, run the f32 tactic, round the result: f32
// accumulation throughout), so a 16-bit layer has the candidates of its f32 twin
// under the wrappers' names, plus gemvBf16, which streams the 16-bit weights of a
// fully connected layer as they are (half the bytes) and widens them in registers.
import type { PlanLayer, PlanTensor } from '../plan-desc.js';
import type { Tactic } from './tactics.js';

/** The f32 kernel each 16-bit wrapper runs (native/cpu/kernel-gemm-bf16.cc). */
export const LOWP_WRAPPERS: Readonly<Record<string, string>> = {
  conv: 'lowpConv', convWide: 'lowpConvWide', convWinograd: 'lowpConvWinograd', convWinogradWide: 'lowpConvWinogradWide',
  convDepthwise: 'lowpConvDepthwise', gemm: 'lowpGemm', gemmRows: 'lowpGemmRows', gemv: 'lowpGemv',
};

const F32_OF: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(LOWP_WRAPPERS).map(([f32, lowp]) => [lowp, f32]));

export const isLowpDType = (dtype: string) => dtype === 'bf16' || dtype === 'f16';

/** The kernel lowering picks: the wrapper of `kernel` when the layer computes in a 16-bit dtype. */
export function lowpKernel(kernel: string, dtype: string): string {
  return isLowpDType(dtype) ? LOWP_WRAPPERS[kernel] ?? kernel : kernel;
}

/** The f32 kernel a wrapper stands for, or undefined when `kernel` is none. */
export function f32KernelOf(kernel: string): string | undefined {
  return F32_OF[kernel];
}

/**
 * A 16-bit layer's candidates from its f32 twin's (`f32Tactics`): each one the
 * library wraps, in the same order, and for gemm the weight-streaming gemvBf16
 * where gemv applies and no residual is fused.
 */
export function lowpTactics(layer: PlanLayer, tensors: readonly PlanTensor[], f32Tactics: readonly Tactic[]): Tactic[] {
  const out: Tactic[] = [];
  for (const t of f32Tactics) {
    const wrapper = LOWP_WRAPPERS[t.kernel];
    if (wrapper) out.push({ ...t, name: `${t.name}.${tensors[layer.outputs[0]!]!.dtype}`, kernel: wrapper });
    if (t.kernel === 'gemv' && (layer.ints[4] ?? 0) === 0) {
      out.push({ ...t, name: `gemv-stream-${tensors[layer.outputs[0]!]!.dtype}`, kernel: 'gemvBf16' });
    }
  }
  return out;
}
