// Kernel registration and the context a kernel runs in. Each kernel file declares
// its kernels in one explicit list of defineKernel calls; a second kernel for an op
// is a bug (two oracles that may disagree), so registration rejects it.
import { KilnError, formatType, getOp, layerLabel, type Attrs, type DType, type Node } from '../ir/index.js';
import { isFloatDType, readFloats, writeFloats, type Tensor } from './tensor.js';

export interface KernelContext {
  node: Node;
  /** Defaults filled in, symbolic dims resolved to the sizes bound at the inputs. */
  attrs: Attrs;
  /** In declaration order; undefined for an absent optional input. */
  inputs: readonly (Tensor | undefined)[];
  /** The output types inferred from the concrete input shapes. */
  outputs: readonly { dtype: DType; shape: number[] }[];
  /** Throws a KilnError ('KILN_INTERPRET') prefixed with the layer and op. */
  fail(message: string, argument?: string): never;
}

export type KernelFn = (ctx: KernelContext) => Tensor[];

export interface KernelDef {
  op: string;
  fn: KernelFn;
}

const kernels = new Map<string, KernelDef>();

export function defineKernel(op: string, fn: KernelFn): KernelDef {
  getOp(op); // a kernel for an op the registry does not know could never run
  if (kernels.has(op)) throw new Error(`kernel for op '${op}' is registered twice`);
  const def = { op, fn };
  kernels.set(op, def);
  return def;
}

export function getKernel(op: string): KernelDef | undefined {
  return kernels.get(op);
}

export function kernelOps(): string[] {
  return [...kernels.keys()];
}

export function kernelFail(node: Node, message: string, argument?: string): never {
  throw new KilnError('KILN_INTERPRET', `${layerLabel(node)}: ${message}`, { layer: node.name, op: node.op, argument });
}

/** The declared name of input `i` of the node's op (variadic inputs read `inputs[i]`). */
export function inputName(node: Node, i: number): string {
  const specs = getOp(node.op).inputs;
  const spec = specs[Math.min(i, specs.length - 1)]!;
  return spec.variadic ? `${spec.name}[${i - specs.length + 1}]` : spec.name;
}

/** Input `i` decoded to f64; fails unless it is a float tensor. */
export function floatInput(ctx: KernelContext, i: number): Float64Array {
  const t = ctx.inputs[i]!;
  if (!isFloatDType(t.dtype)) {
    const name = inputName(ctx.node, i);
    ctx.fail(`${ctx.node.op} computes on f32, f16 or bf16; input '${name}' is ${formatType(t)}`, name);
  }
  return readFloats(t);
}

/** Optional input `i` decoded to f64, or undefined when absent. */
export function optionalFloatInput(ctx: KernelContext, i: number): Float64Array | undefined {
  return ctx.inputs[i] ? floatInput(ctx, i) : undefined;
}

/** Output `k` from f64 values, rounded to its dtype. */
export function floatOutput(ctx: KernelContext, values: ArrayLike<number>, k = 0): Tensor {
  const { dtype, shape } = ctx.outputs[k]!;
  return { dtype, shape: [...shape], data: writeFloats(dtype, values) };
}
