// I/O formats: inputs and outputs declared fp16 / bf16 / int8 and channels-last,
// converted at the edge by the build. The engine reports the declared types, takes
// Uint16Array (16-bit) or Int8Array (int8) data laid out NHWC, and computes what the
// fp32 NCHW engine computes on the same values; a 16-bit input read by a 16-bit
// layer is not cast through f32 and back. Declarations are checked when made.
import { describe, expect, it } from 'vitest';
import { Builder, KilnError, Logger, Network, Runtime } from '../../src/index.js';
import { f32ToF16Bits, mulberry32, readFloats, writeFloats } from '../../src/interpret/index.js';
import type { BuilderConfig } from '../../src/builder/builder-config.js';

const quiet = new Logger('error');

function network(): Network {
  const rng = mulberry32(11);
  const floats = (n: number) => Float32Array.from({ length: n }, () => rng() - 0.5);
  const net = new Network();
  const y = net.input('x', 'f32', [2, 3, 6, 5])
    .conv({ name: 'conv1', outChannels: 4, kernel: [3, 3], padding: [1, 1], weights: floats(108), bias: floats(4) }).relu()
    .conv({ name: 'conv2', outChannels: 5, kernel: [1, 1], weights: floats(20), bias: floats(5) });
  net.markOutput(y, 'y');
  return net;
}

function build(setup: (c: BuilderConfig) => void) {
  const builder = new Builder(quiet);
  const config = builder.createBuilderConfig();
  setup(config);
  const plan = builder.buildSerializedNetwork(network(), config);
  return { engine: new Runtime(quiet).deserializeEngine(plan), graph: builder.lastBuild!.optimized };
}

const rng = mulberry32(5);
const nchw = Float32Array.from({ length: 2 * 3 * 6 * 5 }, () => rng() * 2 - 1);
/** [N,C,H,W] -> [N,H,W,C]. */
function toNhwc(x: ArrayLike<number>, [n, c, h, w]: number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n!; b++) for (let i = 0; i < h!; i++) for (let j = 0; j < w!; j++) for (let k = 0; k < c!; k++) out.push(x[((b * c! + k) * h! + i) * w! + j]!);
  return out;
}

describe('I/O formats', () => {
  it('fp16:hwc input and fp16:hwc output compute what f32 NCHW does, within fp16 rounding', async () => {
    const f32 = build(() => {});
    const ref = (await f32.engine.createExecutionContext().run({ x: { data: nchw, shape: [2, 3, 6, 5] } })).y!.data as Float32Array;
    const half = build((c) => c.setIOFormat('x', 'fp16', 'nhwc').setIOFormat('y', 'fp16', 'nhwc'));
    expect(half.engine.inputs[0]).toMatchObject({ name: 'x', dtype: 'f16', shape: [2, 6, 5, 3] });
    expect(half.engine.outputs[0]).toMatchObject({ name: 'y', dtype: 'f16', shape: [2, 6, 5, 5] });
    const xh = Uint16Array.from(toNhwc(nchw, [2, 3, 6, 5]), f32ToF16Bits);
    const out = (await half.engine.createExecutionContext().run({ x: { data: xh, shape: [2, 6, 5, 3] } })).y!;
    expect(out.data).toBeInstanceOf(Uint16Array);
    const got = readFloats({ dtype: 'f16', shape: [2, 6, 5, 5], data: out.data as Uint16Array });
    const want = toNhwc(ref, [2, 5, 6, 5]);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `element ${i}`).toBeLessThan(4e-3 * Math.max(1, Math.abs(want[i]!)));
  });

  it('an fp16 input read by an fp16 layer is used as it is (no round trip through f32)', () => {
    const { graph } = build((c) => c.setFlag('fp16').setPrecisionConstraints('obey').setIOFormat('x', 'fp16'));
    const casts = graph.nodes.filter((n) => n.op === 'Cast');
    expect(casts.some((n) => n.inputs[0] === 'x')).toBe(false);
    expect(graph.nodes.find((n) => n.fused?.includes('conv1') || n.name === 'conv1')!.inputs[0]).toBe('x');
  });

  it('int8 input with a scale: codes * scale is what the f32 engine sees', async () => {
    const scale = 1 / 127;
    const codes = Int8Array.from(nchw, (v) => Math.round(v / scale));
    const f32 = build(() => {});
    const ref = (await f32.engine.createExecutionContext().run({ x: { data: Float32Array.from(codes, (q) => q * scale), shape: [2, 3, 6, 5] } })).y!.data as Float32Array;
    const q = build((c) => c.setIOFormat('x', 'int8', 'nchw', scale));
    expect(q.engine.inputs[0]).toMatchObject({ dtype: 'i8', shape: [2, 3, 6, 5] });
    const out = (await q.engine.createExecutionContext().run({ x: { data: codes, shape: [2, 3, 6, 5] } })).y!.data as Float32Array;
    for (let i = 0; i < ref.length; i++) expect(Math.abs(out[i]! - ref[i]!)).toBeLessThan(1e-5);
  });

  it('bf16 output in NCHW', async () => {
    const f32 = build(() => {});
    const ref = (await f32.engine.createExecutionContext().run({ x: { data: nchw, shape: [2, 3, 6, 5] } })).y!.data as Float32Array;
    const b = build((c) => c.setIOFormat('y', 'bf16'));
    const out = (await b.engine.createExecutionContext().run({ x: { data: nchw, shape: [2, 3, 6, 5] } })).y!;
    expect(Array.from(out.data as Uint16Array)).toEqual(Array.from(writeFloats('bf16', ref) as Uint16Array));
  });

  it('an fp16 input fed f32 data is refused, naming the input and both types', async () => {
    const { engine } = build((c) => c.setIOFormat('x', 'fp16', 'nhwc'));
    await expect(engine.createExecutionContext().run({ x: { data: new Float32Array(180), shape: [2, 6, 5, 3] } })).rejects.toThrow("input 'x': expected f16[2,6,5,3], received f32[2,6,5,3]");
  });

  it('refuses bad declarations, naming the tensor and the argument', () => {
    const c = new Builder(quiet).createBuilderConfig();
    expect(() => c.setIOFormat('x', 'fp8' as never)).toThrow("setIOFormat('x'): dtype must be fp32, fp16, bf16 or int8, got 'fp8'");
    expect(() => c.setIOFormat('x', 'fp16', 'hwc' as never)).toThrow("setIOFormat('x'): layout must be nchw or nhwc, got 'hwc'");
    expect(() => c.setIOFormat('x', 'int8')).toThrow("setIOFormat('x'): int8 needs a positive scale, got undefined");
    expect(() => c.setIOFormat('x', 'fp16', 'nchw', 0.1)).toThrow(KilnError);
    expect(() => build((k) => k.setIOFormat('z', 'fp16'))).toThrow("setIOFormat: 'z' is neither an input nor an output of the network (inputs: x; outputs: y)");
  });
});
