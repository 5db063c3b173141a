// `npx tsx test/bench/reduce-bench.ts`: times the reduce family's kernels on the
// transformer-encoder shapes (seq 128, width 768, 12 heads) and a few large
// reductions. Moving inputs and outputs between JS and the engine costs more than
// these kernels, so each engine runs the layer K times (chained when it keeps the
// shape, side by side on the same input otherwise) and the time per layer is
// (t(K) - t(1)) / (K - 1), medians of repeated runs. Unary relu over the same
// bytes is the memory-speed yardstick. Not a test: nothing here asserts a speed.
import { cpus } from 'node:os';
import { Builder, Logger, Network, Runtime } from '../../src/index.js';
import { mulberry32, randomTensor } from '../../src/interpret/index.js';

type Make = (x: ReturnType<Network['input']>) => ReturnType<Network['input']>;
const logger = new Logger('error');
const threads = Number(process.env.KILN_BENCH_THREADS ?? cpus().length);

async function timeRepeated(shape: number[], make: Make, k: number): Promise<number> {
  const net = new Network();
  const x = net.input('x', 'f32', shape);
  let y = make(x);
  const chain = y.shape.length === shape.length && y.shape.every((d, i) => d === shape[i]);
  for (let i = 1; i < k; i++) {
    if (chain) y = make(y);
    else net.markOutput(make(x), `y${i}`);
  }
  net.markOutput(y, 'y');
  const builder = new Builder(logger);
  const ctx = new Runtime(logger).deserializeEngine(builder.buildSerializedNetwork(net, builder.createBuilderConfig())).createExecutionContext({ threads });
  const data = randomTensor('f32', shape, mulberry32(1)).data as Float32Array;
  for (let i = 0; i < 20; i++) await ctx.run({ x: data });
  const ts: number[] = [];
  const end = performance.now() + 1500;
  while (ts.length < 20 || (performance.now() < end && ts.length < 5000)) {
    const s = performance.now();
    await ctx.run({ x: data });
    ts.push(performance.now() - s);
  }
  return ts.sort((a, b) => a - b)[ts.length >> 1]! * 1000;
}

/** Microseconds per layer. */
async function time(shape: number[], make: Make): Promise<number> {
  const k = 9;
  return ((await timeRepeated(shape, make, k)) - (await timeRepeated(shape, make, 1))) / (k - 1);
}

const rng = mulberry32(2);
const w = (n: number) => randomTensor('f32', [n], rng);
const cases: [string, number[], Make][] = [
  ['layerNorm [128,768]', [1, 128, 768], (x) => x.layerNorm({ scale: w(768), bias: w(768) })],
  ['softmax [12,128,128]', [1, 12, 128, 128], (x) => x.softmax(-1)],
  ['logSoftmax [12,128,128]', [1, 12, 128, 128], (x) => x.logSoftmax(-1)],
  ['reduceMean [128,768] last', [1, 128, 768], (x) => x.reduceMean([-1])],
  ['reduceSum [2048,2048] all', [2048, 2048], (x) => x.reduceSum([], { keepDims: false })],
  ['reduceSum [2048,2048] axis 0', [2048, 2048], (x) => x.reduceSum([0])],
  ['reduceMax [2048,2048] axis 1', [2048, 2048], (x) => x.reduceMax([1])],
  ['argMax [16,30522]', [16, 30522], (x) => x.argMax(1)],
  ['cumSum [128,768] axis 1', [128, 768], (x) => x.cumSum(1)],
  ['instanceNorm [1,64,56,56]', [1, 64, 56, 56], (x) => x.instanceNorm({ scale: w(64), bias: w(64) })],
];

console.log(`${cpus()[0]?.model ?? 'cpu'}; ${threads} threads; µs per layer; relu over the same bytes for scale`);
for (const [name, shape, make] of cases) {
  const us = await time(shape, make);
  const copy = await time(shape, (x) => x.relu());
  const mb = (shape.reduce((a, b) => a * b, 1) * 4) / 1e6;
  console.log(`${name.padEnd(30)} ${us.toFixed(1).padStart(9)} µs   relu ${copy.toFixed(1).padStart(9)} µs   ${(mb / us * 1e3).toFixed(1).padStart(6)} GB/s read`);
}
