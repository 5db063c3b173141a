// QConv's xQuantize and nhwcOut (the stem after FuseInt8StemIO): the interpreter on a
// case small enough to check by hand, the native layer's refusal of either attribute
// off the stem path, and a MobileNet-like int8 build whose stem loses its
// QuantizeLinear and its Transpose to NHWC, the engine matching the interpreter on
// the built graph bit for bit. (Engine against interpreter on many stem shapes:
// qconv-stem.test.ts's STEM_IO_CASES; the pass's Input vs Expected:
// test/passes/fuse-int8-stem-io.test.ts.)
import { describe, expect, it } from 'vitest';
import { ArrayCalibrator, Builder, Logger, Runtime } from '../../src/index.js';
import { interpret, mulberry32, randomTensor, type Rng } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan } from '../engine/helpers.js';

describe('QConv xQuantize and nhwcOut in the interpreter', () => {
  it('quantizes x by xScale (half to even, saturated) and writes [N,OH,OW,C]', () => {
    // x f32 [1,1,2,2] / 0.5 = [0.5, -1.5, 2.6, 1000] -> codes [0, -2, 3, 127]; a 1x1 conv with
    // weights [1, -2] (scales 1): channel 0 = code * 0.5, channel 1 = -2 * code * 0.5 + 1 (bias).
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [1, 1, 2, 2] });
    const y = d.node('QConv', 'stem', [x, d.constant('w', 'i8', [2, 1, 1, 1], Int8Array.of(1, -2)), d.constant('ws', 'f32', [2], Float32Array.of(1, 1)), d.constant('b', 'f32', [2], Float32Array.of(0, 1))],
      { xScale: 0.5, xQuantize: true, nhwcOut: true });
    d.outputs.push(y);
    const out = interpret(d.graph(), { x: { dtype: 'f32', shape: [1, 1, 2, 2], data: Float32Array.of(0.25, -0.75, 1.3, 500) } })[y]!;
    expect(out.shape).toEqual([1, 2, 2, 2]);
    // Pixel by pixel: [channel 0, channel 1].
    expect(Array.from(out.data as Float32Array)).toEqual([0, 1, -1, 3, 1.5, -2, 63.5, -126]);
  });

  it('refuses i8 x under xQuantize, naming the layer', () => {
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'i8', shape: [1, 1, 2, 2] });
    expect(() => d.node('QConv', 'stem', [x, d.constant('w', 'i8', [2, 1, 1, 1], Int8Array.of(1, -2)), d.constant('ws', 'f32', [2], Float32Array.of(1, 1))], { xScale: 0.5, xQuantize: true }))
      .toThrow("layer 'stem' (QConv): input 'x' must be f32 (xQuantize), got i8[1,1,2,2]");
  });
});

describe('native QConv off the stem path', () => {
  /** A QConv with `cin` input channels and a k x k window (stride 1, unpadded) carrying `attrs`. */
  function qconv(cin: number, k: number, attrs: Record<string, boolean>): Graph {
    const d = new GraphDraft();
    const x = d.input('x', { dtype: attrs.xQuantize ? 'f32' : 'i8', shape: [1, cin, 6, 6] });
    const w = d.constant('w', 'i8', [4, cin, k, k], new Int8Array(4 * cin * k * k).fill(1));
    d.outputs.push(d.node('QConv', 'conv9', [x, w, d.constant('ws', 'f32', [4], new Float32Array(4).fill(0.01))], { xScale: 0.1, ...attrs }));
    return d.graph();
  }

  it('refuses nhwcOut with 8 input channels, and xQuantize on a 1x1 stride-1 window, naming the layer', () => {
    expect(() => buildPlan(qconv(8, 3, { nhwcOut: true }))).toThrow(/layer 'conv9': nhwcOut runs only on the int8 stem path \(1 to 4 input channels, not a 1x1 stride-1 unpadded window\), got x 'x' i8\[1,8,6,6\] and w 'w' i8\[4,8,3,3\]/);
    expect(() => buildPlan(qconv(3, 1, { xQuantize: true }))).toThrow(/layer 'conv9': xQuantize runs only on the int8 stem path .* got x 'x' f32\[1,3,6,6\] and w 'w' i8\[4,3,1,1\]/);
    // The same layers on the stem path load.
    expect(buildPlan(qconv(4, 3, { nhwcOut: true, xQuantize: true })).byteLength).toBeGreaterThan(0);
  });
});

const f32 = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
const relu6 = { activation: 'clip', alpha: 0, beta: 6 };

