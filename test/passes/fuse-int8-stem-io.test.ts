// FuseInt8StemIO: Input vs Expected (the stem's QuantizeLinear and its Transpose to
// NHWC go into the QConv as xQuantize and nhwcOut), the interpreter giving the same
// codes before and after, and the graphs it must leave alone: a QuantizeLinear with
// a second reader, another scale or a zero point, a Transpose of another perm, a conv
// output that is also a graph output, and convs off the stem path (8 channels, 1x1).
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/interpret/index.js';
import { verify, type Graph } from '../../src/ir/index.js';
import { FuseInt8StemIO, applyPass } from '../../passes/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { expectGraph, expectSameOutputs, expectUnchanged } from './helpers.js';

interface Stem {
  cin?: number;
  k?: number;
  strides?: number[];
  pads?: number[];
  perm?: number[];
  /** The QuantizeLinear's scale (the QConv's xScale is 0.05). */
  scale?: number;
  zeroPoint?: number;
  /** A second reader of the quantized image, and the conv output as a graph output too. */
  quantizedOut?: boolean;
  convOut?: boolean;
}

const XSCALE = 0.05;
const relu6 = { activation: 'clip', alpha: 0, beta: 6 };

/** image -> QuantizeLinear -> QConv 3x3 s2 (i8 out) -> Transpose -> DequantizeLinear, as the Quantize pass leaves MobileNetV2's stem. */
function quantizedStem(o: Stem = {}): Graph {
  const { cin = 3, k = 3, strides = [2, 2], pads = [1, 1], perm = [0, 2, 3, 1] } = o;
  const rng = mulberry32(7);
  const d = new GraphDraft();
  const image = d.input('image', { dtype: 'f32', shape: [2, cin, 9, 9] });
  const zp = o.zeroPoint !== undefined ? [d.constant('stem.x_zp', 'i8', [1], Int8Array.of(o.zeroPoint))] : [];
  const xq = d.node('QuantizeLinear', 'stem.quantize', [image, d.constant('stem.x_scale', 'f32', [1], Float32Array.of(o.scale ?? XSCALE)), ...zp], {});
  const w = d.constant('stem.w_int8', 'i8', [8, cin, k, k], Int8Array.from({ length: 8 * cin * k * k }, () => randomInt(rng, -63, 63)));
  const ws = d.constant('stem.w_scale', 'f32', [8], Float32Array.from({ length: 8 }, (_, i) => 0.01 + 0.001 * i));
  const b = d.constant('stem.b', 'f32', [8], Float32Array.from({ length: 8 }, (_, i) => i / 8 - 0.5));
  const window = { strides, padsBegin: pads, padsEnd: pads, dilations: [1, 1] };
  const y = d.node('QConv', 'stem.int8', [xq, w, ws, b], { ...window, xScale: XSCALE, outScale: 0.1, ...relu6 }, 'y');
  const t = d.node('Transpose', 'y to NHWC', [y], { perm }, 'y.nhwc');
  d.outputs.push(d.node('DequantizeLinear', 'block', [t, d.constant('block.scale', 'f32', [1], Float32Array.of(0.1))], {}, 'out'));
  if (o.quantizedOut) d.outputs.push(xq);
  if (o.convOut) d.outputs.push(y);
  return d.graph();
}

describe('FuseInt8StemIO', () => {
  it('moves the QuantizeLinear and the Transpose into the stem QConv', () => {
    const input = quantizedStem();
    const out = applyPass(FuseInt8StemIO, input);
    const d = new GraphDraft();
    const image = d.input('image', { dtype: 'f32', shape: [2, 3, 9, 9] });
    const c = input.constants;
    const [w, ws, b] = ['stem.w_int8', 'stem.w_scale', 'stem.b'].map((n) => d.constant(n, c[n]!.type.dtype, c[n]!.type.shape as number[], c[n]!.data));
    const window = { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1] };
    const y = d.node('QConv', 'stem.int8', [image, w!, ws!, b!], { ...window, xScale: XSCALE, outScale: 0.1, ...relu6, nhwcOut: true, xQuantize: true }, 'y.nhwc');
    d.outputs.push(d.node('DequantizeLinear', 'block', [y, d.constant('block.scale', 'f32', [1], Float32Array.of(0.1))], {}, 'out'));
    expectGraph(out, d.graph());
    expect(out.types['y.nhwc']).toEqual({ dtype: 'i8', shape: [2, 5, 5, 8] });
    verify(out);
    // The interpreter: the same codes through the fused layer as through the three.
    expectSameOutputs(input, out, { rtol: 0, atol: 0 });
    expectUnchanged(FuseInt8StemIO, out);
  });

  it('keeps a QuantizeLinear with a second reader, another scale or a zero point (the Transpose still goes)', () => {
    for (const o of [{ quantizedOut: true }, { scale: 0.04 }, { zeroPoint: 3 }] as Stem[]) {
      const out = applyPass(FuseInt8StemIO, quantizedStem(o));
      expect(out.nodes.map((n) => n.op), JSON.stringify(o)).toEqual(['QuantizeLinear', 'QConv', 'DequantizeLinear']);
      expect([out.nodes[1]!.attrs.nhwcOut, out.nodes[1]!.attrs.xQuantize]).toEqual([true, undefined]);
    }
    // A zero point of 0 is the default's meaning: that one goes.
    expect(applyPass(FuseInt8StemIO, quantizedStem({ zeroPoint: 0 })).nodes.map((n) => n.op)).toEqual(['QConv', 'DequantizeLinear']);
  });

  it('keeps a Transpose of another perm, or of a conv output that is also a graph output (the QuantizeLinear still goes)', () => {
    for (const o of [{ perm: [0, 3, 2, 1] }, { convOut: true }] as Stem[]) {
      const input = quantizedStem(o);
      const out = applyPass(FuseInt8StemIO, input);
      expect(out.nodes.map((n) => n.op), JSON.stringify(o)).toEqual(['QConv', 'Transpose', 'DequantizeLinear']);
      expect([out.nodes[0]!.attrs.nhwcOut, out.nodes[0]!.attrs.xQuantize]).toEqual([undefined, true]);
      // (compareOutputs reads floats: the i8 graph output is checked by the dequantized one.)
      if (!o.convOut) expectSameOutputs(input, out, { rtol: 0, atol: 0 });
    }
  });

  it('leaves convs off the stem path alone: 8 input channels, a 1x1 stride-1 unpadded window', () => {
    expectUnchanged(FuseInt8StemIO, quantizedStem({ cin: 8 }));
    expectUnchanged(FuseInt8StemIO, quantizedStem({ k: 1, strides: [1, 1], pads: [0, 0] }));
    // A 1x1 window with stride 2 is on the stem path.
    expect(applyPass(FuseInt8StemIO, quantizedStem({ k: 1, pads: [0, 0] })).nodes.map((n) => n.op)).toEqual(['QConv', 'DequantizeLinear']);
  });
});
