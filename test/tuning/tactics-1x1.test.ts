// The pointwise tactics (conv1x1, conv1x1Stream: a 4-channel x 24-pixel tile over X
// in place, kernel-conv-1x1.cc) against the interpreter: channel counts that leave a
// partial 4-row block and a partial 32-channel streaming chunk, planes shorter than a
// tile and planes ending in a partial tile, planes split into several strips and
// channel groups, plane sizes of every alignment (the streaming rows' stride), 1-D and
// 3-D convs, batches, a fused residual and each activation, outputs that are strided views
// of a concat; and the layers they refuse. The streaming tactic is listed only for outputs
// of 4 MiB and more, so the small cases also run it forced on every pointwise layer.
import { describe, expect, it } from 'vitest';
import type { PlanDesc } from '../../codegen/plan-desc.js';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { Network } from '../../dsl/index.js';
import { applyTactic } from '../../src/builder/autotune.js';
import { interpret } from '../../src/interpret/index.js';
import { expectClose, kiln, PlanBuilder } from '../native/plan-fixtures.js';
import { checkTactics, lowerNetwork, randomInputs, shapeRng } from './harness.js';

const R = shapeRng(1124);

/** Every layer offering pointwise-4x24 switched to conv1x1Stream, on one thread and two, against the interpreter. */
async function checkStreamForced(net: Network, plan: PlanDesc, label: string, seed: number): Promise<void> {
  const inputs = randomInputs(net, seed);
  const expected = interpret(net.graph, inputs);
  const layers = plan.layers.filter((l) => cpuTactics(l, plan.tensors).some((t) => t.name === 'pointwise-4x24'));
  expect(layers.length, label).toBeGreaterThan(0);
  const desc = { ...plan, layers: plan.layers.map((l) => ({ ...l })) };
  for (const l of desc.layers) if (layers.some((p) => p.name === l.name)) applyTactic(l, { name: 'pointwise-4x24-nt', kernel: 'conv1x1Stream', ints: l.ints, floats: l.floats });
  const engine = new (kiln().Engine)(kiln().serializePlan(desc));
  for (const threads of [1, 2]) {
    const outs = await new (kiln().Context)(engine, threads).run(Object.entries(inputs).map(([name, t]) => ({ name, data: t.data, shape: t.shape })));
    for (const o of outs as { name: string; data: Float32Array }[]) {
      expectClose(o.data, expected[o.name]!.data as Float32Array, 2e-4, `${label}: conv1x1Stream forced, ${threads} threads, output '${o.name}'`);
    }
  }
}

type Act = 'none' | 'relu' | 'clip' | 'sigmoid' | 'leakyRelu';
function activate(y: ReturnType<Network['input']>, act: Act) {
  if (act === 'relu') return y.relu();
  if (act === 'clip') return y.clip(-0.25, 0.5);
  if (act === 'sigmoid') return y.sigmoid();
  if (act === 'leakyRelu') return y.leakyRelu(0.1);
  return y;
}

interface Case { n: number; c: number; co: number; spatial: number[]; act: Act; bias: boolean; residual: boolean }

async function check(k: Case, label: string, seed: number): Promise<string[]> {
  const net = new Network();
  const x = net.input('x', 'f32', [k.n, k.c, ...k.spatial]);
  let y = x.conv({ outChannels: k.co, kernel: k.spatial.map(() => 1), weights: R.floats(k.co * k.c), bias: k.bias ? R.floats(k.co) : undefined });
  if (k.residual) y = y.add(net.input('r', 'f32', [k.n, k.co, ...k.spatial]));
  net.markOutput(activate(y, k.act), 'y');
  const full = `${label} (n ${k.n}, c ${k.c}, co ${k.co}, ${k.spatial.join('x')}, ${k.act}${k.residual ? ', residual' : ''})`;
  const seen = await checkTactics(net, full, seed, 2e-4);
  expect(seen, label).toContain('pointwise-4x24');
  await checkStreamForced(net, lowerNetwork(net), full, seed);
  return seen;
}

