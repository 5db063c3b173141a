// Pointwise: a chain (or in-tree) of elementwise layers fused by vertical fusion into
// one layer, its program kept as data. Registers 0..n-1 are the layer's inputs; the
// result of instruction i is register n+i; the last instruction's result is the
// output. Each instruction names a registered elementwise op, so the program means
// exactly what the layers it replaced meant, op by op, and new elementwise ops join
// without touching this file:
//   ops    ['Mul', 'Add', 'Relu']        one op name per instruction
//   args   [0, 1,  2, 3,  4, -1]         two register indices each; -1 for none
//   params [0, 0,  0, 0,  0, 0]          the op's float attributes, in declaration order
// An op may join a program when it is elementwise (activation, binary or elementwise
// group), takes one or two inputs, and has at most two attributes, all floats.
import { defineOp, getOp, hasOp, inferNode, type OpDef } from '../op-registry.js';
import type { Attrs, Node } from '../graph.js';
import { formatType, type TensorType } from '../shape.js';

export interface PointwiseInstruction {
  op: string;
  /** Register indices, one or two. */
  args: number[];
  attrs: Record<string, number>;
}

const GROUPS = new Set(['activation', 'binary', 'elementwise']);

/** The float attribute names of an op a program may use, in order; undefined when it may not. */
export function pointwiseAttrNames(op: string): string[] | undefined {
  if (op === 'Pointwise' || !hasOp(op)) return undefined;
  const def: OpDef = getOp(op);
  const attrs = Object.entries(def.attrs);
  const simpleInputs = def.inputs.length >= 1 && def.inputs.length <= 2 && def.inputs.every((i) => !i.optional && !i.variadic);
  if (!GROUPS.has(def.group) || !simpleInputs || attrs.length > 2 || attrs.some(([, s]) => s.kind !== 'float')) return undefined;
  return attrs.map(([name]) => name);
}

/** Decodes (and checks) the program of a Pointwise node; returns a message when it is malformed. */
export function pointwiseProgram(attrs: Attrs, inputs: number): PointwiseInstruction[] | string {
  const ops = attrs.ops as readonly string[];
  const args = attrs.args as readonly number[];
  const params = attrs.params as readonly number[];
  if (ops.length === 0) return 'the program has no instructions';
  if (args.length !== 2 * ops.length || params.length !== 2 * ops.length) return `a program of ${ops.length} instructions needs ${2 * ops.length} args and params, got ${args.length} and ${params.length}`;
  const program: PointwiseInstruction[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const names = pointwiseAttrNames(op);
    if (!names) return `instruction ${i}: '${op}' is not an elementwise op a program may use`;
    const arity = getOp(op).inputs.length;
    const regs = args.slice(2 * i, 2 * i + arity);
    if (regs.some((r) => !Number.isInteger(r) || r < 0 || r >= inputs + i)) return `instruction ${i} (${op}) reads register ${regs.join(', ')}; only 0..${inputs + i - 1} exist then`;
    if (arity === 1 && args[2 * i + 1] !== -1) return `instruction ${i} (${op}) takes one operand; its second arg must be -1`;
    program.push({ op, args: regs, attrs: Object.fromEntries(names.map((n, k) => [n, params[2 * i + k]!])) });
  }
  return program;
}

/** The node an instruction stands for, for inference and for the interpreter's kernels. */
export function instructionNode(node: Node, i: number, ins: PointwiseInstruction): Node {
  return { name: `${node.name}[${i}]`, op: ins.op, inputs: ins.args.map((r) => `r${r}`), outputs: [`r${i}`], attrs: ins.attrs };
}

defineOp({
  name: 'Pointwise',
  group: 'elementwise',
  inputs: [{ name: 'inputs', variadic: true }],
  attrs: { ops: { kind: 'strings' }, args: { kind: 'ints' }, params: { kind: 'floats' } },
  infer: (ctx) => {
    const program = pointwiseProgram(ctx.attrs, ctx.inputs.length);
    if (typeof program === 'string') return ctx.fail(program, { argument: 'ops' });
    const regs = ctx.inputs.map((t) => t!);
    const dtype = regs[0]!.dtype;
    if (regs.some((t) => t.dtype !== dtype)) ctx.fail(`inputs must have one dtype, got ${regs.map(formatType).join(', ')}`, { argument: 'inputs' });
    // Each instruction is inferred by its own op, so a program is typed exactly as the layers it replaced.
    program.forEach((ins, i) => {
      const [t] = inferNode(instructionNode(ctx.node, i, ins), ins.args.map((r) => regs[r])) as [TensorType];
      if (t.dtype !== dtype) ctx.fail(`instruction ${i} (${ins.op}) gives ${formatType(t)}; a program computes in ${dtype} throughout`, { argument: 'ops' });
      regs.push(t);
    });
    return [regs[regs.length - 1]!];
  },
});
