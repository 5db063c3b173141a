// One exporter per IR op: the IR node back to standard ONNX (opset EXPORT_OPSET).
// Most IR ops carry ONNX's name and meaning, so they map one to one with their
// attributes renamed; what the importer folded into attributes (Slice bounds, Pad
// pads, Reduce axes, TopK's K) becomes initializer inputs again. Layers that passes
// fused (Conv/MatMul epilogues, Pointwise programs, Scale) live in ops-fused.ts and
// come back as their primitive ops.
import { getOp, MATH_OPS, ONNX_REDUCE_OPS, type Dim, type Node } from '../../ir/index.js';
import { onnxCodeOf } from '../proto/dtypes.js';
import { attr, ExportError, tensorObject, type AttrArg, type ExportContext } from './context.js';
import { tensor } from '../../interpret/index.js';
import type { TypedArray } from '../../ir/index.js';

export type Exporter = (node: Node, x: ExportContext) => void;

const exporters = new Map<string, Exporter>();

export function defineExporter(op: string, fn: Exporter): void {
  exporters.set(op, fn);
}

export function exportedOps(): string[] {
  return [...exporters.keys()];
}

/** Writes one IR node as ONNX nodes; a layer with no exporter is refused by name. */
export function exportNode(node: Node, x: ExportContext): void {
  const fn = exporters.get(node.op);
  if (!fn) throw new ExportError(node, `kiln has no ONNX form for op ${node.op}`, 'export the network before the pass that made this layer (build with --opt-level 0)');
  fn(node, x);
}

const a = (node: Node, key: string) => node.attrs[key];
const num = (node: Node, key: string, fallback: number) => (node.attrs[key] as number | undefined) ?? fallback;
const bool = (node: Node, key: string, fallback = false) => (node.attrs[key] as boolean | undefined) ?? fallback;
export const ints = (node: Node, key: string) => (node.attrs[key] as readonly number[] | undefined) ?? [];
/** A list attribute only when the IR gave a non-empty one (empty means ONNX's default). */
export const someInts = (v: readonly number[]): AttrArg | undefined => (v.length > 0 ? attr.ints(v) : undefined);

/** Ops whose IR form is ONNX's: same name, same inputs, float attributes of the same names. */
const SAME = ['Relu', 'Sigmoid', 'Tanh', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'PRelu', 'Not', 'Where',
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'LeakyRelu', ...Object.keys(MATH_OPS)];
for (const op of SAME) {
  defineExporter(op, (node, x) => {
    // A value equal to the default stays implicit: written as a float32 it would round (0.01 -> 0.0099999998).
    const defaults = getOp(op).attrs;
    const given = Object.entries(node.attrs).filter(([k, v]) => v !== defaults[k]?.default);
    const attrs = Object.fromEntries(given.map(([k, v]) => [k, attr.float(v as number)]));
    x.node(op, node.inputs, node.outputs, attrs, node.name);
  });
}

defineExporter('Gelu', (node, x) => x.node('Gelu', node.inputs, node.outputs, {}, node.name));

/** Silu has no ONNX op before Swish (opset 24): x * Sigmoid(x). */
defineExporter('Silu', (node, x) => {
  const s = x.temp(`${node.name}/sigmoid`, x.typeOf(node.inputs[0]!));
  x.node('Sigmoid', [node.inputs[0]!], [s], {}, `${node.name}/sigmoid`);
  x.node('Mul', [node.inputs[0]!, s], node.outputs, {}, node.name);
});

defineExporter('Clip', (node, x) => {
  const v = node.inputs[0]!;
  const bound = (key: string, hint: string) => {
    const b = a(node, key) as number | null | undefined;
    return b === null || b === undefined || !Number.isFinite(b) ? '' : x.scalarLike(`${node.name}/${hint}`, v, b);
  };
  x.node('Clip', [v, bound('min', 'min'), bound('max', 'max')], node.outputs, {}, node.name);
});

defineExporter('Mod', (node, x) => x.node('Mod', node.inputs, node.outputs, { fmod: attr.int(num(node, 'fmod', 0)) }, node.name));
defineExporter('Cast', (node, x) => x.node('Cast', node.inputs, node.outputs, { to: attr.int(onnxCodeOf(a(node, 'to') as never)) }, node.name));

