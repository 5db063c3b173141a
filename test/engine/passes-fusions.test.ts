// Builder fusions end to end: networks built at opt level 3 run on the native engine and
// match the reference interpreter run on the unoptimized network — residual blocks
// (FuseResidualAdds, at batch 1 and 2 so conv columns span images), GELU's tanh form
// (RecognizeActivations -> GeluTanh, unfused and fused into a MatMul epilogue), and
// concat elimination (a SqueezeNet fire module's expands written into their slices), and
// layer normalization recognised from primitive ops.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { buildPipeline, runPipeline } from '../../passes/index.js';
import { lowerToPlan } from '../../codegen/index.js';
import { checkAgainstInterpreter, randomInputs } from './helpers.js';

const w = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 31 + i * 0.7) / 3);

/** Two ResNet basic blocks (3x3 convs, identity skip) and a downsampling block with a 1x1 projection. */
function resnetBlocks(batch: number): Network {
  const net = new Network();
  let x = net.input('x', 'f32', [batch, 8, 9, 9]);
  for (let b = 0; b < 2; b++) {
    const h = x.conv({ name: `b${b}.conv1`, outChannels: 8, kernel: [3, 3], padding: [1, 1], weights: w(8 * 8 * 9, b), bias: w(8, b + 10) }).relu(`b${b}.relu1`);
    const y = h.conv({ name: `b${b}.conv2`, outChannels: 8, kernel: [3, 3], padding: [1, 1], weights: w(8 * 8 * 9, b + 20), bias: w(8, b + 30) });
    x = y.add(x, `b${b}.add`).relu(`b${b}.relu2`);
  }
  const main = x.conv({ name: 'down.conv', outChannels: 12, kernel: [3, 3], padding: [1, 1], strides: [2, 2], weights: w(12 * 8 * 9, 40) });
  const proj = x.conv({ name: 'down.proj', outChannels: 12, kernel: [1, 1], strides: [2, 2], weights: w(12 * 8, 41) });
  net.markOutput(main.add(proj, 'down.add').relu('down.relu'), 'y');
  return net;
}

describe('residual blocks on the engine', () => {
  for (const batch of [1, 2]) {
    it(`batch ${batch}: every block's add and relu join a conv, and the engine matches the interpreter`, async () => {
      const net = resnetBlocks(batch);
      const optimized = runPipeline(net.graph, buildPipeline({ optLevel: 3 })).graph;
      expect(optimized.nodes.filter((n) => n.op === 'Conv' && n.inputs[3]).map((n) => n.name)).toEqual([
        'b0.conv2 + b0.add + b0.relu2', 'b1.conv2 + b1.add + b1.relu2', 'down.proj + down.add + down.relu',
      ]);
      expect(optimized.nodes.some((n) => n.op === 'Add' || n.op === 'Relu')).toBe(false);
      await checkAgainstInterpreter(net, randomInputs(net, mulberry32(batch)), `resnet blocks, batch ${batch}`);
    });
  }

  it('a fully connected layer with a skip: fc + bias + add + relu is one gemm', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [3, 16]);
    net.markOutput(x.fullyConnected({ name: 'fc', outputs: 16, weights: w(256, 5), bias: w(16, 6) }).add(x, 'add').relu('relu'), 'y');
    expect(runPipeline(net.graph, buildPipeline({ optLevel: 3 })).graph.nodes.map((n) => n.name)).toEqual(['fc + bias + add + relu']);
    await checkAgainstInterpreter(net, randomInputs(net, mulberry32(9)), 'fc residual');
  });
});

