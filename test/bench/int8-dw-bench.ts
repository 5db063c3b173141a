// MobileNetV2's depthwise layers (3x3, pad 1, bias, clip(0,6)) in fp32 (ConvNhwc, as
// layout assignment makes them, its tactic autotuned) and int8 (QConvNhwc with i8
// and with f32 output, on the i8 input a QuantizeLinear makes), all in one plan, so
// native timeLayers times them round-robin: a busy moment of the shared machine hits
// every form alike. Prints per shape the median ms and fp32 / int8 (> 1: int8
// faster); the quantize column is what an f32 input would cost on top.
// `npx tsx test/bench/int8-dw-bench.ts [batch] [threads]` (defaults 8 and 2);
// KILN_BENCH_ONLY filters shapes by their printed name. Nothing here asserts a speed.
import { lowerToPlan } from '../../codegen/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { autotunePlan } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { native } from '../../src/runtime/native.js';
import { KILN_VERSION } from '../../src/version.js';

const SHAPES: { hw: number; c: number; stride: number }[] = [
  { hw: 112, c: 32, stride: 1 }, { hw: 112, c: 96, stride: 2 }, { hw: 56, c: 144, stride: 1 }, { hw: 56, c: 144, stride: 2 },
  { hw: 28, c: 192, stride: 1 }, { hw: 28, c: 192, stride: 2 }, { hw: 14, c: 384, stride: 1 }, { hw: 14, c: 576, stride: 1 },
  { hw: 14, c: 576, stride: 2 }, { hw: 7, c: 960, stride: 1 },
];
const batch = Number(process.argv[2] ?? 8);
const threads = Number(process.argv[3] ?? 2);
const only = process.env.KILN_BENCH_ONLY?.split(',');

function graph(hw: number, c: number, stride: number) {
  const rng = mulberry32(hw * 1000 + c + stride);
  const floats = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
  const d = new GraphDraft();
  const x = d.input('x', { dtype: 'f32', shape: [batch, hw, hw, c] });
  const window = { strides: [stride, stride], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1], activation: 'clip', alpha: 0, beta: 6 };
  const b = d.constant('b', 'f32', [c], floats(c, -0.1, 0.1));
  d.outputs.push(d.node('ConvNhwc', 'fp32', [x, d.constant('w', 'f32', [c, 1, 3, 3], floats(9 * c, -0.4, 0.4)), b], { ...window, groups: c }));
  const xq = d.node('QuantizeLinear', 'quantize', [x, d.constant('qx.scale', 'f32', [1], Float32Array.of(0.02))], {});
  const wq = d.constant('wq', 'i8', [c, 1, 3, 3], Int8Array.from({ length: 9 * c }, () => Math.round(254 * rng()) - 127));
  const ws = d.constant('ws', 'f32', [c], floats(c, 0.002, 0.004));
  d.outputs.push(d.node('QConvNhwc', 'int8 i8-out', [xq, wq, ws, b], { ...window, xScale: 0.02, outScale: 0.05 }));
  d.outputs.push(d.node('QConvNhwc', 'int8 f32-out', [xq, wq, ws, b], { ...window, xScale: 0.02, outScale: 0 }));
  return d.graph();
}

const cache = new TimingCache();
console.log(`batch ${batch}, ${threads} threads; median ms (fp32 / int8: > 1 = int8 faster)`);
for (const s of SHAPES) {
  const name = `[${batch},${s.hw},${s.hw},${s.c}] s${s.stride}`;
  if (only && !only.some((o) => name.includes(o))) continue;
  const plan = lowerToPlan(graph(s.hw, s.c, s.stride), { kilnVersion: KILN_VERSION, buildDigest: new Uint8Array(32) }).plan;
  autotunePlan(plan, { optLevel: 3, cache, threads });
  const t = native().timeLayers(plan, { warmup: 3, minIterations: 20, maxIterations: 400, budgetMs: 2500, threads });
  const ms = (layer: string) => t.medianMs[plan.layers.findIndex((l) => l.name === layer)]!;
  const [f32, i8, f32out, quant] = [ms('fp32'), ms('int8 i8-out'), ms('int8 f32-out'), ms('quantize')];
  console.log(`${name.padEnd(22)} fp32 ${f32.toFixed(4)}  int8->i8 ${i8.toFixed(4)} (x${(f32 / i8).toFixed(2)})  int8->f32 ${f32out.toFixed(4)} (x${(f32 / f32out).toFixed(2)})  quantize ${quant.toFixed(4)}`);
}
