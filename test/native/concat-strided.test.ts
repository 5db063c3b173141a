// Concat elimination at batch > 1: a channel concat's inputs become strided views
// of their slice of the output (plan tensors with an image stride), written there
// straight by the conv kernels that honour it (KernelDef::stridedOutput), checked
// against the interpreter with every conv tactic forced; any other kernel handed a
// strided tensor is refused at load, naming the layer, the tensor and the kernel.
import { describe, expect, it } from 'vitest';
import { cpuTactics, STRIDED_OUTPUT_KERNELS } from '../../codegen/cpu/tactics.js';
import type { PlanDesc } from '../../codegen/plan-desc.js';
import { Network } from '../../dsl/index.js';
import { Builder, Logger } from '../../src/index.js';
import { layerSignature } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { checkTactics, lowerNetwork, shapeRng } from '../tuning/harness.js';
import { PlanBuilder, kiln } from './plan-fixtures.js';

/** Two SqueezeNet fire modules (squeeze 1x1, expands 1x1 and 3x3, each + relu, concat on channels) on odd planes, then a 1x1 conv. */
function fires(batch: number | 'batch', seed: number): Network {
  const R = shapeRng(seed);
  const net = new Network();
  let x = net.input('x', 'f32', [batch, 5, 7, 9]);
  for (const [i, [sq, e1, e3]] of ([[3, 8, 6], [4, 7, 10]] as const).entries()) {
    const c = x.type.shape[1] as number;
    const s = x.conv({ name: `f${i}.squeeze`, outChannels: sq, kernel: [1, 1], weights: R.floats(sq * c), bias: R.floats(sq) }).relu();
    const a = s.conv({ name: `f${i}.expand1`, outChannels: e1, kernel: [1, 1], weights: R.floats(e1 * sq), bias: R.floats(e1) }).relu();
    const b = s.conv({ name: `f${i}.expand3`, outChannels: e3, kernel: [3, 3], padding: [1, 1], weights: R.floats(e3 * sq * 9), bias: R.floats(e3) }).relu();
    x = net.concat([a, b], { axis: 1, name: `f${i}.cat` });
  }
  // A conv reads the last concat (pools have tactics of their own to check elsewhere).
  net.markOutput(x.conv({ name: 'head', outChannels: 4, kernel: [1, 1], weights: R.floats(68) }), 'y');
  return net;
}

/** Views written by strided convs (im2col's phase-split path) and by convs with a fused residual (read dense). */
function residualAndStrided(batch: number, seed: number): Network {
  const R = shapeRng(seed);
  const net = new Network();
  const x = net.input('x', 'f32', [batch, 6, 10, 13]);
  const a = x.conv({ name: 'down', outChannels: 5, kernel: [3, 3], strides: [2, 2], padding: [1, 1], weights: R.floats(270), bias: R.floats(5) }).relu();
  const r = x.conv({ name: 'shortcut', outChannels: 4, kernel: [1, 1], strides: [2, 2], weights: R.floats(24) });
  const b = a.conv({ name: 'body', outChannels: 4, kernel: [3, 3], padding: [1, 1], weights: R.floats(180), bias: R.floats(4) }).add(r).relu();
  const e = x.conv({ name: 'side', outChannels: 3, kernel: [1, 1], strides: [2, 2], weights: R.floats(18), bias: R.floats(3) });
  net.markOutput(net.concat([b, e], { axis: 1, name: 'cat' }).conv({ name: 'head', outChannels: 2, kernel: [1, 1], weights: R.floats(14) }), 'y');
  return net;
}

const viewsOf = (plan: PlanDesc) => plan.tensors.filter((t) => t.imageStride).map((t) => [t.name, t.imageStride]);

