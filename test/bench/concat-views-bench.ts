// A/B of concat elimination at batch > 1: one model built with strided views (as the
// CPU builder does) and re-lowered without them (same optimized graph, same timing
// cache), run interleaved with onnxruntime. Usage: npx tsx test/bench/concat-views-bench.ts MODEL.onnx BATCH [seconds]
import * as ort from 'onnxruntime-node';
import { lowerToPlan } from '../../codegen/index.js';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { autotunePlan } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { native } from '../../src/runtime/native.js';
import { importOnnx } from '../../src/onnx/index.js';

const [file, batchS, secondsS] = process.argv.slice(2);
const batch = Number(batchS), seconds = Number(secondsS ?? 20);
const { graph } = importOnnx(file!, { dims: { batch, seq: 1 } });
const builder = new Builder(new Logger('error'));
const cache = new TimingCache();
const config = builder.createBuilderConfig().setTimingCache(cache);
config.tuningThreads = 2;
const viewsPlan = builder.buildSerializedNetwork(graph, config);
const lowered = lowerToPlan(builder.lastBuild!.optimized, { kilnVersion: '0.0.0-ab', buildDigest: config.digest() }).plan;
autotunePlan(lowered, { optLevel: config.optLevel, cache, threads: 2 });
const copy: Uint8Array = native().serializePlan(lowered);
const views = [...builder.lastBuild!.memory.sliceOf.values()].filter((s) => s.imageStride !== undefined).length;
console.log(`${views} concat inputs planned as strided views`);
const runtime = new Runtime(new Logger('error'));
const ctxs = [viewsPlan, copy].map((p) => runtime.deserializeEngine(p).createExecutionContext({ threads: 2 }));
const engine = runtime.deserializeEngine(viewsPlan);
const feedK: any = {}, feedO: any = {};
for (const t of engine.inputs) {
  const d = Float32Array.from({ length: t.shape.reduce((a: number, b: number) => a * b, 1) }, () => Math.random() * 2 - 1);
  feedK[t.name] = { data: d, shape: t.shape };
  feedO[t.name] = new ort.Tensor('float32', d, t.shape);
}
const session = await ort.InferenceSession.create(file!, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', extra: { session: { intra_op: { allow_spinning: '0' } } } });
const runs = [() => ctxs[0]!.run(feedK), () => ctxs[1]!.run(feedK), () => session.run(feedO)];
const t: number[][] = [[], [], []];
for (let i = 0; i < 5; i++) for (const r of runs) await r();
const end = performance.now() + seconds * 1000;
while (performance.now() < end) for (const [i, r] of runs.entries()) { const s = performance.now(); await r(); t[i]!.push(performance.now() - s); }
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const [mv, mc, mo] = t.map(med) as [number, number, number];
const [bv, bc, bo] = t.map((xs) => Math.min(...xs)) as [number, number, number];
console.log(`${file} batch ${batch}, ${t[0]!.length} rounds: views ${mv.toFixed(2)} ms, copy ${mc.toFixed(2)} ms, ort ${mo.toFixed(2)} ms (medians); best ${bv.toFixed(2)} / ${bc.toFixed(2)} / ${bo.toFixed(2)}`);
console.log(`ort/kiln medians: views ${(mo / mv).toFixed(3)}, copy ${(mo / mc).toFixed(3)}; best runs: views ${(bo / bv).toFixed(3)}, copy ${(bo / bc).toFixed(3)}; copy/views ${(mc / mv).toFixed(3)} (best ${(bc / bv).toFixed(3)})`);
// Per-layer medians of both plans (the engine's profiler, interleaved in rounds): the concats and the expands.
const profiles = [[], []] as { name: string; medianMs: number; tactic?: string }[][][];
for (let round = 0; round < 3; round++) for (const [i, c] of ctxs.entries()) profiles[i]!.push([...(await c.profile(feedK, { iterations: 10 })).layers]);
const layerMs = (i: number) => {
  const out = new Map<string, { ms: number[]; tactic?: string }>();
  for (const p of profiles[i]!) for (const l of p) { const e = out.get(l.name) ?? { ms: [], tactic: l.tactic }; e.ms.push(l.medianMs); out.set(l.name, e); }
  return new Map([...out].map(([k, v]) => [k, { ms: Math.min(...v.ms), tactic: v.tactic }]));
};
const [lv, lc] = [layerMs(0), layerMs(1)];
const sum = (m: Map<string, { ms: number }>, f: (n: string) => boolean) => [...m].filter(([n]) => f(n)).reduce((s, [, v]) => s + v.ms, 0);
for (const [what, f] of [['all layers', () => true], ['concats', (n: string) => /Concat/.test(n)], ['expands', (n: string) => /expand/.test(n)]] as const) {
  console.log(`${what}: views ${sum(lv, f).toFixed(3)} ms, copy ${sum(lc, f).toFixed(3)} ms (best of 3 profiles' medians)`);
}
for (const [n, v] of lc) if (/expand|Concat/.test(n)) console.log(`  ${n.slice(-58).padEnd(58)} copy ${v.ms.toFixed(3)} ${v.tactic ?? ''}  views ${lv.get(n)?.ms.toFixed(3) ?? '-'} ${lv.get(n)?.tactic ?? ''}`);
