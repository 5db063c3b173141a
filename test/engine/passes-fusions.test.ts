// Builder fusions end to end: networks built at opt level 3 run on the native engine and
// match the reference interpreter run on the unoptimized network — residual blocks
// (FuseResidualAdds, at batch 1 and 2 so conv columns span images), GELU's tanh form
// (RecognizeActivations -> GeluTanh, unfused and fused into a MatMul epilogue).
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { buildPipeline, runPipeline } from '../../passes/index.js';
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