describe('concat elimination at batch > 1 (strided views)', () => {
  it('plans the expands of each fire module as views of their concat at batch > 1 only', () => {
    expect(viewsOf(lowerNetwork(fires(1, 1), 3, true))).toEqual([]);
    const plan = lowerNetwork(fires(3, 1), 3, true);
    const views = viewsOf(plan);
    // Each expand's images sit one concatenated image (channels x 7 x 9) apart.
    expect(views.map(([, s]) => s)).toEqual([14 * 63, 14 * 63, 17 * 63, 17 * 63]);
    // A view's slice starts where the channels before it end, aligned or not (8 x 63 floats here).
    const offsetOf = (layer: string) => plan.tensors[plan.layers.find((l) => l.name.startsWith(layer))!.outputs[0]!]!.offset;
    expect([offsetOf('f0.expand1') - offsetOf('f0.cat'), offsetOf('f0.expand3') - offsetOf('f0.cat')]).toEqual([0, 8 * 63 * 4]);
    expect(plan.layers.filter((l) => l.outputs.some((o) => plan.tensors[o]!.imageStride)).map((l) => l.name)).toEqual([
      'f0.expand1', 'f0.expand3', 'f1.expand1', 'f1.expand3',
    ].map((n) => expect.stringContaining(n)));
    // Without the option (CUDA, dynamic shapes) the concat stays a copy.
    expect(viewsOf(lowerNetwork(fires(3, 1)))).toEqual([]);
  });

  for (const batch of [1, 2, 3]) {
    it(`matches the interpreter with every conv tactic forced on the views, batch ${batch}`, async () => {
      const net = fires(batch, 10 + batch);
      const seen = await checkTactics(net, `fires batch ${batch}`, batch, 1e-4, lowerNetwork(net, 3, true));
      // The expands offer only kernels that write strided outputs, and every one of those runs.
      for (const t of ['gemm-1x1', 'gemm-1x1-4x24', 'direct-6x16', 'im2col-gemm', 'im2col-gemm-4x24', 'winograd-2x2', 'winograd-2x2-4x24', 'winograd-2x2-fused']) {
        expect(seen).toContain(t);
      }
    });
  }

  for (const batch of [2, 3]) {
    it(`matches the interpreter on views written by strided convs and by convs with a fused residual, batch ${batch}`, async () => {
      const net = residualAndStrided(batch, 20 + batch);
      const plan = lowerNetwork(net, 3, true);
      const writers = plan.layers.filter((l) => l.outputs.some((o) => plan.tensors[o]!.imageStride));
      expect(writers.map((l) => l.name)).toEqual([expect.stringMatching(/^body .*add/), expect.stringMatching(/^side/)]);
      expect(writers[0]!.inputs.length).toBe(4);  // x, w, b and the residual
      const seen = await checkTactics(net, `residual and strided, batch ${batch}`, batch, 1e-4, plan);
      for (const t of ['im2col-gemm', 'direct-6x16', 'winograd-2x2', 'winograd-2x2-fused']) expect(seen).toContain(t);
    });
  }

  it('keeps the copy in a dynamic-shape build (a view stride would follow the symbols)', () => {
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig();
    config.optLevel = 0;
    config.addOptimizationProfile(builder.createOptimizationProfile().setDimensions('x', [1, 5, 7, 9], [2, 5, 7, 9], [3, 5, 7, 9]));
    builder.buildSerializedNetwork(fires('batch', 6), config);
    expect([...builder.lastBuild!.memory.sliceOf.values()].filter((v) => v.imageStride)).toEqual([]);
  });

  it('leaves a depthwise conv dense: its best-guess tactic (depthwise-8c) cannot write a view', async () => {
    const R = shapeRng(7);
    const net = new Network();
    const x = net.input('x', 'f32', [2, 8, 6, 6]);
    const dw = x.conv({ name: 'dw', outChannels: 8, kernel: [3, 3], padding: [1, 1], groups: 8, weights: R.floats(72), bias: R.floats(8) }).relu();
    const pw = x.conv({ name: 'pw', outChannels: 8, kernel: [1, 1], weights: R.floats(64), bias: R.floats(8) }).relu();
    net.markOutput(net.concat([dw, pw], { axis: 1, name: 'cat' }).relu(), 'y');
    const plan = lowerNetwork(net, 3, true);
    const writer = (name: string) => plan.layers.find((l) => l.name.startsWith(name))!;
    expect(plan.tensors[writer('dw').outputs[0]!]!.imageStride).toBeUndefined();
    expect(plan.tensors[writer('pw').outputs[0]!]!.imageStride).toBe(16 * 36);
    expect(cpuTactics(writer('dw'), plan.tensors)[0]!.name).toBe('depthwise-8c');
    await checkTactics(net, 'depthwise next to a view', 3, 1e-4, plan);
  });

  it('offers a layer writing a view only the tactics whose kernels can write one', () => {
    const plan = lowerNetwork(fires(2, 3), 3, true);
    for (const layer of plan.layers) {
      const strided = layer.outputs.some((o) => plan.tensors[o]!.imageStride);
      const kernels = cpuTactics(layer, plan.tensors).map((t) => t.kernel);
      if (strided) expect(kernels.every((k) => STRIDED_OUTPUT_KERNELS.has(k)), layer.name).toBe(true);
    }
  });


  it('keys a view layer apart in the timing cache: a warm build times nothing and gives the same bytes', () => {
    const plan = lowerNetwork(fires(2, 4), 3, true);
    const e1 = plan.layers.find((l) => l.name.startsWith('f0.expand1'))!;
    expect(layerSignature(e1, plan.tensors)).toMatch(/->\(f32\[2,8,7,9\]v\)/);
    expect(layerSignature(e1, plan.tensors.map((t) => ({ ...t, imageStride: undefined })))).toMatch(/->\(f32\[2,8,7,9\]\)/);
    const cache = new TimingCache();
    const build = () => {
      const builder = new Builder(new Logger('error'));
      const config = builder.createBuilderConfig().setTimingCache(cache);
      config.tuningThreads = 1;
      const bytes = builder.buildSerializedNetwork(fires(2, 4), config);
      return { bytes, timed: builder.lastBuild!.autotune!.timed, views: [...builder.lastBuild!.memory.sliceOf.values()].filter((v) => v.imageStride).length };
    };
    const cold = build(), warm = build();
    expect(cold.views).toBe(4);
    expect(cold.timed).toBeGreaterThan(0);
    expect(warm.timed).toBe(0);
    expect(Buffer.from(warm.bytes).equals(Buffer.from(cold.bytes))).toBe(true);
  });
});

