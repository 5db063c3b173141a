// The CPU backend's kernel table: for each IR op, the native kernel that runs it and
// how the node's attributes become the kernel's ints/floats (layouts documented per
// kernel in native/PLAN_FORMAT.md). One entry per op; an op without one cannot be built.
import {
  ACTIVATIONS, BINARY_OPS, getOp, normalizeAxis, resolveAttrs, windowParams,
  type Attrs, type Node, type TensorType,
} from '../../src/ir/index.js';
import { ACTIVATION_CODES, BINARY_CODES, POOL_MODE_CODES, SCALE_MODE_CODES, type ActivationName } from '../plan-desc.js';

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

type Lowering = (ctx: LowerContext) => KernelChoice;

const flag = (b: unknown) => (b ? 1 : 0);

function epilogue(attrs: Attrs): { code: number; floats: number[] } {
  return { code: ACTIVATION_CODES[attrs.activation as ActivationName], floats: [attrs.alpha as number, attrs.beta as number] };
}

function window(ctx: LowerContext, kernel: readonly number[]): number[] {
  const w = windowParams(ctx.attrs, kernel);
  if (typeof w === 'string') throw new Error(`layer '${ctx.node.name}': ${w}`);
  return [...w.strides, ...w.padsBegin, ...w.padsEnd, ...w.dilations];
}

const table = new Map<string, Lowering>();

function lowering(ops: readonly string[], fn: Lowering): void {
  for (const op of ops) {
    if (table.has(op)) throw new Error(`op '${op}' has two CPU lowerings`);
    table.set(op, fn);
  }
}

lowering(Object.keys(ACTIVATIONS), ({ node, attrs }) => {
  const act = ACTIVATIONS[node.op]!;
  return { kernel: 'unary', ints: [ACTIVATION_CODES[act.epilogue]], floats: act.params(attrs) };
});

lowering(Object.keys(BINARY_OPS), ({ node }) => ({
  kernel: 'binary', ints: [BINARY_CODES[BINARY_OPS[node.op as keyof typeof BINARY_OPS]]], floats: [],
}));

lowering(['Conv'], (ctx) => {
  const w = ctx.inputs[1]!.shape.slice(2) as number[];
  const e = epilogue(ctx.attrs);
  const all = window(ctx, w);
  return { kernel: 'conv', ints: [w.length, ctx.attrs.groups as number, e.code, ...all], floats: e.floats };
});

lowering(['Pool'], (ctx) => {
  const kernel = ctx.attrs.kernel as number[];
  const all = window(ctx, kernel);
  const n = kernel.length;
  return {
    kernel: 'pool',
    ints: [n, POOL_MODE_CODES[ctx.attrs.mode as 'max' | 'avg'], flag(ctx.attrs.countIncludePad), ...kernel, ...all.slice(0, 3 * n)],
    floats: [],
  };
});

lowering(['MatMul'], ({ attrs, inputs }) => {
  const e = epilogue(attrs);
  return { kernel: 'gemm', ints: [flag(attrs.transA), flag(attrs.transB), e.code, flag(inputs[2])], floats: e.floats };
});

lowering(['Scale'], ({ attrs, inputs }) => ({
  kernel: 'scale',
  ints: [SCALE_MODE_CODES[attrs.mode as keyof typeof SCALE_MODE_CODES], normalizeAxis(attrs.channelAxis as number, inputs[0]!.shape.length) ?? 0],
  floats: [],
}));

lowering(['Softmax'], ({ attrs, inputs }) => ({ kernel: 'softmax', ints: [normalizeAxis(attrs.axis as number, inputs[0]!.shape.length)!], floats: [] }));
lowering(['Concat'], ({ attrs, inputs }) => ({ kernel: 'concat', ints: [normalizeAxis(attrs.axis as number, inputs[0]!.shape.length)!], floats: [] }));
lowering(['Transpose'], ({ attrs }) => ({ kernel: 'transpose', ints: [...(attrs.perm as number[])], floats: [] }));
lowering(['Reshape'], () => ({ kernel: 'copy', ints: [], floats: [] }));

export function hasCpuKernel(op: string): boolean {
  return table.has(op);
}

export function chooseCpuKernel(node: Node, inputs: (TensorType | undefined)[], outputs: TensorType[]): KernelChoice {
  const fn = table.get(node.op);
  if (!fn) throw new Error(`layer '${node.name}' (${node.op}): the CPU backend has no kernel for op ${node.op}`);
  return fn({ node, attrs: resolveAttrs(getOp(node.op), node), inputs, outputs });
}
