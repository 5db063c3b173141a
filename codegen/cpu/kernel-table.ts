// The CPU backend's kernel table: for each IR op, the native kernel that runs it and
// how the node's attributes become the kernel's ints/floats (layouts documented per
// kernel in native/PLAN_FORMAT.md). One entry per op; an op without one cannot be built.
// Op families register their lowerings from their own files (lower-*.ts, imported by
// index.ts here), so adding a family never edits another's table.
import { getOp, resolveAttrs, type Attrs, type Node, type TensorType } from '../../src/ir/index.js';

export interface KernelChoice {
  kernel: string;
  ints: number[];
  floats: number[];
}

export interface LowerContext {
  node: Node;
  attrs: Attrs;
  inputs: (TensorType | undefined)[];
  outputs: TensorType[];
}

export type Lowering = (ctx: LowerContext) => KernelChoice;

const table = new Map<string, Lowering>();

/** Registers the lowering of one or more ops; each op has exactly one. */
export function lowering(ops: readonly string[], fn: Lowering): void {
  for (const op of ops) {
    if (table.has(op)) throw new Error(`op '${op}' has two CPU lowerings`);
    table.set(op, fn);
  }
}

export function hasCpuKernel(op: string): boolean {
  return table.has(op);
}

export function chooseCpuKernel(node: Node, inputs: (TensorType | undefined)[], outputs: TensorType[]): KernelChoice {
  const fn = table.get(node.op);
  if (!fn) throw new Error(`layer '${node.name}' (${node.op}): the CPU backend has no kernel for op ${node.op}`);
  return fn({ node, attrs: resolveAttrs(getOp(node.op), node), inputs, outputs });
}
