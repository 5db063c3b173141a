// Sliding windows: Conv, ConvTranspose, MaxPool, AveragePool and the global pools.
// ONNX's auto_pad (SAME_UPPER/SAME_LOWER/VALID) and ceil_mode become explicit begin/end
// pads here, computed from the static spatial dims, so the IR only knows pads.
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { scalarLike, spatialAttr } from './helpers.js';

interface Pads { padsBegin: number[]; padsEnd: number[] }

function staticSpatial(ctx: NodeContext, i = 0): number[] {
  const shape = ctx.shape(i);
  if (shape.length < 3) ctx.fail(`input ${i} must be [N,C,spatial...], got rank ${shape.length}`);
  const spatial = shape.slice(2);
  if (spatial.some((d) => typeof d !== 'number')) ctx.unsupported('shape unsupported', `spatial dims [${spatial.join(',')}] must be static`);
  return spatial as number[];
}

/** Explicit pads from `pads` / `auto_pad` for a window over `input` dims. */
function windowPads(ctx: NodeContext, input: number[], kernel: number[], strides: number[], dilations: number[]): Pads {
  const n = input.length;
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = ctx.attrs.ints('pads', new Array<number>(2 * n).fill(0));
    if (pads.length !== 2 * n) ctx.fail(`attribute 'pads' has ${pads.length} values for ${n} spatial dims`);
    return { padsBegin: pads.slice(0, n), padsEnd: pads.slice(n) };
  }
  if (autoPad === 'VALID') return { padsBegin: new Array(n).fill(0), padsEnd: new Array(n).fill(0) };
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') ctx.badAttr('auto_pad', autoPad);
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  input.forEach((d, i) => {
    const out = Math.ceil(d / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - d);
    const small = Math.floor(total / 2);
    padsBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    padsEnd.push(autoPad === 'SAME_UPPER' ? total - small : small);
  });
  return { padsBegin, padsEnd };
}

function kernelOf(ctx: NodeContext, weights: number[] | undefined, n: number): number[] {
  const attr = ctx.attrs.ints('kernel_shape');
  if (weights && attr && attr.join() !== weights.join()) ctx.fail(`kernel_shape [${attr}] differs from the weights' [${weights}]`);
  const k = attr ?? weights;
  if (!k || k.length !== n) ctx.fail(`kernel_shape needs ${n} values, got [${k ?? ''}]`);
  return k;
}

function staticWeights(ctx: NodeContext, i: number): number[] {
  const w = ctx.shape(i);
  if (w.some((d) => typeof d !== 'number')) ctx.unsupported('shape unsupported', `weights shape [${w.join(',')}] must be static`);
  return w as number[];
}

defineImporter('Conv', {
  import: (ctx) => {
    const input = staticSpatial(ctx);
    const n = input.length;
    const kernel = kernelOf(ctx, staticWeights(ctx, 1).slice(2), n);
    const strides = spatialAttr(ctx, 'strides', n, 1);
    const dilations = spatialAttr(ctx, 'dilations', n, 1);
    const pads = windowPads(ctx, input, kernel, strides, dilations);
    const inputs = [ctx.value(0), ctx.value(1), ...(ctx.has(2) ? [ctx.value(2)] : [])];
    ctx.emit('Conv', inputs, { strides, dilations, ...pads, groups: ctx.attrs.int('group', 1) }, 0);
  },
});