for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
  defineExporter(op, (node, x) => x.node(op, node.inputs, node.outputs, { axis: attr.int(num(node, 'axis', -1)) }, node.name));
}

/**
 * Reshape targets may name symbolic dims. A symbol at the position the input has it
 * becomes 0 (ONNX's "copy this dim"), one expression (batch*seq) becomes -1, and other
 * symbols are read at run time with Shape from a graph input that has them, the
 * target then assembled by Concat. Anything else has no ONNX form and is refused.
 */
defineExporter('Reshape', (node, x) => {
  const input = x.typeOf(node.inputs[0]!).shape;
  const target = a(node, 'shape') as readonly Dim[];
  const literalZero = target.includes(0);
  const out: Dim[] = target.map((d, i) => (typeof d === 'string' && !literalZero && input[i] === d ? 0 : d));
  const symbolic = () => out.map((d, i) => [d, i] as const).filter(([d]) => typeof d === 'string');
  const plain = (d: Dim) => typeof d === 'string' && /^[A-Za-z_][\w.]*$/.test(d);
  // -1 takes an expression first (it cannot be read from any input), else the only symbol left.
  if (!out.includes(-1)) {
    const left = symbolic();
    const pick = left.find(([d]) => !plain(d)) ?? (left.length === 1 ? left[0] : undefined);
    if (pick) out[pick[1]] = -1;
  }
  const refuse = (why: string) => new ExportError(node, `the target [${target.join(',')}] from input [${input.join(',')}]: ${why}`, 'fix the symbolic dims first (--shapes name:1x3x224x224)');
  const opts = literalZero ? { allowzero: attr.int(1) } : {};
  const rest = symbolic();
  if (rest.length === 0) return x.node('Reshape', [node.inputs[0]!, x.ints(`${node.name}/shape`, out as number[])], node.outputs, opts, node.name);
  const parts = out.map((d, i) => {
    if (typeof d === 'number') return x.ints(`${node.name}/dim${i}`, [d]);
    if (!plain(d)) throw refuse(`more than one dim is an expression (${rest.map(([e]) => e).join(', ')})`);
    return x.symbolDim(d) ?? (() => { throw refuse(`no graph input has dim '${d}' to read it from`); })();
  });
  const shape = x.temp(`${node.name}/shape`, { dtype: 'i64', shape: [out.length] });
  x.node('Concat', parts, [shape], { axis: attr.int(0) }, `${node.name}/shape`);
  x.node('Reshape', [node.inputs[0]!, shape], node.outputs, opts, node.name);
});

defineExporter('Transpose', (node, x) => x.node('Transpose', node.inputs, node.outputs, { perm: attr.ints(ints(node, 'perm')) }, node.name));
defineExporter('Concat', (node, x) => x.node('Concat', node.inputs, node.outputs, { axis: attr.int(num(node, 'axis', 0)) }, node.name));

defineExporter('Resize', (node, x) => {
  const scales = ints(node, 'scales');
  const sizes = ints(node, 'sizes');
  const s = scales.length ? x.constant(`${node.name}/scales`, 'f32', [scales.length], scales) : '';
  const z = sizes.length ? x.ints(`${node.name}/sizes`, sizes) : '';
  x.node('Resize', [node.inputs[0]!, '', s, z], node.outputs, {
    mode: attr.string(a(node, 'mode') as string),
    coordinate_transformation_mode: attr.string(a(node, 'coordinateTransformationMode') as string),
    nearest_mode: attr.string(a(node, 'nearestMode') as string),
    cubic_coeff_a: attr.float(num(node, 'cubicCoeffA', -0.75)),
    exclude_outside: attr.int(bool(node, 'excludeOutside')),
    antialias: attr.int(bool(node, 'antialias')),
    axes: someInts(ints(node, 'axes')),
    keep_aspect_ratio_policy: attr.string((a(node, 'keepAspectRatioPolicy') as string | undefined) ?? 'stretch'),
  }, node.name);
});

defineExporter('Range', (node, x) => {
  const dtype = (a(node, 'dtype') as never) ?? 'f32';
  const s = (k: string) => x.constant(`${node.name}/${k}`, dtype, [], [num(node, k, 0)]);
  x.node('Range', [s('start'), s('limit'), s('delta')], node.outputs, {}, node.name);
});

