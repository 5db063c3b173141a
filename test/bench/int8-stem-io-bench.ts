// FuseInt8StemIO's A/B on MobileNetV2 int8 (batch 8 by default): the network is built
// once (calibration cache of int8-bench.ts), then its optimized graph is lowered twice,
// as built (the stem QConv reads the f32 image and writes NHWC) and with the stem's
// QuantizeLinear and Transpose put back (the build before the pass), both autotuned
// against one timing cache. The two engines are profiled in alternating rounds (per-
// layer medians: the stem's layers side by side) and timed whole, interleaved, so a
// busy moment on this shared host hits both. Prints medians and before / after (> 1:
// the fused stem is faster). First, the stem alone (MobileNetV2's shape at this batch,
// 3x3 stride 2, 3 -> 32, relu6, i8 out) four ways, timed per layer by the native
// timeLayers in alternating rounds: the helper layers kept, each moved in, both moved
// in. Nothing here asserts a speed.
// `npx tsx test/bench/int8-stem-io-bench.ts [model.onnx] [batch] [calib] [rounds]`
import { readFileSync } from 'node:fs';
import { lowerToPlan } from '../../codegen/index.js';
import { ArrayCalibrator, Builder, Logger, Runtime } from '../../src/index.js';
import { autotunePlan } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { importOnnx } from '../../src/onnx/index.js';
import { native } from '../../src/runtime/native.js';
import { KILN_VERSION } from '../../src/version.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import type { Attrs, Graph } from '../../src/ir/index.js';
import type { PlanDesc } from '../../codegen/index.js';
import { mulberry32, randomInt } from '../../src/interpret/index.js';

const [file = '/work/shared/models/mobilenet_v2.onnx', batchText = '8', calib = 'out/int8-bench/mobilenet_v2.calib', roundsText = '8'] = process.argv.slice(2);
const batch = Number(batchText), rounds = Number(roundsText);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The graph before FuseInt8StemIO: each fused stem QConv gets its QuantizeLinear and / or Transpose back. */
function unfused(g: Graph, undo = { quantize: true, transpose: true }): Graph {
  const d = new GraphDraft(g);
  d.nodes.length = 0;
  for (const n of g.nodes) {
    if (n.op !== 'QConv' || (n.attrs.xQuantize !== true && n.attrs.nhwcOut !== true)) {
      d.nodes.push(n);
      continue;
    }
    const { xQuantize: q, nhwcOut: t, ...rest } = n.attrs;
    const xQuantize = undo.quantize && q, nhwcOut = undo.transpose && t;
    const attrs: Attrs = { ...rest, ...(q && !xQuantize ? { xQuantize: q } : {}), ...(t && !nhwcOut ? { nhwcOut: t } : {}) };
    const x = xQuantize === true ? d.node('QuantizeLinear', `${n.name}.quantize`, [n.inputs[0]!, d.constant(`${n.name}.x_scale`, 'f32', [1], Float32Array.of(n.attrs.xScale as number))], {}) : n.inputs[0]!;
    const y = d.node('QConv', n.name, [x, ...n.inputs.slice(1)], attrs, nhwcOut === true ? `${n.outputs[0]!}.nchw` : n.outputs[0]!);
    if (nhwcOut === true) d.node('Transpose', `${n.outputs[0]!} to NHWC`, [y], { perm: [0, 2, 3, 1] }, n.outputs[0]!);
  }
  return d.graph();
}

const X_SCALE = 1 / 127;
const stemCache = new TimingCache();
/** The stem as a network of its own: QuantizeLinear unless xQuantize, the QConv, Transpose to NHWC unless nhwcOut. */
function stemPlan(xQuantize: boolean, nhwcOut: boolean): PlanDesc {
  const rng = mulberry32(3);
  const d = new GraphDraft();
  const image = d.input('x', { dtype: 'f32', shape: [batch, 3, 224, 224] });
  const x = xQuantize ? image : d.node('QuantizeLinear', 'quantize', [image, d.constant('scale', 'f32', [1], Float32Array.of(X_SCALE))], {});
  const w = d.constant('w', 'i8', [32, 3, 3, 3], Int8Array.from({ length: 32 * 27 }, () => randomInt(rng, -127, 127)));
  const ws = d.constant('ws', 'f32', [32], Float32Array.from({ length: 32 }, () => 0.001 + 0.01 * rng()));
  const b = d.constant('b', 'f32', [32], Float32Array.from({ length: 32 }, () => rng() - 0.5));
  const attrs = { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], xScale: X_SCALE, outScale: 0.05, activation: 'clip', alpha: 0, beta: 6, ...(xQuantize ? { xQuantize } : {}), ...(nhwcOut ? { nhwcOut } : {}) };
  const y = d.node('QConv', 'conv', [x, w, ws, b], attrs);
  d.outputs.push(nhwcOut ? y : d.node('Transpose', 'to NHWC', [y], { perm: [0, 2, 3, 1] }));
  const { plan } = lowerToPlan(d.graph(), { kilnVersion: '0.0.0-bench', buildDigest: new Uint8Array(32) });
  autotunePlan(plan, { optLevel: 3, cache: stemCache, threads: 2 });
  return plan;
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const stemKinds: [string, PlanDesc][] = [['QuantizeLinear + QConv + Transpose', stemPlan(false, false)], ['QConv[xQuantize] + Transpose', stemPlan(true, false)],
  ['QuantizeLinear + QConv[nhwcOut]', stemPlan(false, true)], ['QConv[xQuantize, nhwcOut]', stemPlan(true, true)]];
