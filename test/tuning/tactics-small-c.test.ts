// The small-channel conv tactic (convSmallC: 4 channels x 24 pixels per register tile
// over phase-split input rows, for stems with 1-4 input channels) against the
// interpreter: odd sizes that leave partial tiles and partial 4-channel blocks,
// strides 1-3, padding (symmetric and not), dilation, kernels 1-7, batches and every
// activation path (relu/clip in registers, others on the stored row), and the stem
// shapes of SqueezeNet, MobileNetV2, ResNet-18 and LeNet. Layers it cannot take
// (5 input channels, groups, a fused residual) must not list it.
import { describe, expect, it } from 'vitest';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { Network } from '../../dsl/index.js';
import { checkTactics, lowerNetwork, shapeRng } from './harness.js';

const R = shapeRng(4024);
const TACTIC = 'small-c-4x24';

function activate(y: ReturnType<Network['input']>, act: string) {
  if (act === 'relu') return y.relu();
  if (act === 'clip') return y.clip(-0.25, 0.5);
  if (act === 'sigmoid') return y.sigmoid();
  return y;
}

/** Tactic names of the network's conv layers. */
function convTacticNames(net: Network): string[] {
  const plan = lowerNetwork(net);
  return plan.layers.filter((l) => l.kernel === 'conv').flatMap((l) => cpuTactics(l, plan.tensors).map((t) => t.name));
}

describe('small-c-4x24 tactic', () => {
  it('matches the interpreter on random convs with 1-4 input channels', async () => {
    let ran = 0;
    for (let trial = 0; trial < 16; trial++) {
      const c = R.int(1, 4), co = R.pick([R.int(1, 3), 4, R.int(5, 11), R.int(12, 40)]);
      const k = [R.int(1, 7), R.int(1, 7)], dil = R.chance(0.2) ? [R.int(1, 2), R.int(1, 2)] : [1, 1];
      const s = R.pick([1, 2, 2, 3]), strides = R.chance(0.8) ? [s, s] : [R.int(1, 3), R.int(1, 3)];
      const pads = [R.int(0, 3), R.int(0, 3), R.int(0, 3), R.int(0, 3)];
      const h = R.int(k[0]! * dil[0]!, 33), w = R.int(k[1]! * dil[1]!, 61);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 3), c, h, w]);
      const y = x.conv({
        outChannels: co, kernel: k, weights: R.floats(co * c * k[0]! * k[1]!), bias: R.chance(0.8) ? R.floats(co) : undefined,
        strides, dilations: dil, padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!],
      });
      net.markOutput(activate(y, R.pick(['none', 'relu', 'clip', 'sigmoid'])), 'y');
      const seen = await checkTactics(net, `small-c trial ${trial} (c ${c}, co ${co}, ${h}x${w}, k ${k}, s ${strides}, d ${dil}, p ${pads})`, trial, 2e-4);
      expect(seen).toContain(TACTIC);
      ran++;
    }
    expect(ran).toBe(16);
  });

  it('matches the interpreter on the stem shapes of the CNN benchmarks', async () => {
    const stems = [
      { name: 'squeezenet', c: 3, co: 64, k: 3, s: 2, p: 0, h: 224, act: 'relu' },
      { name: 'mobilenet', c: 3, co: 32, k: 3, s: 2, p: 1, h: 224, act: 'clip6' },
      { name: 'resnet', c: 3, co: 64, k: 7, s: 2, p: 3, h: 224, act: 'relu' },
      { name: 'lenet', c: 1, co: 6, k: 5, s: 1, p: 0, h: 28, act: 'relu' },
    ];
    for (const [i, t] of stems.entries()) {
      const net = new Network();
      const y = net.input('x', 'f32', [1, t.c, t.h, t.h]).conv({
        outChannels: t.co, kernel: [t.k, t.k], strides: [t.s, t.s], padding: [t.p, t.p], weights: R.floats(t.co * t.c * t.k * t.k), bias: R.floats(t.co),
      });
      net.markOutput(t.act === 'clip6' ? y.clip(0, 6) : y.relu(), 'y');
      expect(await checkTactics(net, `${t.name} stem`, 20 + i, 2e-4)).toContain(TACTIC);
    }
  });

  it('is listed only for 2-D, groups 1, 1-4 channel convs without a fused residual', () => {
    const stem = (c: number, groups = 1) => {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [1, c, 9, 9]).conv({ outChannels: 4, kernel: [3, 3], groups, weights: R.floats(4 * (c / groups) * 9) }), 'y');
      return net;
    };
    expect(convTacticNames(stem(4))).toContain(TACTIC);
    expect(convTacticNames(stem(5))).not.toContain(TACTIC);
    expect(convTacticNames(stem(4, 2))).not.toContain(TACTIC);
    const oneD = new Network();
    oneD.markOutput(oneD.input('x', 'f32', [1, 3, 20]).conv({ outChannels: 4, kernel: [3], weights: R.floats(36) }), 'y');
    expect(convTacticNames(oneD)).not.toContain(TACTIC);
    const res = new Network();
    const rx = res.input('x', 'f32', [1, 4, 9, 9]);
    res.markOutput(rx.conv({ outChannels: 4, kernel: [3, 3], padding: [1, 1], weights: R.floats(144), bias: R.floats(4) }).add(rx).relu(), 'y');
    expect(convTacticNames(res)).not.toContain(TACTIC);
  });
});
