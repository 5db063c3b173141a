// The 3x3 stride-1 conv tactics side by side on ResNet-18's and SqueezeNet's shapes:
// every candidate of one conv (+ bias, relu) timed round-robin in one plan, as the
// autotuner does (native timeLayers), and the Winograd tactics' error against the
// reference interpreter at batch 1. `npx tsx test/bench/winograd-bench.ts [batch...]`;
// KILN_BENCH_ONLY filters shapes by name. Nothing here asserts a speed.
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { Network } from '../../dsl/index.js';
import { applyTactic, timingPlan } from '../../src/builder/autotune.js';
import { interpret } from '../../src/interpret/index.js';
import { native } from '../../src/runtime/native.js';
import { lowerNetwork, randomInputs, shapeRng } from '../tuning/harness.js';

const SHAPES: { name: string; c: number; co: number; hw: number }[] = [
  { name: 'resnet18 layer1', c: 64, co: 64, hw: 56 }, { name: 'resnet18 layer2', c: 128, co: 128, hw: 28 },
  { name: 'resnet18 layer3', c: 256, co: 256, hw: 14 }, { name: 'resnet18 layer4', c: 512, co: 512, hw: 7 },
  { name: 'squeezenet expand 16->64 @55', c: 16, co: 64, hw: 55 }, { name: 'squeezenet expand 32->128 @27', c: 32, co: 128, hw: 27 },
  { name: 'squeezenet expand 48->192 @13', c: 48, co: 192, hw: 13 }, { name: 'squeezenet expand 64->256 @13', c: 64, co: 256, hw: 13 },
];
const batches = process.argv.slice(2).map(Number).filter((b) => b > 0);
const only = process.env.KILN_BENCH_ONLY?.split(',');

function convNet(c: number, co: number, hw: number, batch: number): Network {
  const R = shapeRng(c * 1000 + co);
  const net = new Network();
  const x = net.input('x', 'f32', [batch, c, hw, hw]);
  const scale = 1 / Math.sqrt(9 * c);  // He-like weights: outputs of order 1, as in a trained net
  net.markOutput(x.conv({ outChannels: co, kernel: [3, 3], padding: [1, 1], weights: R.floats(co * c * 9).map((v) => v * scale), bias: R.floats(co) }).relu(), 'y');
  return net;
}

async function maxErrors(net: Network, names: string[]): Promise<string> {
  const inputs = randomInputs(net, 7);
  const expected = interpret(net.graph, inputs).y!.data as Float32Array;
  let peak = 0;
  for (const v of expected) peak = Math.max(peak, Math.abs(v));
  const plan = lowerNetwork(net);
  const i = plan.layers.findIndex((l) => cpuTactics(l, plan.tensors).length > 1);
  const out: string[] = [];
  for (const name of names) {
    const desc = { ...plan, layers: plan.layers.map((l) => ({ ...l })) };
    applyTactic(desc.layers[i]!, cpuTactics(plan.layers[i]!, plan.tensors).find((t) => t.name === name)!);
    const n = native();
    const ctx = new n.Context(new n.Engine(n.serializePlan(desc)), 2);
    const y = (await ctx.run(Object.entries(inputs).map(([k, t]) => ({ name: k, data: t.data, shape: t.shape }))))[0]!.data as Float32Array;
    let err = 0;
    for (let j = 0; j < expected.length; j++) err = Math.max(err, Math.abs(y[j]! - expected[j]!));
    out.push(`${name} ${(err / peak).toExponential(1)}`);
  }
  return `max |error| / max |y|: ${out.join(', ')}`;
}

for (const s of SHAPES) {
  if (only && !only.some((o) => s.name.includes(o))) continue;
  for (const batch of batches.length ? batches : [1, 8]) {
    const net = convNet(s.c, s.co, s.hw, batch);
    const plan = lowerNetwork(net);
    const layer = plan.layers.find((l) => cpuTactics(l, plan.tensors).length > 1)!;
    const candidates = cpuTactics(layer, plan.tensors);
    const t = native().timeLayers(timingPlan(plan, layer, candidates), { warmup: 2, minIterations: 10, maxIterations: 200, budgetMs: 1500, threads: 2 });
    const row = candidates.map((c, i) => `${c.name} ${t.medianMs[i]!.toFixed(2)}/${t.minMs[i]!.toFixed(2)}`).join(', ');
    console.log(`${s.name} b${batch} (median/min ms): ${row}`);
  }
  console.log(`  ${await maxErrors(convNet(s.c, s.co, s.hw, 1), ['winograd-2x2-fused', 'winograd-4x4-fused'])}`);
}
