// Random NHWC depthwise convs for the layout-nhwc-depthwise suites: each case wraps the
// depthwise conv between two 1x1 convs so AssignLayout puts it in an NHWC region
// (ConvNhwc, kernel convDepthwiseNhwc), builds and runs the plan, and compares with the
// interpreter.
import { expect } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, randomTensor, type Rng } from '../../src/interpret/index.js';
import { AssignLayout, FuseEpilogues, applyPass } from '../../passes/index.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

export interface DepthwiseCase {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  strides: [number, number];
  dilation: number;
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  bias: boolean;
  act: 'none' | 'relu' | 'clip' | 'relu6' | 'sigmoid';
}

const floats = (rng: Rng, n: number) => randomTensor('f32', [n], rng, { min: -0.5, max: 0.5 }).data as Float32Array;

export async function checkNhwcDepthwise(rng: Rng, t: DepthwiseCase, what: string): Promise<void> {
  const { n, c, h, w, k, pads } = t;
  const net = new Network();
  const x = net.input('x', 'f32', [n, c, h, w]);
  const a = x.conv({ outChannels: c, kernel: [1, 1], weights: floats(rng, c * c) });
  let dw = a.conv({
    outChannels: c, kernel: [k, k], groups: c, weights: floats(rng, c * k * k), bias: t.bias ? floats(rng, c) : undefined,
    strides: t.strides, dilations: [t.dilation, t.dilation], padsBegin: [pads[0], pads[1]], padsEnd: [pads[2], pads[3]],
  });
  if (t.act === 'relu') dw = dw.relu();
  if (t.act === 'clip') dw = dw.clip(0, 0.25);
  if (t.act === 'relu6') dw = dw.clip(0, 6);
  if (t.act === 'sigmoid') dw = dw.sigmoid();
  net.markOutput(dw.conv({ outChannels: 3, kernel: [1, 1], weights: floats(rng, 3 * c) }), 'y');
  const nhwc = applyPass(AssignLayout, applyPass(FuseEpilogues, net.graph), { options: { minLayersPerReformat: 0 } });
  expect(nhwc.nodes.map((l) => l.op)).toContain('ConvNhwc');
  const inputs = { x: randomTensor('f32', [n, c, h, w], rng, { min: -1, max: 1 }) };
  const actual = await runPlan(buildPlan(nhwc), inputs);
  expectClose(actual.y!, interpret(net.graph, inputs).y!, `${what} (${JSON.stringify(t)})`);
}
