// INT8 under the precision constraints: with prefer / none (the default) each layer
// the Quantize pass could rewrite is timed alone in fp32 and in int8 (and the
// QuantizeLinear of its input apart), and the layers run int8 where that is faster in
// all (a minimum cut: min-cut.test.ts); the timings live in the timing cache, so a warm
// rebuild times nothing and gives the same bytes, and the figures in the cache decide
// the build. Under obey the layer precisions are used as
// given. Engines agree with the interpreter run on the graph they were built from.
import { describe, expect, it } from 'vitest';
import { ArrayCalibrator, Builder, Logger, Runtime } from '../../src/index.js';
import { interpret, mulberry32, readFloats, randomTensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { defineMnistNetwork, INPUT, OUTPUT } from '../../samples/mnist/network.js';
import { mnistWeights } from '../../samples/int8/mnist-int8.js';
import type { BuilderConfig } from '../../src/builder/builder-config.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { PREFER_MARGIN } from '../../src/builder/precision-build.js';

const rng = mulberry32(21);
const batches = Array.from({ length: 4 }, () => ({ [INPUT]: randomTensor('f32', [1, 1, 28, 28], rng, { min: 0, max: 255 }) }));
const image = randomTensor('f32', [1, 1, 28, 28], mulberry32(5), { min: 0, max: 255 });
const LAYERS = ['conv2', 'fc1 + bias + relu1', 'fc2 + bias', 'scale + conv1'];

interface Built { plan: Uint8Array; graph: Graph; lines: string[]; timed: number; cacheSize: number }

function build(setup: (c: BuilderConfig) => void): Built {
  const lines: string[] = [];
  const builder = new Builder(new Logger('verbose', (_, m) => { if (m.startsWith('int8')) lines.push(m); }));
  const config = builder.createBuilderConfig().setFlag('int8');
  config.calibrator = new ArrayCalibrator(batches, 'minmax');
  setup(config);
  const plan = builder.buildSerializedNetwork(defineMnistNetwork(mnistWeights()), config);
  return { plan, graph: builder.lastBuild!.optimized, lines, timed: builder.lastBuild!.autotune!.timed, cacheSize: config.timingCache!.size };
}

async function run(plan: Uint8Array): Promise<Float32Array> {
  const out = await new Runtime(new Logger('error')).deserializeEngine(plan).createExecutionContext().run({ [INPUT]: { data: image.data, shape: image.shape } });
  return out[OUTPUT]!.data as Float32Array;
}

/** The int8 layer (QConv / QGemm) the Quantize pass made of `layer`, if any. */
const int8Layer = (g: Graph, layer: string) => g.nodes.find((n) => (n.op === 'QConv' || n.op === 'QGemm') && n.name === `${layer}.int8`);

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! ** 2), (bb += b[i]! ** 2);
  return ab / Math.sqrt(aa * bb);
}

/** The per-layer verdict lines: name, fp32 ms, int8 ms, quantize ms, decision. */
const verdicts = (lines: string[]) => lines.map((l) => /^int8 '([^']+)': fp32 ([\d.]+) ms, int8 ([\d.]+) ms, quantize ([\d.]+) ms.*: (int8|fp32 kept)$/.exec(l)).filter((m) => m !== null);

/** The int8 layers' timing entries of a timing cache (not the pass-through layers'), by signature. */
function int8Entries(cache: TimingCache): [string, string, { tactic: string; ms: number; candidates: Record<string, number> }][] {
  const doc = JSON.parse(new TextDecoder().decode(cache.serialize())) as { targets: Record<string, Record<string, { tactic: string; ms: number; candidates: Record<string, number> }>> };
  return Object.entries(doc.targets).flatMap(([target, sigs]) => Object.entries(sigs).filter(([sig]) => sig.startsWith('precision int8 parts')).map(([sig, e]) => [target, sig, e] as [string, string, typeof e]));
}

/** The engine against the interpreter on the very graph it was built from (int8 arithmetic simulated there). */
async function matchesInterpreter(b: Built): Promise<void> {
  const out = await run(b.plan);
  const expected = readFloats(interpret(b.graph, { [INPUT]: image })[OUTPUT]!);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(out[i]! - expected[i]!), `class ${i}`).toBeLessThan(0.02);
}

