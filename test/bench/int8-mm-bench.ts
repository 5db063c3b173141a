// QMatMul (int8, the NHWC 1x1 convs of MobileNetV2's blocks) against the fp32
// MatMul it replaces, on MobileNetV2's 1x1 shapes at batch 8 (M = 8*H*W pixels):
// each shape's fp32 layer (x[M,K] * w[N,K]^T + bias, clip(0,6) or the residual, as the
// passes fuse it, its best tactic autotuned) and its int8 layer (QMatMul, i8 or f32
// out, with an i8 or f32 residual) in one plan, timed round-robin by native timeLayers
// on 2 threads, so a busy moment on this shared host hits both. Prints per-shape
// medians (ms) and the ratio fp32 / int8 (> 1: int8 faster). The project rows quantize a ReLU6 of x, as MobileNetV2's
// project convs read one (codes >= 0).
// `npx tsx test/bench/int8-mm-bench.ts [budget ms per plan]`; KILN_BENCH_ONLY filters by name.
// Nothing here asserts a speed.
import { lowerToPlan, type PlanDesc } from '../../codegen/index.js';
import { Network } from '../../dsl/index.js';
import { autotunePlan } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { native } from '../../src/runtime/native.js';
import { buildPipeline, runPipeline } from '../../passes/index.js';
import { hasCpuKernel } from '../../codegen/index.js';

interface Shape { name: string; k: number; n: number; hw: number; act: 'clip' | 'none'; residual: boolean }
const expand = (k: number, n: number, hw: number): Shape => ({ name: `expand ${k}->${n} @${hw}`, k, n, hw, act: 'clip', residual: false });
const project = (k: number, n: number, hw: number, residual: boolean): Shape => ({ name: `project ${k}->${n} @${hw}${residual ? ' +res' : ''}`, k, n, hw, act: 'none', residual });
const SHAPES: Shape[] = [
  expand(16, 96, 112), expand(24, 144, 56), expand(32, 192, 28), expand(64, 384, 14), expand(96, 576, 14), expand(160, 960, 7),
  project(32, 16, 112, false), project(96, 24, 56, false), project(144, 24, 56, true), project(144, 32, 28, false), project(192, 32, 28, true),
  project(192, 64, 14, false), project(384, 64, 14, true), project(384, 96, 14, false), project(576, 96, 14, true), project(576, 160, 7, false),
  project(960, 160, 7, true), project(960, 320, 7, false), project(320, 1280, 7, false),
];
const BATCH = 8;
const threads = Number(process.env.KILN_BENCH_THREADS ?? 2);
const budget = Number(process.argv[2] ?? 1500);
const only = process.env.KILN_BENCH_ONLY?.split(',');
const cache = new TimingCache();

function weights(k: number, n: number, seed: number): { f: Float32Array; q: Int8Array; scales: Float32Array; bias: Float32Array } {
  const rng = mulberry32(seed);
  const q = Int8Array.from({ length: n * k }, () => Math.round((rng() * 2 - 1) * 63));
  const scales = Float32Array.from({ length: n }, () => 0.002 + 0.004 * rng());
  const f = Float32Array.from(q, (v, i) => v * scales[Math.floor(i / k)]!);
  return { f, q, scales, bias: Float32Array.from({ length: n }, () => rng() - 0.5) };
}

/**
 * One plan holding the fp32 layer (the builder's passes fuse bias, clip and residual
 * into the MatMul) and, beside it on the same input, QuantizeLinear -> QMatMul with
 * i8 or f32 output: timeLayers then runs them round-robin, iteration by iteration.
 */
function plan(s: Shape, m: number, out: 'i8' | 'f32'): PlanDesc {
  const { f, q, scales, bias } = weights(s.k, s.n, s.k * 7 + s.n);
  const net = new Network();
  const x = net.input('x', 'f32', [m, s.k]);
  let y = x.matmul(net.constant('w', f, [s.n, s.k]), { transB: true }).add(net.constant('b', bias, [s.n]));
  if (s.act === 'clip') y = y.clip(0, 6);
  if (s.residual) y = y.add(net.input('r', 'f32', [m, s.n]));
  net.markOutput(y, 'y');
  const d = new GraphDraft(runPipeline(net.graph, buildPipeline({ optLevel: 3, supports: hasCpuKernel })).graph);
  const quantize = (v: string, scale: number, name: string) => d.node('QuantizeLinear', name, [v, d.constant(`${name}.scale`, 'f32', [1], Float32Array.of(scale))], {});
  // A project conv reads a ReLU6 (codes >= 0: the AVX2 tile's unshifted panels); fp32's speed does not depend on the values.
  const src = s.act === 'none' ? d.node('Clip', 'relu6', ['x'], { min: 0, max: 6 }) : 'x';
  const ops = [quantize(src, 0.05, 'qx'), d.constant('wq', 'i8', [s.n, s.k], q), d.constant('ws', 'f32', [s.n], scales), d.constant('bq', 'f32', [s.n], bias)];
  if (s.residual) ops.push(out === 'i8' ? quantize('r', 0.05, 'qr') : 'r');
  const act: Record<string, string | number> = s.act === 'clip' ? { activation: 'clip', alpha: 0, beta: 6 } : { activation: 'none' };
  d.outputs.push(d.node('QMatMul', 'mm', ops, { xScale: 0.05, outScale: out === 'i8' ? 0.05 : 0, residualScale: s.residual && out === 'i8' ? 0.05 : 0, ...act }));
  const p = lowerToPlan(d.graph(), { kilnVersion: '0.0.0-bench', buildDigest: new Uint8Array(32) }).plan;
  autotunePlan(p, { optLevel: 3, cache, threads });
  return p;
}

console.log(`QMatMul vs fp32 MatMul, batch ${BATCH}, ${threads} threads, round-robin in one plan: int8 ms vs fp32 ms (fp32/int8, > 1: int8 faster)`);
const ratios: number[] = [];
for (const s of SHAPES) {
  if (only && !only.some((o) => s.name.includes(o))) continue;
  const m = BATCH * s.hw * s.hw;
  const cells: string[] = [];
  let tactic = '';
  for (const out of ['i8', 'f32'] as const) {
    const p = plan(s, m, out);
    const at = p.layers.findIndex((l) => l.name === 'mm'), f32At = p.layers.findIndex((l) => l.kernel !== 'qmatmul' && !l.name.startsWith('q') && l.name !== 'relu6');
    const t = native().timeLayers(p, { warmup: 3, minIterations: 10, maxIterations: 400, budgetMs: budget, threads }).medianMs;
    tactic = (JSON.parse(p.layers[f32At]!.info || '{}') as { tactic?: string }).tactic ?? p.layers[f32At]!.kernel;
    ratios.push(t[f32At]! / t[at]!);
    cells.push(`${out} out ${t[at]!.toFixed(3)} vs ${t[f32At]!.toFixed(3)} (${(t[f32At]! / t[at]!).toFixed(2)}x)`);
  }
  console.log(`${s.name.padEnd(24)} M=${String(m).padEnd(6)} [${tactic}] int8 ${cells.join(', ')}`);
}
console.log(`geometric mean fp32/int8: ${Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length).toFixed(2)}x`);
