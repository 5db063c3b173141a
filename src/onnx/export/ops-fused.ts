// Exporters for the layers whose IR form is richer than one ONNX op: windows (Conv,
// ConvTranspose, Pool) and MatMul with their fused epilogue (bias, residual,
// activation), Scale (TensorRT's IScaleLayer), and Pointwise programs. Each comes
// back as its primitive ONNX ops in the order the fused kernel computes them. The
// int8 layers (QConv, QGemm) are refused: their meaning includes requantization
// choices ONNX spells as QDQ pairs around float ops, which kiln does not write.
import { ACTIVATIONS, pointwiseProgram, type Node } from '../../ir/index.js';
import { attr, ExportError, type AttrArg, type ExportContext } from './context.js';
import { defineExporter, exportNode, ints, someInts } from './ops.js';


/** The IR activation op of an epilogue name, with its attributes from (alpha, beta). */
function activationNode(node: Node, input: string, output: string): Node | undefined {
  const name = (node.attrs.activation as string | undefined) ?? 'none';
  if (name === 'none') return undefined;
  const op = Object.entries(ACTIVATIONS).find(([, d]) => d.epilogue === name)?.[0];
  if (!op) throw new ExportError(node, `epilogue activation '${name}' has no ONNX form`, 'build with --opt-level 0 to export the unfused network');
  const [alpha, beta] = [(node.attrs.alpha as number | undefined) ?? 0, (node.attrs.beta as number | undefined) ?? 0];
  const attrs: Record<string, number> = op === 'LeakyRelu' ? { alpha } : op === 'Clip' ? { min: alpha, max: beta } : {};
  return { name: `${node.name}/${op.toLowerCase()}`, op, inputs: [input], outputs: [output], attrs };
}

/**
 * Writes `main` (the layer's own op, producing `core`), then the epilogue: + residual,
 * then the activation, ending in the layer's output name.
 */
function withEpilogue(node: Node, x: ExportContext, residual: string | undefined, main: (out: string) => void): void {
  const out = node.outputs[0]!;
  const t = x.typeOf(out);
  const act = (node.attrs.activation as string | undefined) ?? 'none';
  const steps = (residual ? 1 : 0) + (act !== 'none' ? 1 : 0);
  let y = steps === 0 ? out : x.temp(`${node.name}/core`, t);
  main(y);
  if (residual) {
    const next = act === 'none' ? out : x.temp(`${node.name}/residual_sum`, t);
    x.node('Add', [y, residual], [next], {}, `${node.name}/residual`);
    y = next;
  }
  const a = activationNode(node, y, out);
  if (a) exportNode(a, x);
}

function windowAttrs(node: Node): Record<string, AttrArg | undefined> {
  const pads = [...ints(node, 'padsBegin'), ...ints(node, 'padsEnd')];
  return { strides: someInts(ints(node, 'strides')), pads: pads.some((p) => p !== 0) ? attr.ints(pads) : undefined, dilations: someInts(ints(node, 'dilations')) };
}

for (const op of ['Conv', 'ConvTranspose']) {
  defineExporter(op, (node, x) => {
    const [v, w, b, residual] = node.inputs;
    const kernel = x.typeOf(w!).shape.slice(2) as number[];
    const attrs = { kernel_shape: attr.ints(kernel), group: attr.int((node.attrs.groups as number | undefined) ?? 1), ...windowAttrs(node) };
    if (op === 'ConvTranspose') Object.assign(attrs, { output_padding: someInts(ints(node, 'outputPadding')) });
    withEpilogue(node, x, residual || undefined, (out) => x.node(op, [v!, w!, b ?? ''], [out], attrs, node.name));
  });
}

defineExporter('Pool', (node, x) => {
  const max = node.attrs.mode === 'max';
  // A window over the whole (static) plane with default strides and pads is the global pool.
  const plane = x.typeOf(node.inputs[0]!).shape.slice(2);
  const defaults = ['strides', 'padsBegin', 'padsEnd'].every((k) => ints(node, k).length === 0);
  if (defaults && ints(node, 'kernel').join() === plane.join()) return x.node(max ? 'GlobalMaxPool' : 'GlobalAveragePool', node.inputs, node.outputs, {}, node.name);
  const attrs: Record<string, AttrArg | undefined> = { kernel_shape: attr.ints(ints(node, 'kernel')), ...windowAttrs(node), dilations: undefined };
  if (!max) attrs.count_include_pad = attr.int(node.attrs.countIncludePad === true);
  x.node(max ? 'MaxPool' : 'AveragePool', node.inputs, node.outputs, attrs, node.name);
});

