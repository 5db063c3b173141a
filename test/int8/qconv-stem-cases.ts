// The cases of qconv-stem.test.ts: QConv layers with 1 to 4 input channels (the
// shapes Int8Stem takes, native/cpu/int8-stem.h), each as QuantizeLinear -> QConv,
// built and run on the engine and compared with the interpreter bit for bit (f32
// and i8 outputs alike; sigmoid within 2e-7). Run as a script it checks every case under the process's
// KILN_INT8_TILE / KILN_INT8_STEM and prints 'ok' or the first mismatch (the
// portable and im2col paths are chosen once per process, so they run in children).
// STEM_IO_CASES are stems that read the f32 image themselves (xQuantize: no
// QuantizeLinear layer) and / or write NHWC (nhwcOut), as FuseInt8StemIO makes them.
import { interpret, mulberry32, randomInt, randomTensor, type Tensor } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, runPlan } from '../engine/helpers.js';

export interface StemCase {
  name: string;
  batch: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
  dilation?: [number, number];
  /** Largest |weight|: 63 pairs freely, 127 needs the tap pairing (some taps alone). */
  wmax: number;
  outScale: number;
  activation: 'none' | 'relu' | 'clip' | 'relu6' | 'sigmoid';
  bias: boolean;
  /** The QConv quantizes the f32 input itself (no QuantizeLinear layer). */
  xQuantize?: boolean;
  /** The QConv writes [N,OH,OW,Cout]. */
  nhwcOut?: boolean;
  /** Every input at or a few ulps off a half code ((k + 0.5) * 0.05): the rounding's hard cases. */
  nearTies?: boolean;
}

const stem = (c: Partial<StemCase> & Pick<StemCase, 'name'>): StemCase => ({
  batch: 2, cin: 3, h: 13, w: 13, cout: 8, k: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], wmax: 127, outScale: 0, activation: 'relu', bias: true, ...c,
});

export const STEM_CASES: StemCase[] = [
  stem({ name: 'ResNet-like 7x7 stride 2 pad 3, 3 -> 64, relu, f32 out', h: 40, w: 38, cout: 64, k: [7, 7], stride: [2, 2], pads: [3, 3, 3, 3] }),
  stem({ name: 'MobileNet-like 3x3 stride 2 pad 1, 3 -> 32, clip, i8 out', h: 33, w: 31, cout: 32, stride: [2, 2], outScale: 0.05, activation: 'clip' }),
  stem({ name: '3x3 stride 1, 1 channel, odd 27x29 (a 5-pixel last tile), no activation', cin: 1, h: 27, w: 29, cout: 13, activation: 'none' }),
  stem({ name: '5x5 no pad, 1 -> 20, LeNet-like, batch 3, i8 out', batch: 3, cin: 1, h: 28, w: 28, cout: 20, k: [5, 5], pads: [0, 0, 0, 0], outScale: 0.3, activation: 'none' }),
  stem({ name: '7x7 stride 2, 2 channels, 7-bit weights, no bias', cin: 2, h: 17, w: 50, cout: 6, k: [7, 7], stride: [2, 2], pads: [3, 3, 3, 3], wmax: 63, bias: false }),
  stem({ name: '3x3 stride 1, 4 channels, 70 outputs (groups past 64), i8 relu', cin: 4, h: 9, w: 30, cout: 70, outScale: 0.1 }),
  stem({ name: 'asymmetric pads, stride (2, 1), kernel 3x5, clip f32', h: 15, w: 26, cout: 11, k: [3, 5], stride: [2, 1], pads: [0, 2, 1, 1], activation: 'clip' }),
  stem({ name: 'stride 3, odd pads, 4x4 kernel, 1 -> 5', cin: 1, h: 20, w: 23, cout: 5, k: [4, 4], stride: [3, 3], pads: [1, 2, 2, 1] }),
  stem({ name: 'dilation 2, 3x3 on 3 channels, sigmoid (stored, then activated)', h: 14, w: 19, cout: 9, dilation: [2, 2], pads: [2, 2, 2, 2], activation: 'sigmoid' }),
  stem({ name: 'a plane narrower than one tile, 1x1 stride 2, 4 -> 3', cin: 4, h: 7, w: 7, cout: 3, k: [1, 1], stride: [2, 2], pads: [0, 0, 0, 0] }),
  stem({ name: 'wide padding (pad 4 > kernel - 1) with stride 2, i8 out', cin: 2, h: 11, w: 12, cout: 7, k: [3, 3], stride: [2, 2], pads: [4, 4, 4, 4], outScale: 0.2 }),
];

