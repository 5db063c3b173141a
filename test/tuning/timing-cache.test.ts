// Autotuning through the builder and the timing cache: what is timed, what is reused,
// and that a warm cache makes builds time nothing and give byte-identical plans; the
// cache's serialization, merge and file round trip; --timing-cache on the CLI; and the
// per-layer profile of an execution context.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Builder, KilnError, Logger, Runtime } from '../../src/index.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { Network } from '../../dsl/index.js';
import { MLP, kiln, tempDir } from '../cli/helpers.js';
import { shapeRng } from './harness.js';

const quiet = new Logger('error');

/** A small CNN with a depthwise conv, pools and a batch-1 fully connected head: every tactic family. */
function cnn(seed = 1, width = 12): Network {
  const R = shapeRng(seed);
  const net = new Network();
  const x = net.input('x', 'f32', [1, 3, width, width]);
  const c1 = x.conv({ name: 'c1', outChannels: 8, kernel: [3, 3], padding: [1, 1], weights: R.floats(8 * 27), bias: R.floats(8) }).relu();
  const dw = c1.conv({ name: 'dw', outChannels: 8, kernel: [3, 3], padding: [1, 1], groups: 8, weights: R.floats(72) }).clip(0, 6);
  const p = dw.maxPool({ name: 'pool', kernel: [2, 2] });
  const fc = p.fullyConnected({ name: 'fc', outputs: 10, weights: R.floats(10 * 8 * (width / 2) ** 2), bias: R.floats(10) });
  net.markOutput(fc.softmax(1), 'y');
  return net;
}

function build(net: Network, cache: TimingCache | undefined, optLevel = 3, logger = quiet) {
  const builder = new Builder(logger);
  const config = builder.createBuilderConfig().setOptLevel(optLevel);
  if (cache) config.setTimingCache(cache);
  const plan = builder.buildSerializedNetwork(net, config);
  return { plan, report: builder.lastBuild!.autotune! };
}

