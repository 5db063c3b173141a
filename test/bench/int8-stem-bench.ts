// The int8 stem conv (QuantizeLinear of the f32 input + QConv, as chooseInt8 times
// it) against the fp32 Conv it replaces (its best tactic autotuned: small-c on
// these shapes), on the stems of ResNet-18 (7x7 s2, 3 -> 64, relu), MobileNetV2
// (3x3 s2, 3 -> 32, clip(0,6)) at batch 8 and LeNet (5x5, 1 -> 20) at batch 64.
// Each shape is a one-layer fp32 network and a one-layer int8 one (f32 out and i8
// out), the plans timed in alternating rounds (native timeLayers, 2 threads) so a
// busy moment on this shared host hits every one. Prints medians (the int8 figure
// is quantize + qconv, and qconv alone) and fp32 / int8 (> 1: int8 faster).
// `npx tsx test/bench/int8-stem-bench.ts [rounds]`; KILN_BENCH_ONLY filters by name,
// KILN_BENCH_THREADS sets the threads (2).
// Nothing here asserts a speed.
import type { PlanDesc } from '../../codegen/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCpuKernel, lowerToPlan } from '../../codegen/index.js';
import { Network } from '../../dsl/index.js';
import { autotunePlan } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { buildPipeline, runPipeline } from '../../passes/index.js';
import { GraphDraft, quantizeWeights } from '../../passes/quantize-graph.js';
import { importOnnx } from '../../src/onnx/index.js';
import { native } from '../../src/runtime/native.js';
import { lowerNetwork } from '../tuning/harness.js';

interface Shape { name: string; model: string; batch: number; cin: number; hw: number; cout: number; k: number; stride: number; pad: number; act: 'relu' | 'clip' | 'none' }
const SHAPES: Shape[] = [
  { name: 'resnet18 conv1 7x7 s2 3->64', model: 'out/models/resnet18.onnx', batch: 8, cin: 3, hw: 224, cout: 64, k: 7, stride: 2, pad: 3, act: 'relu' },
  { name: 'mobilenet_v2 stem 3x3 s2 3->32', model: '../shared/models/mobilenet_v2.onnx', batch: 8, cin: 3, hw: 224, cout: 32, k: 3, stride: 2, pad: 1, act: 'clip' },
  { name: 'lenet conv1 5x5 1->20', model: '../shared/models/lenet.onnx', batch: 64, cin: 1, hw: 28, cout: 20, k: 5, stride: 1, pad: 0, act: 'none' },
];
const rounds = Number(process.argv[2] ?? 7);
const only = process.env.KILN_BENCH_ONLY?.split(',');
const cache = new TimingCache();
const X_SCALE = 0.02;
const THREADS = Number(process.env.KILN_BENCH_THREADS ?? 2);
const ROOT = join(import.meta.dirname, '../..');

/**
 * The model's own stem weights (its first conv after BN folding) when the model is
 * here, else Gaussian ones: quantized per channel to 8 bits as the Quantize pass does,
 * so the vpmaddubsw pair limit meets real weights.
 */
function weights(s: Shape): { f: Float32Array; q: Int8Array; scales: Float32Array; bias: Float32Array; from: string } {
  const n = s.cout * s.cin * s.k * s.k;
  const rng = mulberry32(s.k * 31 + s.cout);
  let f: Float32Array = Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) * 0.1);
  let bias: Float32Array = Float32Array.from({ length: s.cout }, () => rng() - 0.5);
  let from = 'gaussian weights';
  const file = join(ROOT, s.model);
  if (existsSync(file)) {
    const { graph } = runPipeline(importOnnx(readFileSync(file)).graph, buildPipeline({ optLevel: 3, supports: hasCpuKernel }));
    const conv = graph.nodes.find((node) => node.op === 'Conv')!;
    const w = graph.constants[conv.inputs[1]!]?.data as Float32Array | undefined;
    if (w?.length === n) {
      f = w;
      const b = conv.inputs[2] ? (graph.constants[conv.inputs[2]]?.data as Float32Array | undefined) : undefined;
      if (b) bias = b;
      from = `${s.model} weights`;
    }
  }
  const { q, scales } = quantizeWeights(f, s.cout);
  return { f: Float32Array.from(q, (v, i) => v * scales[Math.floor(i / (n / s.cout))]!), q, scales, bias, from };
}

