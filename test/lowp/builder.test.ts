// Precision in real builds: the BuilderConfig API (flags, per-layer precisions,
// constraints) and its errors; obey builds put every conv / fully connected layer
// in 16 bits and keep softmax in fp32, with casts where precisions meet; the engine
// agrees with the interpreter run on the very graph it was built from (the 16-bit
// rounding simulated), and with fp32 to a cosine above 0.999; prefer keeps 16 bits
// only for layers it timed faster.
import { describe, expect, it } from 'vitest';
import { ArrayCalibrator, Builder, KilnError, Logger, Runtime } from '../../src/index.js';
import { interpret, mulberry32, readFloats, randomTensor, type Tensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { defineMnistNetwork, INPUT, OUTPUT } from '../../samples/mnist/network.js';
import { mnistWeights } from '../../samples/int8/mnist-int8.js';
import type { BuilderConfig } from '../../src/builder/builder-config.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { PREFER_MARGIN } from '../../src/builder/precision-build.js';

const quiet = new Logger('error');
const net = () => defineMnistNetwork(mnistWeights());
const image = randomTensor('f32', [1, 1, 28, 28], mulberry32(3), { min: 0, max: 255 });

function build(setup: (c: BuilderConfig) => void, logger = quiet): { plan: Uint8Array; graph: Graph } {
  const builder = new Builder(logger);
  const config = builder.createBuilderConfig();
  setup(config);
  const plan = builder.buildSerializedNetwork(net(), config);
  return { plan, graph: builder.lastBuild!.optimized };
}

async function run(plan: Uint8Array, x: Tensor = image): Promise<Float32Array> {
  const out = await new Runtime(quiet).deserializeEngine(plan).createExecutionContext().run({ [INPUT]: { data: x.data, shape: x.shape } });
  return out[OUTPUT]!.data as Float32Array;
}

const dtypes = (g: Graph) => Object.fromEntries(g.nodes.map((n) => [n.name, g.types[n.outputs[0]!]!.dtype]));
/** The dtype of the layer that computes `layer` (itself, or the fused layer standing for it). */
const dtypeOf = (g: Graph, layer: string) => {
  const node = g.nodes.find((n) => n.name === layer || n.fused?.includes(layer));
  return node && g.types[node.outputs[0]!]!.dtype;
};

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! ** 2), (bb += b[i]! ** 2);
  return ab / Math.sqrt(aa * bb);
}

describe('BuilderConfig precision API', () => {
  it('flags: fp16, bf16, int8 and best', () => {
    const c = new Builder(quiet).createBuilderConfig();
    expect([c.fp16, c.bf16, c.int8]).toEqual([false, false, false]);
    c.setFlag('bf16');
    expect([c.fp16, c.bf16, c.int8]).toEqual([false, true, false]);
    c.setFlag('best');
    expect([c.fp16, c.bf16, c.int8, c.quantizes()]).toEqual([true, true, true, false]); // no calibrator: int8 skipped
    const d = new Builder(quiet).createBuilderConfig();
    const before = Buffer.from(d.digest()).toString('hex');
    expect(Buffer.from(d.setFlag('fp16').digest()).toString('hex')).not.toBe(before);
  });

  it('refuses unknown flags, constraints and malformed layer precisions, naming the argument', () => {
    const c = new Builder(quiet).createBuilderConfig();
    expect(() => c.setFlag('fp8' as never)).toThrow(KilnError);
    expect(() => c.setFlag('fp8' as never)).toThrow("unknown precision flag 'fp8'; use fp16, bf16, tf32, int8 or best");
    expect(() => c.setPrecisionConstraints('always' as never)).toThrow("precision constraints must be none, prefer or obey, got 'always'");
    expect(() => c.setLayerPrecisions('conv1=bf16')).toThrow(/layer precision 'conv1=bf16' must be/);
    expect(() => c.setLayerPrecisions('conv1:fp64')).toThrow(/conv1:fp64/);
    expect(c.layerPrecisions).toBe('');
  });
});