// Beside the stems: QConv's im2col GEMM (5+ input channels) with 8-bit weights, whose
// pairs break vpmaddubsw's limit (two planes), compared bit for bit as well.
export const IM2COL_CASES: StemCase[] = [
  stem({ name: 'im2col tiles: 3x3 stride 2, 16 -> 40, relu, f32 out', cin: 16, h: 15, w: 17, cout: 40, stride: [2, 2] }),
  stem({ name: 'im2col tiles: 1x1 in place, 24 -> 12, clip, i8 out', cin: 24, h: 9, w: 11, cout: 12, k: [1, 1], pads: [0, 0, 0, 0], outScale: 0.1, activation: 'clip' }),
  stem({ name: 'im2col tiles: 5x5 stride 2 pad 2, 6 -> 9, no bias, batch 1', batch: 1, cin: 6, h: 21, w: 20, cout: 9, k: [5, 5], stride: [2, 2], pads: [2, 2, 2, 2], bias: false }),
];

// The stem's own quantize and NHWC output (FuseInt8StemIO): both, and each alone;
// strides 1 and 2, 1 to 4 channels, channel counts off the transposes' 16 / 4 blocks,
// rows off the 16-pixel blocks, groups past 64 channels, i8 and f32 out.
export const STEM_IO_CASES: StemCase[] = [
  stem({ name: 'MobileNetV2 stem: 3x3 stride 2, 3 -> 32, relu6, i8 out, f32 in, NHWC out', h: 33, w: 67, cout: 32, stride: [2, 2], outScale: 0.05, activation: 'relu6', xQuantize: true, nhwcOut: true }),
  stem({ name: 'f32 in, NHWC out: 3x3 stride 1, 4 -> 20, relu6, f32 out', cin: 4, h: 11, w: 40, cout: 20, activation: 'relu6', xQuantize: true, nhwcOut: true }),
  stem({ name: 'f32 in, NHWC out: 3x3 stride 2, 3 -> 48, i8 out, a 25-pixel row', h: 19, w: 50, cout: 48, stride: [2, 2], outScale: 0.1, xQuantize: true, nhwcOut: true }),
  stem({ name: 'NHWC out only: 3x3 stride 1, 1 -> 13, f32 out, no activation', cin: 1, h: 17, w: 29, cout: 13, activation: 'none', nhwcOut: true }),
  stem({ name: 'NHWC out only: 3x3 stride 1, 4 -> 70 (groups past 64), i8 relu', cin: 4, h: 9, w: 40, cout: 70, outScale: 0.1, nhwcOut: true }),
  stem({ name: 'NHWC out only: 7x7 stride 2, 3 -> 64, relu, f32 out, batch 1', batch: 1, h: 40, w: 38, cout: 64, k: [7, 7], stride: [2, 2], pads: [3, 3, 3, 3], nhwcOut: true }),
  stem({ name: 'f32 in only: 3x3 stride 2, 2 -> 16, i8 out, relu6', cin: 2, h: 21, w: 35, cout: 16, stride: [2, 2], outScale: 0.05, activation: 'relu6', xQuantize: true }),
  stem({ name: 'f32 in only: 5x5 no pad, 1 -> 20, LeNet-like, batch 3, f32 out', batch: 3, cin: 1, h: 28, w: 28, cout: 20, k: [5, 5], pads: [0, 0, 0, 0], activation: 'none', xQuantize: true }),
  // 1x1, one channel, f32 out: each output is w * code, so any code off by one shows.
  stem({ name: 'f32 in at half codes: 1x1 stride 1 (right pad), 1 -> 2, f32 out', batch: 1, cin: 1, h: 24, w: 100, cout: 2, k: [1, 1], pads: [0, 0, 0, 1], activation: 'none', xQuantize: true, nearTies: true }),
  stem({ name: 'f32 in at half codes: 1x1 stride (1, 2), 1 -> 2, f32 out, NHWC', batch: 1, cin: 1, h: 24, w: 101, cout: 2, k: [1, 1], stride: [1, 2], pads: [0, 0, 0, 0], activation: 'none', xQuantize: true, nearTies: true, nhwcOut: true }),
];

export interface StemNetwork { graph: ReturnType<GraphDraft['graph']>; inputs: Record<string, Tensor>; output: string }