defineImporter('ConvTranspose', {
  import: (ctx) => {
    const input = staticSpatial(ctx);
    const n = input.length;
    const w = staticWeights(ctx, 1);
    const kernel = kernelOf(ctx, w.slice(2), n);
    const strides = spatialAttr(ctx, 'strides', n, 1);
    const dilations = spatialAttr(ctx, 'dilations', n, 1);
    const outputPadding = spatialAttr(ctx, 'output_padding', n, 0);
    const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
    let outputShape = ctx.attrs.ints('output_shape');
    if (outputShape && outputShape.length === n + 2) outputShape = outputShape.slice(2);
    if (!outputShape && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')) outputShape = input.map((d, i) => d * strides[i]!);
    let pads: Pads;
    if (outputShape) {
      if (outputShape.length !== n) ctx.fail(`output_shape [${outputShape}] needs ${n} spatial dims`);
      pads = { padsBegin: [], padsEnd: [] };
      input.forEach((d, i) => {
        const total = strides[i]! * (d - 1) + outputPadding[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - outputShape![i]!;
        // A negative total: the output reaches past the last tap; ONNX's reference grows it at the end, i.e. output padding.
        if (total < 0) {
          outputPadding[i] = outputPadding[i]! - total;
          pads.padsBegin.push(0);
          pads.padsEnd.push(0);
          return;
        }
        const half = Math.floor(total / 2);
        pads.padsBegin.push(autoPad === 'SAME_UPPER' ? half : total - half);
        pads.padsEnd.push(autoPad === 'SAME_UPPER' ? total - half : half);
      });
    } else {
      pads = windowPads(ctx, input, kernel, strides, dilations);
    }
    const inputs = [ctx.value(0), ctx.value(1), ...(ctx.has(2) ? [ctx.value(2)] : [])];
    ctx.emit('ConvTranspose', inputs, { strides, dilations, outputPadding, ...pads, groups: ctx.attrs.int('group', 1) }, 0);
  },
});

interface PoolAttrs extends Pads { kernel: number[]; strides: number[] }

/** Kernel, strides and explicit pads of a pooling node; ceil_mode becomes extra end padding. */
function poolAttrs(ctx: NodeContext, countIncludePad: boolean): PoolAttrs {
  const input = staticSpatial(ctx);
  const n = input.length;
  const kernel = kernelOf(ctx, undefined, n);
  const strides = spatialAttr(ctx, 'strides', n, 1);
  const dilations = spatialAttr(ctx, 'dilations', n, 1);
  if (dilations.some((d) => d !== 1)) ctx.badAttr('dilations', dilations, 'is not supported by kiln pooling');
  const pads = windowPads(ctx, input, kernel, strides, dilations);
  if (ctx.attrs.int('ceil_mode', 0) !== 0) {
    input.forEach((d, i) => {
      const span = d + pads.padsBegin[i]! + pads.padsEnd[i]! - kernel[i]!;
      let out = Math.ceil(span / strides[i]!) + 1;
      // A last window that starts in the end padding is dropped (as PyTorch and ONNX Runtime do).
      if ((out - 1) * strides[i]! >= d + pads.padsBegin[i]!) out--;
      const extra = (out - 1) * strides[i]! + kernel[i]! - (d + pads.padsBegin[i]! + pads.padsEnd[i]!);
      if (extra <= 0) return;
      if (countIncludePad) ctx.badAttr('ceil_mode', 1, 'with padding counted (count_include_pad = 1, LpPool) is not supported');
      pads.padsEnd[i]! += extra;
    });
  }
  return { kernel, strides, ...pads };
}

function importPool(ctx: NodeContext, mode: 'max' | 'avg'): void {
  if (ctx.outputCount > 1 && ctx.node.output[1]) ctx.unsupported('output unsupported', 'MaxPool Indices output');
  const countIncludePad = mode === 'avg' && ctx.attrs.int('count_include_pad', 0) !== 0;
  ctx.emit('Pool', [ctx.value(0)], { mode, ...poolAttrs(ctx, countIncludePad), countIncludePad }, 0);
}

/** (sum over the window of |x|^p)^(1/p): an average pool counting the zero padding, times the window size. */
defineImporter('LpPool', {
  import: (ctx) => {
    const p = ctx.attrs.int('p', 2);
    const attrs = poolAttrs(ctx, true);
    const x = ctx.value(0);
    const abs = ctx.emit('Abs', [x], {}, 'abs');
    const powered = p === 1 ? abs : p === 2 ? ctx.emit('Mul', [abs, abs], {}, 'square') : ctx.emit('Pow', [abs, scalarLike(ctx, x, p, 'p')], {}, 'pow');
    const mean = ctx.emit('Pool', [powered], { mode: 'avg', ...attrs, countIncludePad: true }, 'mean');
    const sum = ctx.emit('Mul', [mean, scalarLike(ctx, x, attrs.kernel.reduce((a, b) => a * b, 1), 'window')], {}, 'sum');
    if (p === 1) return ctx.output(0, sum);
    if (p === 2) return void ctx.emit('Sqrt', [sum], {}, 0);
    ctx.emit('Pow', [sum, scalarLike(ctx, x, 1 / p, 'inv_p')], {}, 0);
  },
});

defineImporter('MaxPool', {
  import: (ctx) => {
    if (ctx.attrs.int('storage_order', 0) !== 0 && ctx.outputCount > 1) ctx.badAttr('storage_order', 1);
    importPool(ctx, 'max');
  },
});
defineImporter('AveragePool', { import: (ctx) => importPool(ctx, 'avg') });

for (const [name, mode] of [['GlobalAveragePool', 'avg'], ['GlobalMaxPool', 'max']] as const) {
  defineImporter(name, {
    import: (ctx) => void ctx.emit('Pool', [ctx.value(0)], { mode, kernel: staticSpatial(ctx) }, 0),
  });
}