describe('bf16 / fp16 builds', () => {
  it('obey: conv and fc in bf16, softmax fp32, casts between; engine = interpreter on the built graph', async () => {
    const { plan, graph } = build((c) => c.setFlag('bf16').setPrecisionConstraints('obey'));
    const d = dtypes(graph);
    for (const layer of ['conv1', 'conv2', 'fc1', 'fc2']) expect(dtypeOf(graph, layer), layer).toBe('bf16');
    expect(dtypeOf(graph, 'softmax')).toBe('f32');
    expect(graph.nodes.filter((n) => n.op === 'Cast').length).toBeGreaterThan(0);
    const out = await run(plan);
    const simulated = interpret(graph, { [INPUT]: image })[OUTPUT]!;
    const expected = readFloats(simulated);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(out[i]! - expected[i]!), `class ${i}`).toBeLessThan(0.02);
    const fp32 = await run(build(() => {}).plan);
    expect(cosine(out, fp32)).toBeGreaterThan(0.999);
  });

  it('fp16 obey, and per-layer precisions: conv1:fp32,*:fp16', async () => {
    const { plan, graph } = build((c) => c.setFlag('fp16').setLayerPrecisions('conv1:fp32,*:fp16').setPrecisionConstraints('obey'));
    expect([dtypeOf(graph, 'conv1'), dtypeOf(graph, 'conv2'), dtypeOf(graph, 'fc1'), dtypeOf(graph, 'pool1')]).toEqual(['f32', 'f16', 'f16', 'f32']);
    expect(cosine(await run(plan), await run(build(() => {}).plan))).toBeGreaterThan(0.9999);
  });

  it('obey fails naming a layer the CPU has no 16-bit kernel for', () => {
    expect(() => build((c) => c.setFlag('bf16').setLayerPrecisions('pool1:bf16').setPrecisionConstraints('obey'))).toThrow(
      "layer 'pool1' (Pool): cannot obey precision bf16: Pool does not compute in bf16 on this target",
    );
    expect(() => build((c) => c.setLayerPrecisions('conv1:bf16').setPrecisionConstraints('obey'))).toThrow(/conv1.*bf16 is not among the allowed precisions \(fp32\)/);
  });

  it('best with a calibrator: int8 convs and bf16 fully connected layers in one build (fc*:bf16,*:int8)', async () => {
    const rng = mulberry32(8);
    const batches = Array.from({ length: 4 }, () => ({ [INPUT]: randomTensor('f32', [1, 1, 28, 28], rng, { min: 0, max: 255 }) }));
    const { plan, graph } = build((c) => {
      c.setFlag('best').setLayerPrecisions('fc*:bf16,*:int8').setPrecisionConstraints('obey');
      c.calibrator = new ArrayCalibrator(batches, 'minmax');
    });
    expect(graph.nodes.filter((n) => n.op === 'QConv').length).toBe(2);
    expect([dtypeOf(graph, 'fc1'), dtypeOf(graph, 'fc2'), dtypeOf(graph, 'softmax')]).toEqual(['bf16', 'bf16', 'f32']);
    expect(cosine(await run(plan), await run(build(() => {}).plan))).toBeGreaterThan(0.99);
  });

  it('prefer: each conv / fc is timed both ways and keeps bf16 only where faster', async () => {
    const lines: string[] = [];
    const { plan, graph } = build((c) => c.setFlag('bf16'), new Logger('verbose', (_, m) => { if (m.startsWith('precision ')) lines.push(m); }));
    const d = dtypes(graph);
    const timed = lines.map((l) => /^precision '([^']+)': fp32 ([\d.]+) ms, bf16 ([\d.]+) ms/.exec(l)!).filter(Boolean);
    expect(timed.map((m) => m[1]!).sort()).toEqual(['conv2', 'fc1 + bias + relu1', 'fc2 + bias', 'scale + conv1']);
    for (const [, layer, f32, bf16] of timed) expect(d[layer!], `${layer}: fp32 ${f32} ms, bf16 ${bf16} ms`).toBe(Number(bf16) < Number(f32) * PREFER_MARGIN ? 'bf16' : 'f32');
    expect(cosine(await run(plan), await run(build(() => {}).plan))).toBeGreaterThan(0.999);
  });

  it('prefer with a warm timing cache times nothing again and builds the same bytes', () => {
    const cache = new TimingCache();
    const lines: string[] = [];
    const logger = new Logger('verbose', (_, m) => { if (m.startsWith('precision ')) lines.push(m); });
    const first = build((c) => c.setFlag('bf16').setTimingCache(cache), logger).plan;
    const timed = lines.length;
    const second = build((c) => c.setFlag('bf16').setTimingCache(cache), logger).plan;
    expect(timed).toBe(4);
    expect(lines.slice(timed).every((l) => l.endsWith('(timing cache)'))).toBe(true);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });
});