const stemTimes = stemKinds.map(() => ({ median: [] as number[], best: [] as number[], layers: [] as number[][] }));
for (let r = 0; r < rounds; r++) {
  for (const [i, [, p]] of stemKinds.entries()) {
    const t = native().timeLayers(p, { warmup: 2, minIterations: 5, maxIterations: 100, budgetMs: 150, threads: Number(process.env.T ?? 2) });
    stemTimes[i]!.median.push(sum(t.medianMs)), stemTimes[i]!.best.push(sum(t.minMs)), stemTimes[i]!.layers.push(t.medianMs);
  }
}
console.log(`MobileNetV2 stem alone, batch ${batch}, ${rounds} alternating rounds: median ms of the layers' sum (best), per layer; base / this (> 1: faster)`);
const base = median(stemTimes[0]!.median);
for (const [i, [name, p]] of stemKinds.entries()) {
  const t = stemTimes[i]!;
  const perLayer = p.layers.map((l, j) => `${l.name} ${median(t.layers.map((x) => x[j]!)).toFixed(3)}`).join(', ');
  console.log(`  ${name.padEnd(36)} ${median(t.median).toFixed(3)} (${Math.min(...t.best).toFixed(3)})  [${perLayer}]  ${(base / median(t.median)).toFixed(3)}`);
}
if (process.env.KILN_STEM_IO_MICRO === '1') process.exit(0);

const { graph } = importOnnx(file, { dims: { batch, seq: 1 } });
const builder = new Builder(new Logger('error'));
const config = builder.createBuilderConfig();
config.setFlag('int8');
config.calibrator = new ArrayCalibrator([], 'minmax', { cache: readFileSync(calib, 'utf8') });
const fusedStems = (g: Graph) => g.nodes.filter((n) => n.op === 'QConv' && (n.attrs.xQuantize === true || n.attrs.nhwcOut === true)).map((n) => n.name);
// The int8 choice is timed: where the stem stays fp32 (a close call on a busy host), build again.
for (let tries = 0; tries < 3 && (!builder.lastBuild || fusedStems(builder.lastBuild.optimized).length === 0); tries++) builder.buildSerializedNetwork(graph, config.setTimingCache(new TimingCache()));
const after = builder.lastBuild!.optimized;
const before = unfused(after);
const stems = fusedStems(after);
if (stems.length === 0) throw new Error('no fused stem QConv in three builds (the stem stayed fp32): nothing to compare');
const plan = (g: Graph) => {
  const { plan: p } = lowerToPlan(g, { kilnVersion: KILN_VERSION, buildDigest: config.digest(), stridedViews: true });
  autotunePlan(p, { optLevel: config.optLevel, cache: config.timingCache!, threads: 2 });
  return native().serializePlan(p);
};
const runtime = new Runtime(new Logger('error'));
// KILN_STEM_IO_PARTS=1: also each rewrite alone (the QuantizeLinear kept, or the Transpose kept).
const parts = process.env.KILN_STEM_IO_PARTS === '1';
const variants: [string, Graph][] = [['before (QuantizeLinear, QConv, Transpose)', before], ['after (fused stem)', after],
  ...(parts ? [['Transpose fused only', unfused(after, { quantize: true, transpose: false })], ['QuantizeLinear fused only', unfused(after, { quantize: false, transpose: true })]] as [string, Graph][] : [])];
const contexts = variants.map(([, g]) => runtime.deserializeEngine(plan(g)).createExecutionContext({ threads: Number(process.env.T ?? 2) }));
const engine = runtime.deserializeEngine(plan(after));
const feeds = Object.fromEntries(engine.inputs.map((t) => {
  const n = t.shape.reduce((a, b) => a * b, 1);
  return [t.name, { data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), shape: t.shape }];
}));
// Stem layers: the fused QConv's name, and what its QuantizeLinear and Transpose were called.
const isStem = (name: string) => stems.some((s) => name === s || name === `${s}.quantize`) || name.endsWith(' to NHWC') && before.nodes.some((n) => n.name === name && stems.some((s) => n.inputs[0]!.startsWith(after.nodes.find((m) => m.name === s)!.outputs[0]!)));
const layerMs = variants.map(() => new Map<string, number[]>());
const wholeMs: number[][] = variants.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, ctx] of contexts.entries()) {
    const p = await ctx.profile(feeds, { iterations: 10 });
    for (const l of p.layers) layerMs[i]!.set(l.name, [...(layerMs[i]!.get(l.name) ?? []), l.medianMs]);
    const t = performance.now();
    for (let k = 0; k < 5; k++) await ctx.run(feeds);
    wholeMs[i]!.push((performance.now() - t) / 5);
  }
}
const stemSum = (i: number) => [...layerMs[i]!].filter(([n]) => isStem(n)).reduce((a, [, xs]) => a + median(xs), 0);
for (const [i, [label]] of variants.entries()) {
  console.log(label);
  for (const [n, xs] of layerMs[i]!) if (isStem(n)) console.log(`  ${median(xs).toFixed(3).padStart(7)} ms  ${n.slice(-80)}`);
  console.log(`  stem layers ${stemSum(i).toFixed(3)} ms, layer sum ${[...layerMs[i]!.values()].reduce((a, xs) => a + median(xs), 0).toFixed(3)} ms, whole run ${median(wholeMs[i]!).toFixed(3)} ms`);
}
console.log(`before / after: stem ${(stemSum(0) / stemSum(1)).toFixed(3)}, whole run ${(median(wholeMs[0]!) / median(wholeMs[1]!)).toFixed(3)}`);
