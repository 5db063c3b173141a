// CUDA tactics and the timing cache, without a GPU. A fake device (the native
// functions buildCudaTarget takes, with deterministic timings and a compiler that
// records what it is asked to build) drives autotuning as a GPU machine would:
// misses are timed once, a warm cache times and compiles nothing extra and gives the
// same plan. Cross-builds through the Builder (sm_90 with nvcc, as CI runs) take
// cached choices for their architecture only; CPU and CUDA entries never answer for
// each other; the cache goes through a file and `kiln build --target cuda --timing-cache`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lowerToPlan, type PlanDesc } from '../../codegen/index.js';
import { buildCudaTarget, findNvcc, nvccCompiler, type CudaNative } from '../../codegen/cuda/index.js';
import type { CudaPrecision } from '../../codegen/cuda/precision.js';
import { Builder, type Network } from '../../src/index.js';
import { Network as DslNetwork } from '../../dsl/index.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { native } from '../../src/runtime/native.js';
import { KILN_VERSION } from '../../src/version.js';
import { defineMnistNetwork } from '../../samples/mnist/network.js';
import { FIXTURES, kiln, tempDir } from '../cli/helpers.js';
import { mnistAssets } from './gpu-checks.js';
import { lowerNetwork, quiet } from './helpers.js';
import { kernelNets } from './kernel-nets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mnist = () => defineMnistNetwork(mnistAssets(root).weights, 2);
const nvcc = findNvcc();
const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest();

/** A GPU that is not there: its compiler returns a digest of the source, its timings a hash of each launched function. */
function fakeGpu(arch = 90, multiprocessors = 132) {
  const compiled: { name: string; source: string }[] = [];
  const timed: string[][] = [];
  const gpu: CudaNative = {
    cudaDevices: () => ({ available: true, devices: [{ index: 0, name: 'fake GPU', arch, multiprocessors }] }),
    nvrtcInfo: () => ({ available: true, version: 'fake' }),
    cudaCompile: (source, _arch, name) => {
      compiled.push({ name, source });
      return { cubin: new Uint8Array(sha(source)), log: '' };
    },
    serializePlan: (desc) => native().serializePlan(desc),
    cudaTimeLaunches: (bytes) => {
      const functions = native().inspectPlan(bytes).cuda!.launches.map((l) => l.function);
      timed.push(functions);
      return functions.map((f) => 0.001 + sha(f).readUInt16LE(0) / 65536);
    },
  };
  return { gpu, compiled, timed };
}

/** Builds the CUDA section on `gpu` and returns the serialized plan. */
function buildOn(plan: PlanDesc, gpu: CudaNative, cache: TimingCache, precision: CudaPrecision = 'fp32'): Uint8Array {
  plan.cuda = buildCudaTarget(plan, gpu, { device: 0, compiler: 'auto', autotune: true, cache, precision });
  return native().serializePlan(plan);
}

const tactics = (plan: Uint8Array) => native().inspectPlan(plan).layers.map((l) => (JSON.parse(l.info || '{}') as { tactic?: string }).tactic);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const H100 = 'cuda sm_90 | 132 SMs';

/** The cache as JSON, edited, read back. */
function edited(cache: TimingCache, edit: (targets: Record<string, Record<string, { tactic: string }>>) => void): TimingCache {
  const doc = JSON.parse(new TextDecoder().decode(cache.serialize())) as { targets: Record<string, Record<string, { tactic: string }>> };
  edit(doc.targets);
  return TimingCache.deserialize(JSON.stringify(doc));
}