/** MatMul: Gemm for 2-D operands with transposes or a bias; else MatMul after Transposes, then + bias. */
defineExporter('MatMul', (node, x) => {
  const [a, b, bias, residual] = node.inputs;
  const transA = node.attrs.transA === true;
  const transB = node.attrs.transB === true;
  const rank = (v: string) => x.typeOf(v).shape.length;
  const out = node.outputs[0]!;
  withEpilogue(node, x, residual || undefined, (core) => {
    if (!transA && !transB && !bias) return x.node('MatMul', [a!, b!], [core], {}, node.name);
    if (rank(a!) === 2 && rank(b!) === 2) return x.node('Gemm', [a!, b!, bias ?? ''], [core], { transA: attr.int(transA), transB: attr.int(transB) }, node.name);
    const swap = (v: string, tag: string) => {
      const t = x.typeOf(v);
      const r = t.shape.length;
      const perm = [...Array(r - 2).keys(), r - 1, r - 2];
      const y = x.temp(`${node.name}/${tag}`, { dtype: t.dtype, shape: perm.map((p) => t.shape[p]!) });
      x.node('Transpose', [v], [y], { perm: attr.ints(perm) }, `${node.name}/${tag}`);
      return y;
    };
    const lhs = transA ? swap(a!, 'transpose_a') : a!;
    const rhs = transB ? swap(b!, 'transpose_b') : b!;
    const product = bias ? x.temp(`${node.name}/product`, x.typeOf(out)) : core;
    x.node('MatMul', [lhs, rhs], [product], {}, node.name);
    if (bias) x.node('Add', [product, bias], [core], {}, `${node.name}/bias`);
  });
});

/**
 * Scale: y = (x * scale + shift) ^ power. Per-channel parameters are [C] in the IR;
 * ONNX broadcasts from the right, so they are reshaped to [C,1,...,1].
 */
defineExporter('Scale', (node, x) => {
  const [v, shift, scale, power] = node.inputs;
  const t = x.typeOf(v!);
  const axis = (((node.attrs.channelAxis as number | undefined) ?? 1) + t.shape.length) % t.shape.length;
  const param = (p: string) => {
    if (node.attrs.mode !== 'channel') return p;
    const c = x.typeOf(p).shape[0] as number;
    const dims = [c, ...new Array<number>(t.shape.length - 1 - axis).fill(1)];
    const y = x.temp(`${p}/per_channel`, { dtype: t.dtype, shape: dims });
    x.node('Reshape', [p, x.ints(`${p}/per_channel_shape`, dims)], [y], {}, `${node.name}/${p}_reshape`);
    return y;
  };
  const steps = [['Mul', scale], ['Add', shift], ['Pow', power]].filter((s): s is [string, string] => !!s[1]);
  if (steps.length === 0) return x.node('Identity', [v!], node.outputs, {}, node.name);
  let y = v!;
  steps.forEach(([op, p], i) => {
    const next = i === steps.length - 1 ? node.outputs[0]! : x.temp(`${node.name}/${op.toLowerCase()}`, t);
    x.node(op, [y, param(p)], [next], {}, i === 0 ? node.name : `${node.name}/${op.toLowerCase()}`);
    y = next;
  });
});

/** A Pointwise program: one ONNX node (or a few) per instruction, registers become values. */
defineExporter('Pointwise', (node, x) => {
  const program = pointwiseProgram(node.attrs, node.inputs.length);
  if (typeof program === 'string') throw new ExportError(node, `malformed program: ${program}`, 'rebuild the graph');
  const regs = [...node.inputs];
  const t = x.typeOf(node.outputs[0]!);
  program.forEach((ins, i) => {
    const last = i === program.length - 1;
    const out = last ? node.outputs[0]! : x.temp(`${node.name}/r${regs.length}`, { dtype: t.dtype, shape: t.shape });
    exportNode({ name: `${node.name}/${i}_${ins.op}`, op: ins.op, inputs: ins.args.map((r) => regs[r]!), outputs: [out], attrs: ins.attrs }, x);
    regs.push(out);
  });
});

for (const op of ['QConv', 'QGemm']) {
  defineExporter(op, (node) => {
    throw new ExportError(node, 'is an int8 layer made by the int8 build, which has no one-op ONNX form', 'export the fp32 network (before --int8) instead');
  });
}
