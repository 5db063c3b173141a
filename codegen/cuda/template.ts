// The CUDA backend's kernel table: for each plan kernel (the names of
// native/PLAN_FORMAT.md, the same layers the CPU runs), a template that renders
// CUDA C++ for that one layer with every shape baked in, and says how to launch
// it. Families register from their own files (kernels/*.ts), as codegen/cpu does.
import type { PlanCublasLt, PlanDesc, PlanDType, PlanLayer, PlanTensor } from '../plan-desc.js';
import type { Storage } from './precision.js';

export interface KernelCtx {
  plan: PlanDesc;
  layer: PlanLayer;
  /** Layer index in the plan; names the generated functions. */
  index: number;
  /** Base name for this layer's functions: kiln_<index>_<kernel>. */
  name: string;
  ins: PlanTensor[];
  outs: PlanTensor[];
  /** Number of multiprocessors to size grids for (tile choice). */
  multiprocessors: number;
  /** One of the template's tactics (autotuning), or undefined for its own rule. */
  tactic?: string;
  /** How each tensor is stored on the device (f32, or half under fp16). */
  st: Storage;
  /**
   * A constant derived at build time (half weights, padded rows): appended to the
   * plan's weight blob once per `key`; returns its tensor index for `args`.
   */
  constant(key: string, dtype: PlanDType, shape: number[], make: () => Uint8Array): number;
  /**
   * Scratch device memory of at least `bytes` (split-K sums): one arena tensor past the
   * plan's own, shared by every layer (launches run in order on one stream).
   */
  workspace(bytes: number): number;
  /** cuBLASLt loads and the build is for this machine's GPU: conv/gemm may offer tactic 'cublasLt'. */
  cublasLt?: boolean;
}

export interface EmittedKernel {
  function: string;
  source: string;
  grid: [number, number, number];
  block: [number, number, number];
  sharedBytes: number;
  /** Plan tensor indices, passed as device pointers in this order. */
  args: number[];
  /** A library call instead of a kernel (kernels/cublaslt.ts): `source` is a comment, nothing is launched from the cubin. */
  cublasLt?: PlanCublasLt;
}

export type KernelTemplate = (ctx: KernelCtx) => EmittedKernel[];

export interface TemplateEntry {
  render: KernelTemplate;
  /** The alternatives the builder may time for this layer (first: the rule's choice). */
  tactics?: (ctx: KernelCtx) => string[];
}

const table = new Map<string, TemplateEntry>();

export function cudaTemplate(kernels: readonly string[], render: KernelTemplate, tactics?: TemplateEntry['tactics']): void {
  for (const k of kernels) {
    if (table.has(k)) throw new Error(`plan kernel '${k}' has two CUDA templates`);
    table.set(k, { render, tactics });
  }
}

export function findTemplate(kernel: string): TemplateEntry | undefined {
  return table.get(kernel);
}

export function cudaKernelNames(): string[] {
  return [...table.keys()].sort();
}

/** Errors from templates name the layer, as the CPU kernels' checks do. */
export function unsupported(ctx: KernelCtx, what: string): never {
  throw new Error(`layer '${ctx.layer.name}' (${ctx.layer.kernel}): the CUDA backend ${what}`);
}

export function requireF32(ctx: KernelCtx, tensors: PlanTensor[]): void {
  for (const t of tensors) {
    if (t.dtype === 'f32') continue;
    const hint = t.dtype === 'f16' || t.dtype === 'bf16' ? " (for half precision on the GPU, build f32 with config.cudaPrecision = 'fp16')" : '';
    unsupported(ctx, `supports f32 only for kernel ${ctx.layer.kernel}, got ${t.dtype} tensor '${t.name}'${hint}`);
  }
}