describe('GELU, tanh form, on the engine', () => {
  const spelled = (x: ReturnType<Network['input']>) => {
    const t = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)).tanh().add(1);
    return x.mul(0.5).mul(t);
  };

  it('as its own layer and fused into a MatMul epilogue', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [4, 24]);
    const h = x.fullyConnected({ name: 'fc', outputs: 24, weights: w(24 * 24, 7), bias: w(24, 8) });
    net.markOutput(spelled(h), 'fused');
    net.markOutput(spelled(x), 'alone');
    const ops = runPipeline(net.graph, buildPipeline({ optLevel: 3 })).graph.nodes.map((n) => [n.op, n.attrs.activation]);
    expect(ops).toEqual(expect.arrayContaining([['MatMul', 'geluTanh'], ['GeluTanh', undefined]]));
    await checkAgainstInterpreter(net, randomInputs(net, mulberry32(3), { min: -4, max: 4 }), 'gelu tanh');
  });
});

describe('layer normalization spelled out, on the engine', () => {
  it('becomes one LayerNormalization layer and matches the interpreter', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 5, 32]);
    const d = x.sub(x.reduceMean([-1]));
    const n = d.div(d.pow(2).reduceMean([-1]).add(1e-5).sqrt());
    net.markOutput(n.mul(net.constant('gamma', w(32, 1), [32])).add(net.constant('beta', w(32, 2), [32])), 'y');
    expect(runPipeline(net.graph, buildPipeline({ optLevel: 3 })).graph.nodes.map((l) => l.op)).toEqual(['LayerNormalization']);
    await checkAgainstInterpreter(net, randomInputs(net, mulberry32(4)), 'layer norm');
  });
});

describe('concat elimination on the engine', () => {
  /** Two fire modules: squeeze 1x1, expand 1x1 and 3x3 (+ relu), concatenated on channels. */
  function fireNet(batch: number): Network {
    const net = new Network();
    let x = net.input('x', 'f32', [batch, 8, 7, 7]);
    for (let f = 0; f < 2; f++) {
      const s = x.conv({ name: `f${f}.squeeze`, outChannels: 4, kernel: [1, 1], weights: w(4 * (f ? 32 : 8), f), bias: w(4, f + 1) }).relu();
      const e1 = s.conv({ name: `f${f}.e1`, outChannels: 16, kernel: [1, 1], weights: w(64, f + 2), bias: w(16, f + 3) }).relu();
      const e3 = s.conv({ name: `f${f}.e3`, outChannels: 16, kernel: [3, 3], padding: [1, 1], weights: w(576, f + 4), bias: w(16, f + 5) }).relu();
      x = net.concat([e1, e3], { axis: 1, name: `f${f}.cat` });
    }
    net.markOutput(x.maxPool({ kernel: [2, 2] }), 'y');
    return net;
  }

  for (const [batch, views] of [[1, false], [2, false], [2, true]] as const) {
    const what = batch === 1 ? 'the expands write into the concat output'
      : views ? 'with strided views (as CPU builds lower) the expands write their slices of each image'
        : 'without strided views the concat copies (its slices are not contiguous)';
    it(`batch ${batch}: ${what}, and the engine matches the interpreter`, async () => {
      const net = fireNet(batch);
      const optimized = runPipeline(net.graph, buildPipeline({ optLevel: 3 })).graph;
      const { plan, memory } = lowerToPlan(optimized, { kilnVersion: 'test', buildDigest: new Uint8Array(32), stridedViews: views });
      const tensor = (v: string) => plan.tensors.find((t) => t.name === v)!;
      const placed = batch === 1 || views;
      for (const cat of optimized.nodes.filter((n) => n.op === 'Concat')) {
        const y = tensor(cat.outputs[0]!);
        const inside = cat.inputs.map((v) => tensor(v).offset >= y.offset && tensor(v).offset < y.offset + 16 * 49 * 4 * 2 * batch);
        expect(inside).toEqual([placed, placed]);
        expect(memory.sliceOf.size).toBe(placed ? 4 : 0);
      }
      await checkAgainstInterpreter(net, randomInputs(net, mulberry32(batch + 20)), `fire modules, batch ${batch}`);
    });
  }
});
