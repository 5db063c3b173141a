// The CUDA timing cache on a GPU, for the device machine (bundled with esbuild and
// run by a bare Node next to the addon, as gpu-mnist.ts; see native/cuda/README.md).
// For SampleMNIST at batch 1 and 256 (fp32 and fp16), and ResNet-50 fp16 at batch 1
// when WORKDIR holds gpu-resnet.py's resnet50.onnx: an autotuned build with an empty
// cache, then one with the cache it filled. Reports build times, the builder's
// autotune summary (layers cached / timed), whether the two plans are
// byte-identical and whether they compute the same outputs. Writes
// $OUT/gpu-timing-cache.json, and the cache as $OUT/timing-cache.json so a
// cross-build elsewhere can be checked against it.
// Usage: node gpu-timing-cache.mjs [repoRoot] [WORKDIR]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, Logger, Runtime, type Network } from '../../src/index.js';
import type { Graph } from '../../src/ir/index.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { importOnnx } from '../../src/onnx/index.js';
import { INPUT, defineMnistNetwork } from '../../samples/mnist/network.js';
import { gpuUnavailable, mnistAssets } from '../gpu/gpu-checks.js';
import { quiet } from '../gpu/helpers.js';

const root = process.argv[2] ?? process.cwd();
const work = process.argv[3];

function build(net: Network | Graph, precision: 'fp32' | 'fp16', cache: TimingCache) {
  const summary: string[] = [];
  const builder = new Builder(new Logger('info', (_s, m) => { if (m.startsWith('autotune (')) summary.push(m); }));
  const config = builder.createBuilderConfig();
  config.target = 'cuda';
  config.cudaPrecision = precision;
  config.setTimingCache(cache);
  const t0 = performance.now();
  const plan = builder.buildSerializedNetwork(net, config);
  return { plan, ms: Math.round(performance.now() - t0), summary: summary.join('; ') };
}

async function outputs(plan: Uint8Array, feed: Record<string, { data: Float32Array; shape: number[] }>): Promise<Float32Array[]> {
  const out = await new Runtime(quiet).deserializeEngine(plan).createExecutionContext().run(feed);
  return Object.values(out).map((t) => t.data as Float32Array);
}

/**
 * max |a - b| / max |b| over the outputs. Identical plans need not give identical bits:
 * split-K tactics add partial sums with float atomics, whose order varies run to run.
 */
function relDiff(a: Float32Array[], b: Float32Array[]): number {
  let diff = 0, scale = 0;
  b.forEach((t, k) => t.forEach((v, i) => { diff = Math.max(diff, Math.abs(a[k]![i]! - v)); scale = Math.max(scale, Math.abs(v)); }));
  return scale === 0 ? diff : diff / scale;
}

async function main(): Promise<number> {
  const why = gpuUnavailable();
  if (why) {
    console.log(`no GPU: ${why}`);
    return 1;
  }
  const cases: { name: string; net: () => Network | Graph; precision: 'fp32' | 'fp16'; input: string; shape: number[] }[] = [];
  for (const batch of [1, 256]) {
    for (const precision of ['fp32', 'fp16'] as const) {
      cases.push({ name: `mnist b${batch}`, net: () => defineMnistNetwork(mnistAssets(root).weights, batch), precision, input: INPUT, shape: [batch, 1, 28, 28] });
    }
  }
  const resnet = work && join(work, 'resnet50.onnx');
  if (resnet && existsSync(resnet)) {
    const graph = importOnnx(resnet, { dims: { batch: 1 } }).graph;
    cases.push({ name: 'resnet50 b1', net: () => graph, precision: 'fp16', input: graph.inputs[0]!, shape: [1, 3, 224, 224] });
  }
  const cache = new TimingCache();
  const rows: unknown[] = [];
  let ok = true;
  for (const c of cases) {
    const cold = build(c.net(), c.precision, cache);
    const warm = build(c.net(), c.precision, cache);
    const n = c.shape.reduce((a, b) => a * b, 1);
    const feed = { [c.input]: { data: new Float32Array(n).map((_, i) => Math.sin(i) * 0.5 + 0.5), shape: c.shape } };
    const identical = Buffer.from(cold.plan).equals(Buffer.from(warm.plan));
    const outputsRelDiff = relDiff(await outputs(warm.plan, feed), await outputs(cold.plan, feed));
    const sameOutputs = outputsRelDiff <= 1e-3;
    const warmTimedNothing = / 0 timed, 0 by rule$/.test(warm.summary);
    ok &&= identical && sameOutputs && warmTimedNothing;
    const row = { case: c.name, precision: c.precision, coldMs: cold.ms, warmMs: warm.ms, cold: cold.summary, warm: warm.summary, identical, sameOutputs, outputsRelDiff, warmTimedNothing };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  const out = process.env.OUT ?? join(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  cache.save(join(out, 'timing-cache.json'));
  writeFileSync(join(out, 'gpu-timing-cache.json'), JSON.stringify({ devices: Runtime.cudaDevices(), ok, rows }, null, 1));
  console.log(ok ? 'PASS every warm build timed nothing and gave the cold plan' : 'FAIL see rows');
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