describe('int8 under precision constraints', () => {
  const cache = new TimingCache();
  let first: Built;

  it('prefer (the default): each quantizable layer timed both ways, the cheaper labelling kept, the figures in the cache', async () => {
    first = build((c) => c.setTimingCache(cache));
    const timed = verdicts(first.lines);
    expect(timed.map((m) => m[1]).sort()).toEqual(LAYERS);
    let kept = 0;
    for (const [, layer, f32, int8, quantize, decision] of timed) {
      kept += decision === 'int8' ? 1 : 0;
      // Each figure is a real timing; which layers win together is min-cut.test.ts's subject.
      for (const ms of [f32, int8, quantize]) expect(Number(ms), layer).toBeGreaterThan(0);
      expect(int8Layer(first.graph, layer!) !== undefined, layer).toBe(decision === 'int8');
    }
    const summary = first.lines.find((l) => l.startsWith(`int8: ${kept} of 4 layers kept (faster)`));
    expect(summary).toBeDefined();
    const [chosen, allFp32] = /timed layers ([\d.]+) ms, all fp32 ([\d.]+) ms/.exec(summary!)!.slice(1).map(Number);
    expect(chosen!).toBeLessThanOrEqual(allFp32!);
    // One entry per layer with all three figures; its tactic says whether int8 wins alone.
    const entries = int8Entries(cache);
    expect(entries.length).toBe(4);
    for (const [, , e] of entries) {
      expect(Object.keys(e.candidates).sort()).toEqual(['fp32', 'int8', 'quantize']);
      expect(e.tactic).toBe(e.candidates.int8! + e.candidates.quantize! < e.candidates.fp32! * PREFER_MARGIN ? 'int8' : 'fp32');
    }
    await matchesInterpreter(first);
  });

  it('a warm rebuild with the timing cache times nothing and gives identical bytes', () => {
    const size = cache.size;
    const second = build((c) => c.setTimingCache(cache));
    // No int8 verdict, no tactic of the final plan and no single-layer plan needed timing.
    expect([second.timed, second.cacheSize]).toEqual([0, size]);
    const timed = verdicts(second.lines);
    expect(timed.length).toBe(4);
    for (const l of second.lines.filter((x) => x.startsWith("int8 '"))) expect(l).toMatch(/\(timing cache\): (int8|fp32 kept)$/);
    expect(Buffer.from(second.plan).equals(Buffer.from(first.plan))).toBe(true);
  });

  it("the cache's verdict decides the build; obey uses the layer precisions whatever it says", async () => {
    /** The measured cache with every int8 entry's figures rewritten so that `tactic` wins, writing f32 or i8. */
    const seeded = (tactic: 'int8' | 'fp32') => {
      const c = new TimingCache().combine(cache);
      const entry = { tactic, ms: 1, candidates: tactic === 'int8' ? { fp32: 10, int8: 1, quantize: 0.1 } : { fp32: 1, int8: 10, quantize: 0.1 } };
      for (const [target, sig] of int8Entries(cache)) {
        for (const out of ['', ' i8']) c.set(target, sig.replace(/^precision int8 parts( i8)? /, `precision int8 parts${out} `), entry);
      }
      return c;
    };
    const faster = build((c) => c.setTimingCache(seeded('int8')));
    expect(faster.lines.some((l) => l.startsWith('int8: 4 of 4 layers kept (faster)'))).toBe(true);
    for (const layer of LAYERS) expect(int8Layer(faster.graph, layer), layer).toBeDefined();
    await matchesInterpreter(faster);
    const slower = build((c) => c.setTimingCache(seeded('fp32')));
    expect(slower.lines.some((l) => l.startsWith('int8: 0 of 4 layers kept (faster)'))).toBe(true);
    expect(slower.graph.nodes.filter((n) => n.op.startsWith('Q'))).toEqual([]);
    // Obey: conv2 is int8 because the precisions say so, though the cache calls it slower; nothing is timed.
    const obey = build((c) => c.setTimingCache(seeded('fp32')).setLayerPrecisions('conv2:int8,*:fp32').setPrecisionConstraints('obey'));
    expect(verdicts(obey.lines)).toEqual([]);
    expect(int8Layer(obey.graph, 'conv2')).toBeDefined();
    expect(obey.graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').length).toBe(1);
    await matchesInterpreter(obey);
    expect(cosine(await run(obey.plan), await run(slower.plan))).toBeGreaterThan(0.99);
  });
});