function fp32Plan(s: Shape): PlanDesc {
  const { f, bias } = weights(s);
  const net = new Network();
  const x = net.input('x', 'f32', [s.batch, s.cin, s.hw, s.hw]);
  let y = x.conv({ outChannels: s.cout, kernel: [s.k, s.k], weights: f, bias, strides: [s.stride, s.stride], padding: [s.pad, s.pad] });
  if (s.act === 'relu') y = y.relu();
  if (s.act === 'clip') y = y.clip(0, 6);
  net.markOutput(y, 'y');
  const plan = lowerNetwork(net);
  autotunePlan(plan, { optLevel: 3, cache, threads: THREADS });
  return plan;
}

function int8Plan(s: Shape, out: 'i8' | 'f32'): PlanDesc {
  const { q, scales, bias } = weights(s);
  const d = new GraphDraft();
  const x = d.node('QuantizeLinear', 'qx', [d.input('x', { dtype: 'f32', shape: [s.batch, s.cin, s.hw, s.hw] }), d.constant('qx.scale', 'f32', [1], Float32Array.of(X_SCALE))], {});
  const act: Record<string, string | number> = s.act === 'clip' ? { activation: 'clip', alpha: 0, beta: 6 } : { activation: s.act };
  const attrs = { strides: [s.stride, s.stride], padsBegin: [s.pad, s.pad], padsEnd: [s.pad, s.pad], xScale: X_SCALE, outScale: out === 'i8' ? 0.05 : 0, ...act };
  d.outputs.push(d.node('QConv', 'conv', [x, d.constant('w', 'i8', [s.cout, s.cin, s.k, s.k], q), d.constant('ws', 'f32', [s.cout], scales), d.constant('b', 'f32', [s.cout], bias)], attrs));
  return lowerToPlan(d.graph(), { kilnVersion: '0.0.0-bench', buildDigest: new Uint8Array(32) }).plan;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Per-layer medians and minima of one timing run of `plan`. */
const time = (plan: PlanDesc) => native().timeLayers(plan, { warmup: 2, minIterations: 5, maxIterations: 100, budgetMs: 150, threads: THREADS });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

console.log(`int8 stem (quantize + qconv) vs fp32 conv, ${THREADS} thread(s), ${rounds} alternating rounds: median ms (best ms), fp32/int8 of medians (of bests; > 1: int8 faster)`);
for (const s of SHAPES) {
  if (only && !only.some((o) => s.name.includes(o))) continue;
  const f32 = fp32Plan(s);
  const kinds: [string, PlanDesc][] = [['f32 out', int8Plan(s, 'f32')], ['i8 out', int8Plan(s, 'i8')]];
  const tf: number[] = [], bf: number[] = [];
  const total = kinds.map(() => [] as number[]), best = kinds.map(() => [] as number[]), conv = kinds.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    const t = time(f32);
    tf.push(sum(t.medianMs)), bf.push(sum(t.minMs));
    kinds.forEach(([, p], i) => {
      const u = time(p);
      total[i]!.push(sum(u.medianMs)), best[i]!.push(sum(u.minMs));
      conv[i]!.push(u.medianMs[p.layers.findIndex((l) => l.name === 'conv')]!);
    });
  }
  const base = median(tf), baseBest = Math.min(...bf);
  const cells = kinds.map(([k], i) => {
    const m = median(total[i]!), b = Math.min(...best[i]!);
    return `${k} ${m.toFixed(3)} (${b.toFixed(3)}; qconv ${median(conv[i]!).toFixed(3)}) ${(base / m).toFixed(2)}x (${(baseBest / b).toFixed(2)}x)`;
  });
  const tactic = f32.layers.map((l) => (JSON.parse(l.info || '{}') as { tactic?: string }).tactic).filter(Boolean).join('+');
  console.log(`${s.name.padEnd(32)} b${s.batch} (${weights(s).from}) fp32 ${base.toFixed(3)} (${baseBest.toFixed(3)}) [${tactic}]  int8 ${cells.join(', ')}`);
}