describe('autotuning CUDA tactics with a timing cache (fake GPU)', () => {
  it('times each miss once and records it; a warm cache compiles and times nothing more and gives the same plan', () => {
    const cache = new TimingCache();
    const cold = fakeGpu();
    const coldPlan = buildOn(lowerNetwork(mnist()), cold.gpu, cache);
    expect(cold.compiled.map((c) => c.name)).toEqual(['kiln-tuning.cu', 'kiln-plan.cu']);
    expect(cold.timed.length).toBe(1);
    // conv1, conv2, fc1, fc2: each fastest of its candidates, as recorded in the layer info.
    expect(cache.targetKeys).toEqual([H100]);
    expect(cache.size).toBe(4);
    const chosen = tactics(coldPlan).filter((t) => t !== undefined);
    expect(chosen.length).toBe(4);
    const sigs = JSON.parse(new TextDecoder().decode(cache.serialize())).targets[H100] as Record<string, { tactic: string; ms: number; candidates: Record<string, number> }>;
    for (const [sig, e] of Object.entries(sigs)) {
      expect(sig).toMatch(/^fp32 (conv|gemm)\(.*tactics\[/);
      expect(Object.keys(e.candidates).length).toBeGreaterThan(1);
      expect(e.ms).toBe(Math.min(...Object.values(e.candidates)));
      expect(e.candidates[e.tactic]).toBe(e.ms);
    }
    expect(chosen.sort()).toEqual(Object.values(sigs).map((e) => e.tactic).sort());

    const warm = fakeGpu();
    const warmPlan = buildOn(lowerNetwork(mnist()), warm.gpu, cache);
    expect(warm.timed).toEqual([]);
    expect(warm.compiled.map((c) => c.name)).toEqual(['kiln-plan.cu']);
    expect(same(warmPlan, coldPlan)).toBe(true);
    // A cache read back from its bytes does the same.
    expect(same(buildOn(lowerNetwork(mnist()), fakeGpu().gpu, TimingCache.deserialize(cache.serialize())), coldPlan)).toBe(true);
  });

  it('times only the layers it misses, in a tuning module holding just their kernels', () => {
    const cache = new TimingCache();
    const coldPlan = buildOn(lowerNetwork(mnist()), fakeGpu().gpu, cache);
    const withoutConv2 = edited(cache, (t) => {
      for (const sig of Object.keys(t[H100]!)) if (sig.startsWith('fp32 conv(f32[2,20,')) delete t[H100]![sig];
    });
    expect(withoutConv2.size).toBe(3);
    const partial = fakeGpu();
    const plan = buildOn(lowerNetwork(mnist()), partial.gpu, withoutConv2);
    expect(partial.timed.length).toBe(1);
    const conv2 = lowerNetwork(mnist()).layers.findIndex((l) => l.name === 'conv2');
    expect(partial.timed[0]!.length).toBeGreaterThan(1);
    for (const f of partial.timed[0]!) expect(f.startsWith(`kiln_${conv2}_conv_`)).toBe(true);
    expect(withoutConv2.size).toBe(4);
    expect(same(plan, coldPlan)).toBe(true);
    const tuning = partial.compiled.find((c) => c.name === 'kiln-tuning.cu')!.source;
    for (const f of partial.timed[0]!) expect(tuning).toContain(` ${f}(`);
    expect(tuning).not.toContain('kiln_0_conv');
    if (nvcc) expect(nvccCompiler(nvcc).compile(tuning, 90, 'partial-tuning.cu').byteLength).toBeGreaterThan(0);
  }, 120_000);

  it('keys entries by architecture, multiprocessor count and storage precision', () => {
    const cache = new TimingCache();
    buildOn(lowerNetwork(mnist()), fakeGpu().gpu, cache);
    for (const [arch, sms] of [[90, 114], [80, 132]] as const) {
      const other = fakeGpu(arch, sms);
      buildOn(lowerNetwork(mnist()), other.gpu, cache);
      expect(other.timed.length).toBe(1);
    }
    expect(cache.targetKeys).toEqual(['cuda sm_80 | 132 SMs', 'cuda sm_90 | 114 SMs', H100]);
    const half = fakeGpu();
    buildOn(lowerNetwork(mnist(), 3, 'cuda'), half.gpu, cache, 'fp16');
    expect(half.timed.length).toBe(1);
    expect(cache.targetKeys.length).toBe(3);
    expect(cache.size).toBeGreaterThan(12);
  });

  it('treats an entry naming no candidate of the layer as a miss: timed again and replaced', () => {
    const cache = new TimingCache();
    const coldPlan = buildOn(lowerNetwork(mnist()), fakeGpu().gpu, cache);
    const stale = edited(cache, (t) => { for (const e of Object.values(t[H100]!)) e.tactic = 'tile999'; });
    const again = fakeGpu();
    expect(same(buildOn(lowerNetwork(mnist()), again.gpu, stale), coldPlan)).toBe(true);
    expect(again.timed.length).toBe(1);
    expect(same(stale.serialize(), cache.serialize())).toBe(true);
  });

  it('reuses timings in another network: layer names, positions and weights play no part; changed code does', () => {
    const convs = (name: string, lead: boolean, seed: number) => {
      const net = new DslNetwork({ name });
      const w = (n: number) => new Float32Array(n).map((_, i) => Math.sin(seed + i));
      let x = net.input('x', 'f32', [2, 8, 12, 12]);
      if (lead) x = x.sigmoid(`${name}_lead`);
      const a = x.conv({ name: `${name}_a`, outChannels: 16, kernel: [3, 3], padding: [1, 1], weights: w(16 * 72), bias: w(16) }).relu();
      net.markOutput(a.conv({ name: `${name}_b`, outChannels: 8, kernel: [1, 1], weights: w(128) }), 'y');
      return net;
    };
    const cache = new TimingCache();
    buildOn(lowerNetwork(convs('first', false, 1)), fakeGpu().gpu, cache);
    expect(cache.size).toBe(2);
    const other = fakeGpu();
    const plan = buildOn(lowerNetwork(convs('second', true, 7)), other.gpu, cache);
    expect(other.timed).toEqual([]);
    expect(tactics(plan).filter((t) => t !== undefined).length).toBe(2);
    // The same layers with their kernels' code changed (here: what a template edit would do) are timed afresh.
    const changed = edited(cache, (t) => {
      for (const sig of Object.keys(t[H100]!)) { t[H100]![sig.replace(/code \w+$/, 'code 0000000000000000')] = t[H100]![sig]!; delete t[H100]![sig]; }
    });
    const again = fakeGpu();
    buildOn(lowerNetwork(convs('first', false, 1)), again.gpu, changed);
    expect(again.timed.length).toBe(1);
  });

  it('times layers alike once and gives them one tactic', () => {
    const net = kernelNets().find((k) => k.name === 'invertedResidual')!.net;
    const cache = new TimingCache();
    const gpu = fakeGpu();
    const plan = buildOn(lowerNetwork(net), gpu.gpu, cache);
    const layers = native().inspectPlan(plan).layers;
    const tunable = layers.filter((l) => JSON.parse(l.info || '{}').tactic !== undefined);
    expect(cache.size).toBeLessThan(tunable.length);
    const timedLayers = new Set(gpu.timed[0]!.map((f) => Number(/^kiln_(\d+)_/.exec(f)![1])));
    expect(timedLayers.size).toBe(cache.size);
    // Every layer with a repeated shape takes the tactic of the one that was timed.
    const byKernel = new Map<string, Set<string>>();
    for (const l of tunable) {
      const key = `${l.kernel} ${l.ints.join(',')}`;
      byKernel.set(key, (byKernel.get(key) ?? new Set()).add(JSON.parse(l.info).tactic));
    }
    for (const set of byKernel.values()) expect(set.size).toBe(1);
  });
});

/** A cross-build for `arch` with nvcc through the Builder, as CI makes them. */
function crossBuild(net: Network, cache: TimingCache, arch = 'sm_90', autotune?: boolean) {
  const builder = new Builder(quiet);
  const config = builder.createBuilderConfig();
  config.target = 'cuda';
  config.cudaArch = arch;
  config.cudaCompiler = 'nvcc';
  config.cudaAutotune = autotune;
  config.setTimingCache(cache);
  const plan = builder.buildSerializedNetwork(net, config);
  return { plan, builder, config };
}

/** What a GPU machine would record for `net`: the builder's own lowering of it, tuned on the fake GPU. */
function recordOnGpu(net: Network, cache: TimingCache, arch = 90): string[] {
  const { builder, config } = crossBuild(net, new TimingCache());
  const { plan } = lowerToPlan(builder.lastBuild!.optimized, { kilnVersion: KILN_VERSION, buildDigest: config.digest() });
  return tactics(buildOn(plan, fakeGpu(arch).gpu, cache)).map((t) => t ?? '');
}

describe.skipIf(!nvcc)('cross-builds (sm_90, nvcc) take cached tactics', () => {
  it('uses the recorded tactics; two builds with one cache are byte-identical; other architectures are ignored', () => {
    const cache = new TimingCache();
    const recorded = recordOnGpu(mnist(), cache);
    const rule = crossBuild(mnist(), new TimingCache()).plan;
    expect(tactics(rule).every((t) => t === undefined)).toBe(true);
    const a = crossBuild(mnist(), cache).plan;
    expect(tactics(a).map((t) => t ?? '')).toEqual(recorded);
    expect(same(a, crossBuild(mnist(), TimingCache.deserialize(cache.serialize())).plan)).toBe(true);
    expect(same(a, rule)).toBe(false);
    // The same entries recorded for sm_80: an sm_90 build takes the rule, an sm_80 build takes them.
    const sm80 = edited(cache, (t) => { t['cuda sm_80 | 132 SMs'] = t[H100]!; delete t[H100]; });
    expect(same(crossBuild(mnist(), sm80).plan, rule)).toBe(true);
    expect(tactics(crossBuild(mnist(), sm80, 'sm_80').plan).map((t) => t ?? '')).toEqual(recorded);
    // cudaAutotune = false: the rule, whatever the cache holds.
    expect(same(crossBuild(mnist(), cache, 'sm_90', false).plan, rule)).toBe(true);
  }, 300_000);

  it('follows the cache: a tactic written into it is the one built', () => {
    const cache = new TimingCache();
    recordOnGpu(mnist(), cache);
    const conv1 = Object.entries(JSON.parse(new TextDecoder().decode(cache.serialize())).targets[H100] as Record<string, { tactic: string; candidates: Record<string, number> }>)
      .find(([sig]) => sig.startsWith('fp32 conv(f32[2,1,28,28]'))!;
    const other = Object.keys(conv1[1].candidates).find((t) => t !== conv1[1].tactic)!;
    const forced = edited(cache, (t) => { t[H100]![conv1[0]]!.tactic = other; });
    const plan = crossBuild(mnist(), forced).plan;
    const layers = native().inspectPlan(plan).layers;
    expect(JSON.parse(layers.find((l) => l.name.includes('conv1'))!.info)).toMatchObject({ tactic: other });
  }, 300_000);

  it('keeps CPU and CUDA entries apart through a file round trip and a merge', () => {
    const cpuCache = new TimingCache();
    const cpuBuild = (cache: TimingCache) => {
      const builder = new Builder(quiet);
      builder.buildSerializedNetwork(mnist(), builder.createBuilderConfig().setTimingCache(cache));
      return builder.lastBuild!.autotune!;
    };
    const first = cpuBuild(cpuCache);
    expect(first.timed).toBeGreaterThan(0);
    const cudaCache = new TimingCache();
    const recorded = recordOnGpu(mnist(), cudaCache);
    // CUDA entries alone answer no CPU lookup, and CPU entries alone no CUDA lookup.
    expect(cpuBuild(TimingCache.deserialize(cudaCache.serialize())).timed).toBe(first.timed);
    expect(tactics(crossBuild(mnist(), TimingCache.deserialize(cpuCache.serialize())).plan).every((t) => t === undefined)).toBe(true);
    const file = join(tempDir('kiln-cuda-cache-'), 'merged.cache');
    new TimingCache().combine(cpuCache).combine(cudaCache).save(file);
    const merged = TimingCache.load(file);
    expect(merged.size).toBe(cpuCache.size + cudaCache.size);
    expect(merged.targetKeys.filter((t) => t.startsWith('cuda '))).toEqual([H100]);
    expect(cpuBuild(merged)).toMatchObject({ timed: 0, cached: first.tunable });
    expect(tactics(crossBuild(mnist(), merged).plan).map((t) => t ?? '')).toEqual(recorded);
    expect(merged.size).toBe(cpuCache.size + cudaCache.size);
  }, 300_000);

  it('kiln build --target cuda --cuda-arch sm_90 --timing-cache FILE builds the cached tactics', async () => {
    const dir = tempDir('kiln-cuda-cli-');
    const { network } = await import('../cli/fixtures/mnist.js');
    const cache = new TimingCache();
    const recorded = recordOnGpu(network, cache);
    const file = join(dir, 'timing.cache');
    cache.save(file);
    const out = join(dir, 'mnist.plan');
    const r = await kiln(['build', join(FIXTURES, 'mnist.ts'), '--target', 'cuda', '--cuda-arch', 'sm_90', '--timing-cache', file, '--save-plan', out]);
    expect(r.code, r.stderr).toBe(0);
    const plan = new Uint8Array(readFileSync(out));
    expect(native().inspectPlan(plan).target).toBe('cuda sm_90');
    expect(tactics(plan).map((t) => t ?? '')).toEqual(recorded);
    expect(same(readFileSync(file), cache.serialize())).toBe(true);
  }, 300_000);
});
