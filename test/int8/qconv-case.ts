// Child process of fallback.test.ts: one QConv network (3x3, pad 1, 8-bit weights,
// requantized relu, then f32) on the engine against the interpreter, under whatever
// KILN_INT8_TILE the parent set. Prints 'ok' or the first mismatch; exit code 0 / 1.
import { interpret, mulberry32, randomInt, randomTensor } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, runPlan } from '../engine/helpers.js';

const rng = mulberry32(21);
const d = new GraphDraft();
const x = d.node('QuantizeLinear', 'q', [d.input('x', { dtype: 'f32', shape: [2, 6, 9, 9] }), d.constant('s', 'f32', [1], Float32Array.of(0.05))], {});
const layer = (name: string, input: string, cin: number, cout: number, outScale: number) => d.node('QConv', name, [
  input,
  d.constant(`${name}.w`, 'i8', [cout, cin, 3, 3], Int8Array.from({ length: cout * cin * 9 }, () => randomInt(rng, -127, 127))),
  d.constant(`${name}.ws`, 'f32', [cout], Float32Array.from({ length: cout }, () => 0.001 + 0.01 * rng())),
  d.constant(`${name}.b`, 'f32', [cout], Float32Array.from({ length: cout }, () => rng() - 0.5)),
], { padsBegin: [1, 1], padsEnd: [1, 1], xScale: 0.05, outScale, activation: 'relu' });
const y = layer('c2', layer('c1', x, 6, 7, 0.2), 7, 5, 0);
d.outputs.push(y);
const g = d.graph();
const inputs = { x: randomTensor('f32', [2, 6, 9, 9], rng, { min: -8, max: 8 }) };
const want = interpret(g, inputs)[y]!.data as Float32Array;
const got = (await runPlan(buildPlan(g, 0), inputs))[y]!.data as Float32Array;
const bad = want.findIndex((v, i) => Math.abs(v - got[i]!) > 1e-6 * Math.max(1, Math.abs(v)));
console.log(bad < 0 ? 'ok' : `element ${bad}: engine ${got[bad]}, interpreter ${want[bad]}`);
process.exit(bad < 0 ? 0 : 1);