defineExporter('ConstantOfShape', (node, x) => {
  const dtype = (a(node, 'dtype') as never) ?? 'f32';
  const value = tensorObject('value', dtype, [1], tensor(dtype, [1], [num(node, 'value', 0)]).data as TypedArray);
  x.node('ConstantOfShape', [x.ints(`${node.name}/shape`, ints(node, 'shape'))], node.outputs, { value: attr.tensor(value) }, node.name);
});

defineExporter('Shape', (node, x) => {
  const end = num(node, 'end', Number.MAX_SAFE_INTEGER);
  x.node('Shape', node.inputs, node.outputs, { start: attr.int(num(node, 'start', 0)), end: end >= Number.MAX_SAFE_INTEGER ? undefined : attr.int(end) }, node.name);
});

defineExporter('Slice', (node, x) => {
  const n = `${node.name}/`;
  const axes = ints(node, 'axes');
  const steps = ints(node, 'steps');
  x.node('Slice', [node.inputs[0]!, x.ints(`${n}starts`, ints(node, 'starts')), x.ints(`${n}ends`, ints(node, 'ends')),
    axes.length ? x.ints(`${n}axes`, axes) : '', steps.length ? x.ints(`${n}steps`, steps) : ''], node.outputs, {}, node.name);
});

defineExporter('Split', (node, x) => {
  const split = ints(node, 'split');
  const attrs: Record<string, AttrArg | undefined> = { axis: attr.int(num(node, 'axis', 0)) };
  if (split.length === 0) attrs.num_outputs = attr.int(num(node, 'numOutputs', 0) || node.outputs.length);
  x.node('Split', [node.inputs[0]!, split.length ? x.ints(`${node.name}/split`, split) : ''], node.outputs, attrs, node.name);
});

for (const op of ['Gather', 'GatherElements']) {
  defineExporter(op, (node, x) => x.node(op, node.inputs, node.outputs, { axis: attr.int(num(node, 'axis', 0)) }, node.name));
}

defineExporter('Expand', (node, x) => x.node('Expand', [node.inputs[0]!, x.ints(`${node.name}/shape`, ints(node, 'shape'))], node.outputs, {}, node.name));
defineExporter('Tile', (node, x) => x.node('Tile', [node.inputs[0]!, x.ints(`${node.name}/repeats`, ints(node, 'repeats'))], node.outputs, {}, node.name));

defineExporter('Pad', (node, x) => {
  const v = node.inputs[0]!;
  const mode = (a(node, 'mode') as string | undefined) ?? 'constant';
  const axes = ints(node, 'axes');
  const value = mode === 'constant' ? x.scalarLike(`${node.name}/value`, v, num(node, 'value', 0)) : '';
  x.node('Pad', [v, x.ints(`${node.name}/pads`, ints(node, 'pads')), value, axes.length ? x.ints(`${node.name}/axes`, axes) : ''], node.outputs, { mode: attr.string(mode) }, node.name);
});

defineExporter('DepthToSpace', (node, x) => x.node('DepthToSpace', node.inputs, node.outputs, { blocksize: attr.int(num(node, 'blocksize', 1)), mode: attr.string((a(node, 'mode') as string | undefined) ?? 'DCR') }, node.name));
defineExporter('SpaceToDepth', (node, x) => x.node('SpaceToDepth', node.inputs, node.outputs, { blocksize: attr.int(num(node, 'blocksize', 1)) }, node.name));
defineExporter('Trilu', (node, x) => x.node('Trilu', [node.inputs[0]!, x.constant(`${node.name}/k`, 'i64', [], [num(node, 'k', 0)])], node.outputs, { upper: attr.int(bool(node, 'upper', true)) }, node.name));

const REDUCE_NAMES = new Map(Object.entries(ONNX_REDUCE_OPS).map(([name, mode]) => [mode as string, name]));
defineExporter('Reduce', (node, x) => {
  const op = REDUCE_NAMES.get(a(node, 'mode') as string)!;
  const axes = ints(node, 'axes');
  x.node(op, [node.inputs[0]!, axes.length ? x.ints(`${node.name}/axes`, axes) : ''], node.outputs, {
    keepdims: attr.int(bool(node, 'keepDims', true)),
    noop_with_empty_axes: bool(node, 'noopWithEmptyAxes') ? attr.int(1) : undefined,
  }, node.name);
});