describe('strided tensors at load', () => {
  const k = kiln();
  const load = (desc: PlanDesc) => () => new k.Engine(k.serializePlan(desc));

  /** x[2,3,4,4] -> one layer writing `a`, a view of channels 0..2 of cat[2,5,4,4]; a conv (no activation) into b, channels 3..4. */
  function planWith(kernel: string, ints: number[], extra: (p: PlanBuilder, x: number) => number[] = () => []) {
    const p = new PlanBuilder();
    const x = p.input('x', [2, 3, 4, 4]);
    const cat = p.tensorAt('cat', [2, 5, 4, 4], 1024);
    const a = p.tensorAt('a', [2, 3, 4, 4], 1024);
    const b = p.tensorAt('b', [2, 2, 4, 4], 1024 + 3 * 16 * 4);
    p.tensors[a]!.imageStride = 80;
    p.tensors[b]!.imageStride = 80;
    p.layer(kernel, [x, ...extra(p, x)], [a], ints, [0, 0], 'producer');
    p.layer('conv', [x, p.weight('w2', [2, 3, 1, 1], new Float32Array(6).fill(0.5))], [b], [2, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [0, 0], 'second');
    p.layer('concat', [a, b], [cat], [1], [], 'cat');
    p.output(cat);
    return p;
  }
  const convWeights = (p: PlanBuilder) => [p.weight('w', [3, 3, 1, 1], Float32Array.from({ length: 9 }, (_, i) => (i % 4) - 1.5))];

  it('runs a conv writing a view, and concat skips it', async () => {
    const p = planWith('conv', [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights);
    const engine = new k.Engine(k.serializePlan(p.desc()));
    const x = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i));
    const [out] = await new k.Context(engine, 2).run([{ name: 'x', data: x, shape: [2, 3, 4, 4] }]);
    const y = out.data as Float32Array;
    const w = [[-1.5, -0.5, 0.5], [1.5, -1.5, -0.5], [0.5, 1.5, -1.5]];
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 5; c++)
        for (let i = 0; i < 16; i++) {
          const xs = [0, 1, 2].map((ci) => x[(n * 3 + ci) * 16 + i]!);
          const e = c < 3 ? Math.max(0, w[c]!.reduce((s, wv, ci) => s + wv * xs[ci]!, 0)) : 0.5 * (xs[0]! + xs[1]! + xs[2]!);
          expect(y[(n * 5 + c) * 16 + i]).toBeCloseTo(e, 5);
        }
  });

  it('refuses a strided output from a kernel that cannot write one, naming layer, tensor and kernel', () => {
    expect(load(planWith('unary', [1]).desc())).toThrow(
      "layer 'producer': output 'a' f32[2,3,4,4] is a strided view (image stride 80 elements), but kernel unary cannot write strided outputs");
    // The set mirrors the native flag: its kernels pass the check (a 3x3-only kernel then refuses this 1x1 conv itself),
    for (const kernel of STRIDED_OUTPUT_KERNELS) {
      try {
        load(planWith(kernel, [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights).desc())();
      } catch (e) {
        expect((e as Error).message, kernel).not.toMatch(/strided/);
      }
    }
    // and conv kernels outside it are refused the same way.
    for (const kernel of ['convDepthwise', 'convDepthwise8c', 'lowpConv', 'convNhwc', 'deconv', 'pool', 'gemm']) {
      expect(STRIDED_OUTPUT_KERNELS.has(kernel)).toBe(false);
      expect(load(planWith(kernel, [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights).desc())).toThrow(`but kernel ${kernel} cannot write strided outputs`);
    }
  });

  it('refuses a strided input to any kernel but concat, and a view off its slice', () => {
    const p = planWith('conv', [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights);
    p.layer('unary', [p.tensors.findIndex((t) => t.name === 'a')], [p.tensor('r', [2, 3, 4, 4])], [1], [0, 0], 'reader');
    p.layers.splice(2, 0, p.layers.pop()!);  // before the concat overwrites the views
    expect(load(p.desc())).toThrow("layer 'reader': input 'a' f32[2,3,4,4] is a strided view (image stride 80 elements), but kernel unary cannot read strided inputs");
    const off = planWith('conv', [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights);
    off.layers.at(-1)!.inputs.reverse();  // concat [b, a]: each view sits at the other's slice
    expect(load(off.desc())).toThrow(/kernel concat: input 'b' f32\[2,2,4,4\] lies inside output 'cat' f32\[2,5,4,4\] but not at its slice/);
  });

  it('validates views: dense images, arena bounds, not an input or output, not dynamic, not in a CUDA plan', () => {
    const bad = (edit: (p: PlanBuilder) => void) => {
      const p = planWith('conv', [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights);
      edit(p);
      return load(p.desc());
    };
    expect(bad((p) => { p.tensors[2]!.imageStride = 40; })).toThrow(
      "tensor 'a' f32[2,3,4,4] has image stride 40 elements; a strided view needs more than its 48 elements per image and at most 2^48");
    expect(bad((p) => { p.tensors[2]!.imageStride = 4000; })).toThrow(/^tensor 'a' f32\[2,3,4,4\] viewed with image stride 4000 spans 16192 bytes from arena offset 1024, past the end of the arena/);
    expect(bad((p) => { p.tensors[2]!.imageStride = 2 ** 46; })).toThrow(
      `tensor 'a' f32[2,3,4,4] viewed with image stride ${2 ** 46} spans more bytes than the arena, past the end of the arena (1664 bytes)`);
    expect(bad((p) => { p.tensors[0]!.imageStride = 80; })).toThrow("input 'x' is a strided view (image stride 80 elements); graph inputs and outputs must be dense");
    // A view's image stride is a fixed element count: a dynamic tensor cannot be one (such builds keep the copy).
    const dyn = planWith('conv', [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights);
    const dynamic = { symbols: [{ name: 'n', input: 0, dim: 0 }], profiles: [{ min: [[1, 3, 4, 4]], opt: [[2, 3, 4, 4]], max: [[2, 3, 4, 4]] }],
      tensors: [0, 1, 2, 3].map((tensor) => ({ tensor, dims: [[1, 0], [0, [3, 5, 3, 2][tensor]!], [0, 4], [0, 4]] })) };
    expect(load(dyn.desc({ dynamic }))).toThrow("tensor 'a' is a strided view (image stride 80 elements) and cannot have a dynamic shape");
    // The CUDA backend has no strided kernels: a GPU plan holding a view is refused before its section is read.
    const gpu = planWith('conv', [2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1], convWeights).desc({ cuda: { arch: 90, compiler: 'nvrtc', cubin: new Uint8Array(64), launches: [] } });
    expect(load(gpu)).toThrow(
      "tensor 'a' f32[2,3,4,4] is a strided view (image stride 80 elements); CUDA plans do not support strided views (concat elimination at batch > 1 is CPU-only)");
  });
});