export function stemNetwork(c: StemCase, seed: number): StemNetwork {
  const rng = mulberry32(seed);
  const d = new GraphDraft();
  const image = d.input('x', { dtype: 'f32', shape: [c.batch, c.cin, c.h, c.w] });
  const x = c.xQuantize ? image : d.node('QuantizeLinear', 'q', [image, d.constant('q.scale', 'f32', [1], Float32Array.of(0.05))], {});
  const n = c.cout * c.cin * c.k[0] * c.k[1];
  const weights = Int8Array.from({ length: n }, () => randomInt(rng, -c.wmax, c.wmax));
  // Every channel reaches the limit, with pairs of large weights of one sign.
  for (let o = 0; o < c.cout; o++) weights[o * (n / c.cout)] = o % 2 ? -c.wmax : c.wmax;
  const inputs = [x, d.constant('w', 'i8', [c.cout, c.cin, ...c.k], weights), d.constant('ws', 'f32', [c.cout], Float32Array.from({ length: c.cout }, () => 0.001 + 0.01 * rng()))];
  if (c.bias) inputs.push(d.constant('b', 'f32', [c.cout], Float32Array.from({ length: c.cout }, () => rng() * 2 - 1)));
  const act: Record<string, number> = c.activation === 'clip' ? { alpha: -0.5, beta: 0.75 } : c.activation === 'relu6' ? { alpha: 0, beta: 6 } : {};
  const attrs = {
    strides: c.stride, padsBegin: c.pads.slice(0, 2), padsEnd: c.pads.slice(2), dilations: c.dilation ?? [1, 1],
    xScale: 0.05, outScale: c.outScale, activation: c.activation === 'relu6' ? 'clip' : c.activation, ...act,
    ...(c.xQuantize ? { xQuantize: true } : {}), ...(c.nhwcOut ? { nhwcOut: true } : {}),
  };
  const output = d.node('QConv', 'stem', inputs, attrs);
  d.outputs.push(output);
  const input = randomTensor('f32', [c.batch, c.cin, c.h, c.w], rng, { min: -8, max: 8 });
  // Saturated codes (-128, 127) at the start.
  (input.data as Float32Array).fill(-1000, 0, 9).fill(1000, 9, 17);
  // Halfway codes (x / 0.05 at or next to k + 0.5) round half to even.
  for (let i = 0; i < 12; i++) (input.data as Float32Array)[17 + i] = (i - 6 + 0.5) * 0.05;
  (input.data as Float32Array).set([Infinity, -Infinity], 29);
  if (c.nearTies) {
    const bits = new Int32Array(input.data.buffer, input.data.byteOffset, input.data.length);
    for (let i = 0; i < bits.length; i++) {
      (input.data as Float32Array)[i] = (randomInt(rng, -140, 140) + 0.5) * 0.05;
      bits[i]! += randomInt(rng, -3, 3);
    }
  }
  return { graph: d.graph(), inputs: { x: input }, output };
}

/** The first element where the engine and the interpreter differ, or undefined. */
export async function stemMismatch(c: StemCase, seed: number, optLevel = 3): Promise<string | undefined> {
  const { graph, inputs, output } = stemNetwork(c, seed);
  const want = interpret(graph, inputs)[output]!;
  const got = (await runPlan(buildPlan(graph, optLevel), inputs))[output]!;
  if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) return `${c.name}: ${got.dtype}[${got.shape}], the interpreter gives ${want.dtype}[${want.shape}]`;
  // Bit for bit, except after sigmoid: the native vector sigmoid is within an ulp or two of Math.exp's.
  const same = c.activation === 'sigmoid' ? (a: number, e: number) => Math.abs(a - e) <= 2e-7 * Math.max(1, Math.abs(e)) : Object.is;
  const bad = Array.from(want.data as ArrayLike<number>).findIndex((v, i) => !same((got.data as ArrayLike<number>)[i]!, v));
  return bad < 0 ? undefined : `${c.name}: element ${bad} is ${got.data[bad]}, the interpreter gives ${want.data[bad]}`;
}

// By name, as the other case files: in a bundle (test/int8/check-cores.ts on another host) every module's
// import.meta.url is the bundle's.
if (process.argv[1]?.endsWith('qconv-stem-cases.ts')) {
  let failed: string | undefined;
  for (const [i, c] of [...STEM_CASES, ...IM2COL_CASES, ...STEM_IO_CASES].entries()) failed ??= await stemMismatch(c, 100 + i);
  console.log(failed ?? 'ok');
  process.exit(failed ? 1 : 0);
}