describe('autotuning with a timing cache', () => {
  it('times each tunable layer once; a warm cache times nothing and gives byte-identical plans', () => {
    const cache = new TimingCache();
    const cold = build(cnn(), cache);
    expect(cold.report.tunable).toBeGreaterThanOrEqual(3);
    expect(cold.report.timed).toBe(cold.report.tunable);
    expect(cache.size).toBe(cold.report.tunable);
    const warm = build(cnn(), cache);
    expect(warm.report).toMatchObject({ timed: 0, cached: cold.report.tunable });
    expect(Buffer.from(warm.plan).equals(Buffer.from(cold.plan))).toBe(true);
    // The same again from a cache read back from its bytes.
    const reread = build(cnn(), TimingCache.deserialize(cache.serialize()));
    expect(reread.report.timed).toBe(0);
    expect(Buffer.from(reread.plan).equals(Buffer.from(cold.plan))).toBe(true);
  });

  it('reuses timings across networks whose layers share a signature, whatever the weights', () => {
    const cache = new TimingCache();
    build(cnn(1), cache);
    const other = build(cnn(99), cache);
    expect(other.report.timed).toBe(0);
    const wider = build(cnn(1, 16), cache);
    expect(wider.report.timed).toBeGreaterThan(0);
  });

  it('follows the cache: the recorded tactic is the one built', () => {
    const cache = new TimingCache();
    build(cnn(), cache);
    const text = new TextDecoder().decode(cache.serialize()).replace(/"tactic": "depthwise(-8c)?"/g, '"tactic": "im2col-gemm"');
    const forced = TimingCache.deserialize(text);
    const { plan } = build(cnn(), forced);
    const engine = new Runtime(quiet).deserializeEngine(plan);
    const dw = engine.layers.find((l) => l.fused.includes('dw'))!;
    expect(dw).toMatchObject({ kernel: 'conv', tactic: 'im2col-gemm' });
  });

  it('records the tactic in the layer info; level 0 takes the first valid tactic and times nothing', () => {
    const cache = new TimingCache();
    const { plan, report } = build(cnn(), cache, 0);
    expect(report.timed).toBe(0);
    expect(cache.size).toBe(0);
    const layers = new Runtime(quiet).deserializeEngine(plan).layers;
    expect(layers.find((l) => l.fused.includes('dw'))).toMatchObject({ kernel: 'convDepthwise8c', tactic: 'depthwise-8c' });
    expect(layers.find((l) => l.fused.includes('pool'))).toMatchObject({ kernel: 'pool2d', tactic: 'pool-2d' });
    expect(layers.find((l) => l.fused.includes('fc'))).toMatchObject({ kernel: 'gemv', tactic: 'gemv' });
  });

  it('reports progress as build phases, layer k of n', () => {
    const lines: string[] = [];
    build(cnn(), new TimingCache(), 3, new Logger('info', (_s, m) => lines.push(m)));
    const phases = lines.filter((m) => m.startsWith('build phase: autotuning layer'));
    expect(phases[0]).toMatch(/^build phase: autotuning layer 1 of \d+ '/);
    expect(phases.length).toBeGreaterThanOrEqual(3);
  });
});

describe('TimingCache', () => {
  const entry = (tactic: string, ms: number) => ({ tactic, ms, candidates: { [tactic]: ms, other: ms * 2 } });

  it('serializes deterministically (sorted keys) and reads back', () => {
    const a = new TimingCache();
    a.set('t2', 'sig-b', entry('x', 1));
    a.set('t1', 'sig-a', entry('y', 2));
    const b = new TimingCache();
    b.set('t1', 'sig-a', entry('y', 2));
    b.set('t2', 'sig-b', entry('x', 1));
    expect(Buffer.from(a.serialize()).equals(Buffer.from(b.serialize()))).toBe(true);
    const back = TimingCache.deserialize(a.serialize());
    expect(back.get('t1', 'sig-a')).toEqual(entry('y', 2));
    expect(back.targetKeys).toEqual(['t1', 't2']);
  });

  it('merges: new entries are added, existing ones stay', () => {
    const a = new TimingCache();
    a.set('t', 's1', entry('mine', 1));
    const b = new TimingCache();
    b.set('t', 's1', entry('theirs', 0.5));
    b.set('t', 's2', entry('new', 3));
    b.set('u', 's1', entry('other-target', 4));
    a.combine(b);
    expect(a.size).toBe(3);
    expect(a.get('t', 's1')!.tactic).toBe('mine');
    expect(a.get('t', 's2')!.tactic).toBe('new');
    expect(a.get('u', 's1')!.tactic).toBe('other-target');
  });

  it('saves and loads files; a missing file is an empty cache; garbage is refused', () => {
    const dir = tempDir('kiln-cache-');
    const file = join(dir, 'cache.json');
    expect(TimingCache.load(file).size).toBe(0);
    const c = new TimingCache();
    c.set('t', 's', entry('x', 1));
    c.save(file);
    expect(TimingCache.load(file).get('t', 's')).toEqual(entry('x', 1));
    writeFileSync(file, 'not json');
    expect(() => TimingCache.load(file)).toThrow(KilnError);
    expect(() => TimingCache.load(file)).toThrow(/timing cache '.*cache\.json': not a kiln timing cache: invalid JSON/);
    expect(() => TimingCache.deserialize('{"format":"kiln-timing-cache","version":9,"targets":{}}')).toThrow(/version 9 is not supported/);
  });

  it('config.createTimingCache reads bytes; setTimingCache refuses other objects', () => {
    const config = new Builder(quiet).createBuilderConfig();
    const c = new TimingCache();
    c.set('t', 's', entry('x', 1));
    expect(config.createTimingCache(c.serialize()).get('t', 's')!.tactic).toBe('x');
    expect(config.createTimingCache().size).toBe(0);
    expect(() => config.setTimingCache({} as TimingCache)).toThrow(/setTimingCache expects a TimingCache/);
  });
});

describe('kiln build --timing-cache', () => {
  it('writes the file on the first build and reads it on the next', async () => {
    const file = join(tempDir('kiln-cli-cache-'), 'mlp.cache');
    const first = await kiln(['build', MLP, '--shapes', 'x:1x48', '--timing-cache', file]);
    expect(first.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const saved = TimingCache.deserialize(readFileSync(file));
    expect(saved.size).toBeGreaterThan(0);
    const second = await kiln(['build', MLP, '--shapes', 'x:1x48', '--timing-cache', file]);
    expect(second.code).toBe(0);
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(saved.serialize()))).toBe(true);
  });
});

describe('context.profile', () => {
  it('times every layer and names its tactic; runs again on the same inputs', async () => {
    const engine = new Runtime(quiet).deserializeEngine(build(cnn(), new TimingCache()).plan);
    const ctx = engine.createExecutionContext({ threads: 2 });
    const x = new Float32Array(3 * 144).map((_, i) => Math.sin(i));
    const before = await ctx.run({ x });
    const p = await ctx.profile({ x }, { iterations: 5 });
    expect(p.iterations).toBe(5);
    expect(p.layers.map((l) => l.name)).toEqual(engine.layers.map((l) => l.name));
    for (const l of p.layers) expect(l.medianMs).toBeGreaterThanOrEqual(0);
    expect(p.layers.some((l) => l.tactic !== undefined)).toBe(true);
    expect(p.layers.reduce((s, l) => s + l.percent, 0)).toBeCloseTo(100, 5);
    const after = await ctx.run({ x });
    expect(after.y!.data).toEqual(before.y!.data);
    await expect(ctx.profile({ x }, { iterations: 0 })).rejects.toThrow(/options\.iterations/);
    await expect(ctx.profile({ nope: x })).rejects.toThrow(/unknown input 'nope'/);
  });
});