/**
 * MobileNetV2's stem and three inverted residual blocks, small: conv 3x3 s2 3 -> 8 +
 * relu6, then 1x1 expand -> 24 + relu6, depthwise 3x3 + relu6, 1x1 project -> 8 + skip;
 * enough layers for AssignLayout to run the blocks NHWC behind one reformat.
 */
function mobileNetStem(): Graph {
  const rng = mulberry32(12);
  const d = new GraphDraft();
  const w = (n: string, shape: number[]) => d.constant(n, 'f32', shape, f32(rng, shape.reduce((a, b) => a * b, 1), -0.4, 0.4));
  const b = (n: string, k: number) => d.constant(n, 'f32', [k], f32(rng, k, -0.1, 0.1));
  const x = d.input('image', { dtype: 'f32', shape: [2, 3, 32, 32] });
  let y = d.node('Conv', 'stem', [x, w('stem.w', [8, 3, 3, 3]), b('stem.b', 8)], { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], ...relu6 });
  for (const name of ['b1', 'b2', 'b3']) {
    const expand = d.node('Conv', `${name}.expand`, [y, w(`${name}.ew`, [24, 8, 1, 1]), b(`${name}.eb`, 24)], relu6);
    const dw = d.node('Conv', `${name}.dw`, [expand, w(`${name}.dk`, [24, 1, 3, 3]), b(`${name}.db`, 24)], { groups: 24, padsBegin: [1, 1], padsEnd: [1, 1], ...relu6 });
    y = d.node('Conv', `${name}.project`, [dw, w(`${name}.pw`, [8, 24, 1, 1]), b(`${name}.pb`, 8), y], {});
  }
  d.outputs.push(d.node('Pool', 'pool', [y], { mode: 'avg', kernel: [16, 16] }));
  return d.graph();
}

describe('an int8 build with a MobileNet-like stem', () => {
  it('folds the QuantizeLinear and the NHWC Transpose into the stem QConv; the engine matches the interpreter', async () => {
    const image = () => ({ image: randomTensor('f32', [2, 3, 32, 32], mulberry32(40), { min: -1, max: 1 }) });
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig().setFlag('int8').setPrecisionConstraints('obey');
    config.calibrator = new ArrayCalibrator([image()], 'minmax');
    const plan = builder.buildSerializedNetwork(mobileNetStem(), config);
    const g = builder.lastBuild!.optimized;
    const stem = g.nodes.find((n) => n.op === 'QConv')!;
    expect(stem.inputs[0]).toBe('image');
    expect([stem.attrs.xQuantize, stem.attrs.nhwcOut]).toEqual([true, true]);
    expect(g.types[stem.outputs[0]!]).toEqual({ dtype: 'i8', shape: [2, 16, 16, 8] });
    // The image's one reader is the stem; nothing transposes the stem's output.
    expect(g.nodes.filter((n) => n.inputs.includes('image'))).toEqual([stem]);
    expect(g.nodes.filter((n) => n.op === 'Transpose' && n.inputs[0] === stem.outputs[0])).toEqual([]);
    const inputs = image();
    const want = interpret(g, inputs)[g.outputs[0]!]!;
    const out = await new Runtime(new Logger('error')).deserializeEngine(plan).createExecutionContext().run({ image: { data: inputs.image.data, shape: inputs.image.shape } });
    const got = out[g.outputs[0]!]!;
    expect(got.shape).toEqual(want.shape);
    // The int8 layers are bit-exact; the average pool's f32 sums may differ in the last bit.
    const [a, e] = [got.data as Float32Array, want.data as Float32Array];
    for (let i = 0; i < e.length; i++) expect(Math.abs(a[i]! - e[i]!), `element ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e[i]!)));
  });

  it('keeps the QuantizeLinear and the Transpose with FuseInt8StemIO disabled by name', () => {
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig().setFlag('int8').setPrecisionConstraints('obey');
    config.calibrator = new ArrayCalibrator([{ image: randomTensor('f32', [2, 3, 32, 32], mulberry32(40), { min: -1, max: 1 }) }], 'minmax');
    config.disabledPasses = ['FuseInt8StemIO'];
    builder.buildSerializedNetwork(mobileNetStem(), config);
    const g = builder.lastBuild!.optimized;
    const stem = g.nodes.find((n) => n.op === 'QConv')!;
    expect([stem.attrs.xQuantize, stem.attrs.nhwcOut]).toEqual([undefined, undefined]);
    expect(g.nodes.find((n) => n.outputs.includes(stem.inputs[0]!))?.op).toBe('QuantizeLinear');
    expect(g.nodes.filter((n) => n.op === 'Transpose' && n.inputs[0] === stem.outputs[0]).length).toBe(1);
  });
});
