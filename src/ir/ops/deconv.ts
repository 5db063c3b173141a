// ConvTranspose (deconvolution), N-d over [N, C, spatial...] tensors: the adjoint of
// Conv, each input element scattering a weighted copy of the kernel into the output.
// Attributes mirror Conv's (and carry the same activation epilogue) plus
// outputPadding; ONNX's output_shape and auto_pad are resolved to pads by the importer.
import { defineOp, type InferContext } from '../op-registry.js';
import { formatType } from '../shape.js';
import { dimAdd, dimMul } from '../dim-expr.js';
import { EPILOGUE_ATTRS } from './activation.js';
import { WINDOW_ATTRS, convOperands, windowParams } from './conv.js';
import { spatialList, type WindowParams } from './shape-rules.js';

export interface DeconvParams extends WindowParams {
  outputPadding: number[];
}

/** Resolves a ConvTranspose node's window attributes for the kernel's spatial dims. */
export function deconvParams(attrs: InferContext['attrs'], kernel: readonly number[]): DeconvParams | string {
  const w = windowParams(attrs, kernel);
  if (typeof w === 'string') return w;
  const outputPadding = spatialList(attrs.outputPadding as number[], kernel.length, 0);
  if (!outputPadding) return `'outputPadding' needs ${kernel.length} values, got [${String(attrs.outputPadding)}]`;
  if (outputPadding.some((p) => p < 0)) return `outputPadding must be >= 0, got [${outputPadding}]`;
  return { ...w, outputPadding };
}

/** Output extent of a transposed window along one dim; may be < 1 when the pads eat it all. */
export function deconvOut(input: number, k: number, stride: number, pb: number, pe: number, dil: number, outPad: number): number {
  return stride * (input - 1) + outPad + dil * (k - 1) + 1 - pb - pe;
}

defineOp({
  name: 'ConvTranspose',
  group: 'conv',
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'b', optional: true }],
  attrs: { ...WINDOW_ATTRS, outputPadding: { kind: 'ints', default: [] }, groups: { kind: 'int', default: 1 }, ...EPILOGUE_ATTRS },
  infer: (ctx) => {
    const [x, w, b] = convOperands(ctx, 'C,Cout/groups');
    if (x.dtype !== w.dtype) ctx.fail(`weights 'w' dtype ${w.dtype} differs from input 'x' ${x.dtype}`, { argument: 'w' });
    const groups = ctx.attrs.groups as number;
    const [cin, coutPerGroup] = w.shape as number[];
    if (groups < 1 || cin! % groups !== 0) ctx.fail(`groups ${groups} must divide the ${cin} input channels of weights 'w' ${formatType(w)}`, { argument: 'groups' });
    const xc = x.shape[1]!;
    if (typeof xc === 'number' && xc !== cin) {
      ctx.fail(`weights 'w' ${formatType(w)} expect ${cin} input channels, input 'x' ${formatType(x)} has ${xc}`, { argument: 'w', expected: `${cin} channels`, received: `${xc}` });
    }
    if (typeof xc === 'string') ctx.need('eq', xc, cin!, `${xc} == ${cin} (input channels of weights ${formatType(w)})`);
    const cout = coutPerGroup! * groups;
    if (b && (b.shape.length !== 1 || b.shape[0] !== cout || b.dtype !== x.dtype)) {
      ctx.fail(`bias 'b' must be ${x.dtype}[${cout}], got ${formatType(b)}`, { argument: 'b', expected: `${x.dtype}[${cout}]`, received: formatType(b) });
    }
    const kernel = (w.shape as number[]).slice(2);
    const p = deconvParams(ctx.attrs, kernel);
    if (typeof p === 'string') return ctx.fail(p);
    const spatial = x.shape.slice(2).map((d, i) => {
      if (typeof d !== 'number') {
        // stride*(d-1) + outPad + dil*(k-1) + 1 - pb - pe
        const o = dimAdd(dimMul(p.strides[i]!, d), deconvOut(0, kernel[i]!, p.strides[i]!, p.padsBegin[i]!, p.padsEnd[i]!, p.dilations[i]!, p.outputPadding[i]!));
        ctx.need('ge', o, 1, `${o} >= 1 (ConvTranspose output of spatial dim ${i + 2})`);
        return o;
      }
      const o = deconvOut(d, kernel[i]!, p.strides[i]!, p.padsBegin[i]!, p.padsEnd[i]!, p.dilations[i]!, p.outputPadding[i]!);
      if (o < 1) ctx.fail(`padding [${p.padsBegin}]+[${p.padsEnd}] leaves no output for input 'x' ${formatType(x)} and kernel ${kernel.join('x')} (stride ${p.strides.join('x')})`, { argument: 'padsBegin', received: formatType(x) });
      return o;
    });
    return [{ dtype: x.dtype, shape: [x.shape[0]!, cout, ...spatial] }];
  },
});