describe('pointwise-4x24 tactics', () => {
  it('match the interpreter on random pointwise convs', async () => {
    for (let trial = 0; trial < 12; trial++) {
      await check({
        n: R.int(1, 3), c: R.pick([R.int(1, 8), R.int(9, 40), R.int(41, 130)]), co: R.pick([R.int(1, 3), 4, R.int(5, 31), R.int(33, 70)]),
        spatial: [R.int(1, 23), R.int(1, 41)], act: R.pick(['none', 'relu', 'clip', 'sigmoid', 'leakyRelu'] as const),
        bias: R.chance(0.7), residual: R.chance(0.3),
      }, `random trial ${trial}`, trial);
    }
  });

  it('split planes into strips and channel groups, with every plane alignment', async () => {
    // K 8: 1536-pixel strips, so 41x43 is two; K 100: 96-pixel strips; 32+ channels take streaming chunks.
    await check({ n: 1, c: 8, co: 37, spatial: [41, 43], act: 'relu', bias: true, residual: false }, 'two strips', 1);
    await check({ n: 2, c: 100, co: 69, spatial: [13, 13], act: 'clip', bias: true, residual: true }, 'strips of 96', 2);
    for (const [h, w] of [[7, 8], [6, 6], [5, 6], [9, 9], [1, 3]]) {
      await check({ n: 2, c: R.int(3, 20), co: 64 + R.int(0, 5), spatial: [h!, w!], act: 'relu', bias: R.chance(0.5), residual: R.chance(0.5) }, `plane ${h}x${w}`, h! * w!);
    }
  });

  it('take 1-D and 3-D convs, and a residual that is the input', async () => {
    await check({ n: 2, c: 5, co: 9, spatial: [77], act: 'none', bias: true, residual: false }, '1-D', 3);
    await check({ n: 1, c: 6, co: 13, spatial: [3, 5, 7], act: 'relu', bias: false, residual: true }, '3-D', 4);
    const net = new Network();
    const x = net.input('x', 'f32', [2, 12, 11, 9]);
    net.markOutput(x.conv({ outChannels: 12, kernel: [1, 1], weights: R.floats(144), bias: R.floats(12) }).add(x).relu(), 'y');
    expect(await checkTactics(net, 'residual input', 5, 2e-4)).toContain('pointwise-4x24');
    await checkStreamForced(net, lowerNetwork(net), 'residual input', 5);
  });

  it('list streaming stores for SqueezeNet-sized outputs (55x55, rows 8 channels apart, 4.6 MiB)', async () => {
    const seen = await check({ n: 6, c: 16, co: 64, spatial: [55, 55], act: 'relu', bias: true, residual: false }, 'expand1x1', 6);
    expect(seen).toContain('pointwise-4x24-nt');
  });

  it('write strided views (a concat eliminated at batch > 1) in place', async () => {
    for (const batch of [2, 3]) {
      const net = new Network();
      const x = net.input('x', 'f32', [batch, 12, 9, 11]);
      const s = x.conv({ outChannels: 6, kernel: [1, 1], weights: R.floats(72), bias: R.floats(6) }).relu();
      const a = s.conv({ outChannels: 37, kernel: [1, 1], weights: R.floats(37 * 6), bias: R.floats(37) }).relu();
      const b = s.conv({ outChannels: 10, kernel: [3, 3], padding: [1, 1], weights: R.floats(540), bias: R.floats(10) }).relu();
      net.markOutput(net.concat([b, a], { axis: 1 }).conv({ outChannels: 5, kernel: [1, 1], weights: R.floats(5 * 47) }), 'y');
      const plan = lowerNetwork(net, 3, true);
      expect(plan.tensors.some((t) => t.imageStride)).toBe(true);
      expect(await checkTactics(net, `strided batch ${batch}`, batch, 2e-4, plan)).toContain('pointwise-4x24');
      await checkStreamForced(net, plan, `strided batch ${batch}`, batch);
    }
  });

  it('refuse convs that are not pointwise and runtime weights', () => {
    for (const kernel of ['conv1x1', 'conv1x1Stream']) {
      const three = new PlanBuilder();
      const tx = three.input('x', [1, 2, 8, 8]);
      const tw = three.weight('w', [4, 2, 3, 3], R.floats(72));
      const ty = three.tensor('y', [1, 4, 8, 8]);
      three.layer(kernel, [tx, tw], [ty], [2, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1], [0, 0], 'c');
      three.output(ty);
      expect(() => kiln().serializePlan(three.desc())).toThrow(
        `layer 'c': kernel ${kernel} needs a pointwise conv (groups 1, kernel 1, stride 1, no padding), got groups 1, kernel [3,3], strides [1,1], pads [1,1,1,1]`);
      const runtime = new PlanBuilder();
      const rx = runtime.input('x', [1, 2, 8, 8]);
      const rw = runtime.input('w', [4, 2, 1, 1]);
      const ry = runtime.tensor('y', [1, 4, 8, 8]);
      runtime.layer(kernel, [rx, rw], [ry], [2, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [0, 0], 'c');
      runtime.output(ry);
      expect(() => kiln().serializePlan(runtime.desc())).toThrow(`layer 'c': kernel ${kernel} needs constant weights and bias (packed once at load)`);
    }
  });
});