for (const op of ['ArgMax', 'ArgMin']) {
  defineExporter(op, (node, x) => x.node(op, node.inputs, node.outputs, {
    axis: attr.int(num(node, 'axis', 0)), keepdims: attr.int(bool(node, 'keepDims', true)), select_last_index: attr.int(bool(node, 'selectLastIndex')),
  }, node.name));
}

defineExporter('TopK', (node, x) => x.node('TopK', [node.inputs[0]!, x.ints(`${node.name}/k`, [num(node, 'k', 1)])], node.outputs, {
  axis: attr.int(num(node, 'axis', -1)), largest: attr.int(bool(node, 'largest', true)), sorted: attr.int(bool(node, 'sorted', true)),
}, node.name));

defineExporter('CumSum', (node, x) => x.node('CumSum', [node.inputs[0]!, x.constant(`${node.name}/axis`, 'i64', [], [num(node, 'axis', 0)])], node.outputs, {
  exclusive: attr.int(bool(node, 'exclusive')), reverse: attr.int(bool(node, 'reverse')),
}, node.name));

defineExporter('LayerNormalization', (node, x) => x.node('LayerNormalization', node.inputs, node.outputs, { axis: attr.int(num(node, 'axis', -1)), epsilon: attr.float(num(node, 'epsilon', 1e-5)) }, node.name));
for (const op of ['InstanceNormalization', 'BatchNormalization']) {
  defineExporter(op, (node, x) => x.node(op, node.inputs, node.outputs, { epsilon: attr.float(num(node, 'epsilon', 1e-5)) }, node.name));
}

const RECURRENT_ATTRS: Record<string, string> = {
  direction: 'direction', hiddenSize: 'hidden_size', activations: 'activations', activationAlpha: 'activation_alpha',
  activationBeta: 'activation_beta', clip: 'clip', layout: 'layout', linearBeforeReset: 'linear_before_reset', inputForget: 'input_forget',
};
for (const op of ['RNN', 'GRU', 'LSTM']) {
  defineExporter(op, (node, x) => {
    const attrs: Record<string, AttrArg | undefined> = {};
    for (const [key, v] of Object.entries(node.attrs)) {
      const name = RECURRENT_ATTRS[key]!;
      if (typeof v === 'string') attrs[name] = attr.string(v);
      else if (typeof v === 'boolean') attrs[name] = attr.int(v);
      else if (key === 'clip') attrs[name] = v === null || !Number.isFinite(v as number) ? undefined : attr.float(v as number);
      else if (typeof v === 'number') attrs[name] = attr.int(v);
      else if (key === 'activations') attrs[name] = (v as string[]).length ? attr.strings(v as string[]) : undefined;
      else attrs[name] = (v as number[]).length ? attr.floats(v as number[]) : undefined;
    }
    if (!attrs.hidden_size || attrs.hidden_size.i === 0) attrs.hidden_size = attr.int(x.typeOf(node.inputs[2]!).shape[2] as number);
    x.node(op, node.inputs, node.outputs, attrs, node.name);
  });
}

/** ONNX's QuantizeLinear before opset 21 picks the output type from the zero point, so one is always given. */
defineExporter('QuantizeLinear', (node, x) => {
  const [v, scale, zp] = node.inputs;
  const zero = zp || x.constant(`${node.name}/zero_point`, (a(node, 'dtype') as never) ?? 'i8', [...x.typeOf(scale!).shape] as number[], new Array(countOf(x.typeOf(scale!).shape)).fill(0));
  x.node('QuantizeLinear', [v!, scale!, zero], node.outputs, { axis: attr.int(num(node, 'axis', 1)) }, node.name);
});
defineExporter('DequantizeLinear', (node, x) => x.node('DequantizeLinear', node.inputs, node.outputs, { axis: attr.int(num(node, 'axis', 1)) }, node.name));

function countOf(shape: readonly Dim[]): number {
  return shape.reduce<number>((p, d) => p * (d as number), 1);
}
