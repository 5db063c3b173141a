// The CUDA fp16 layout (AssignLayout with options.layout 'cuda'): every groups-1 conv
// whose input has a multiple of 8 channels becomes ConvNhwc (any kernel, stride,
// padding, dilation, fused residual), depthwise convs too, and the 3-channel stem stays
// NCHW. Random residual stacks rewritten that way run on the CPU engine (kernel
// convNhwc, the same layer the GPU runs with its own kernels) and equal the
// interpreter on the original network; so does the graph itself in the interpreter.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor } from '../../src/interpret/index.js';
import { AssignLayout, FuseEpilogues, FuseResidualAdds, applyPass } from '../../passes/index.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

const floats = (rng: () => number, n: number, scale = 0.5) => randomTensor('f32', [n], rng, { min: -scale, max: scale }).data as Float32Array;

describe('CUDA layout: convs in NHWC', () => {
  it('turns groups-1 convs with 8k input channels into ConvNhwc and keeps the stem NCHW', () => {
    const rng = mulberry32(7);
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3, 16, 16]);
    const stem = x.conv({ outChannels: 16, kernel: [3, 3], weights: floats(rng, 16 * 27), padsBegin: [1, 1], padsEnd: [1, 1], name: 'stem' }).relu();
    const a = stem.conv({ outChannels: 16, kernel: [3, 3], weights: floats(rng, 16 * 144), bias: floats(rng, 16), padsBegin: [1, 1], padsEnd: [1, 1], name: 'a' }).relu();
    const b = a.conv({ outChannels: 16, kernel: [1, 1], weights: floats(rng, 256), name: 'b' }).add(stem).relu();
    const dw = b.conv({ outChannels: 16, kernel: [3, 3], groups: 16, weights: floats(rng, 144), padsBegin: [1, 1], padsEnd: [1, 1], name: 'dw' });
    net.markOutput(dw.conv({ outChannels: 8, kernel: [1, 1], weights: floats(rng, 128), name: 'e' }), 'y');
    const fused = applyPass(FuseResidualAdds, applyPass(FuseEpilogues, net.graph));
    const nhwc = applyPass(AssignLayout, fused, { options: { layout: 'cuda' } });
    const op = (name: string) => nhwc.nodes.find((n) => n.name === name || n.name.startsWith(`${name} +`))!;
    expect(op('stem').op).toBe('Conv');
    for (const name of ['a', 'b', 'dw', 'e']) expect(op(name).op).toBe('ConvNhwc');
    expect(op('b').attrs.groups ?? 1).toBe(1);
    expect(op('b').inputs).toHaveLength(4); // x, w, no bias, the NHWC residual
    // One reformat into the region (the stem's output) and one out of it (y).
    expect(nhwc.nodes.filter((n) => n.op === 'Transpose')).toHaveLength(2);
    // The CPU layout leaves 3x3 groups-1 convs alone.
    expect(applyPass(AssignLayout, fused, { options: { minLayersPerReformat: 0 } }).nodes.find((n) => n.name.startsWith('a'))!.op).toBe('Conv');
  });

  it('matches the interpreter on random residual stacks (CPU convNhwc kernel)', async () => {
    const rng = mulberry32(909);
    for (let trial = 0; trial < 8; trial++) {
      const c = [8, 16, 24][trial % 3]!, n = randomInt(rng, 1, 2), h = randomInt(rng, 4, 13), w = randomInt(rng, 4, 13);
      const k = [1, 3, 5][randomInt(rng, 0, 2)]!, s = randomInt(rng, 1, 2), d = k === 5 ? 1 : randomInt(rng, 1, 2), p = randomInt(rng, 0, 2);
      const co = [8, 13, 32][randomInt(rng, 0, 2)]!;
      const net = new Network();
      const x = net.input('x', 'f32', [n, c, h, w]);
      const a = x.conv({ outChannels: c, kernel: [3, 3], weights: floats(rng, c * c * 9, 0.2), bias: floats(rng, c), padsBegin: [1, 1], padsEnd: [1, 1] }).relu();
      // Residual block: a -> conv -> + a -> relu.
      const r = a.conv({ outChannels: c, kernel: [1, 1], weights: floats(rng, c * c, 0.3), bias: trial % 2 ? floats(rng, c) : undefined }).add(a).relu();
      const out = r.conv({ outChannels: co, kernel: [k, k], weights: floats(rng, co * c * k * k, 0.2), bias: floats(rng, co), strides: [s, s], dilations: [d, d], padsBegin: [p, p], padsEnd: [1 - (p % 2), p] });
      net.markOutput(trial % 2 ? out.clip(0, 0.5) : out, 'y');
      const graph = net.graph;
      const nhwc = applyPass(AssignLayout, applyPass(FuseResidualAdds, applyPass(FuseEpilogues, graph)), { options: { layout: 'cuda', minLayersPerReformat: 0 } });
      expect(nhwc.nodes.filter((l) => l.op === 'ConvNhwc')).toHaveLength(3);
      const inputs = { x: randomTensor('f32', [n, c, h, w], rng, { min: -1, max: 1 }) };
      const expected = interpret(graph, inputs).y!;
      const label = `trial ${trial} (c ${c} -> ${co}, ${h}x${w}, k ${k}, s ${s}, d ${d}, p ${p})`;
      expectClose(interpret(nhwc, inputs).y!, expected, `${label}, interpreter`);
      expectClose((await runPlan(buildPlan(nhwc), inputs)).y!, expected, label);
    }
  });
});
