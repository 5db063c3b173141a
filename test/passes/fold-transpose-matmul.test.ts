// FoldTransposeIntoMatMul: Input vs Expected, the Transposes that must stay, and the
// encoder built with the pass against the interpreter on the unoptimized graph.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { interpret, mulberry32, randomInt } from '../../src/interpret/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { verify, type Graph } from '../../src/ir/index.js';
import { FoldTransposeIntoMatMul, applyPass, buildPipeline, runPipeline, withoutFinalSwap } from '../../passes/index.js';
import { compareOutputs } from '../../passes/testing/index.js';
import { expectGraph, expectSameOutputs, expectUnchanged, layer } from './helpers.js';

const MM = { transA: false, transB: false } as const;

/** Attention's scores: q [2,3,4] times k [2,3,4] transposed to [2,4,3]. */
function scores(perm = [0, 2, 1], transB = false): Graph {
  const net = new Network();
  const q = net.input('q', 'f32', [2, 3, 4]);
  const k = net.input('k', 'f32', [2, 3, 4]);
  net.markOutput(q.matmul(k.transpose(perm, 't1'), { name: 'mm1', transB }), 's');
  return net.graph;
}

describe('FoldTransposeIntoMatMul', () => {
  it('turns K^T into transB', () => {
    const input = scores();
    const out = applyPass(FoldTransposeIntoMatMul, input);
    const net = new Network();
    const q = net.input('q', 'f32', [2, 3, 4]);
    const k = net.input('k', 'f32', [2, 3, 4]);
    net.markOutput(layer(net, 'MatMul', 't1 + mm1', [q, k], { ...MM, transB: true }), 's');
    expectGraph(out, net.graph);
    expect(out.nodes[0]!.fused).toEqual(['t1', 'mm1']);
    verify(out);
    expectSameOutputs(input, out);
  });

  it('cancels a flag already set, and folds a transposed a into transA (rank 4)', () => {
    const net = new Network();
    const k = net.input('k', 'f32', [2, 5, 3]);
    const q = net.input('q', 'f32', [2, 3, 4]);
    net.markOutput(k.matmul(q.transpose([0, 2, 1], 't1'), { name: 'mm1', transB: true }), 's');
    const out = applyPass(FoldTransposeIntoMatMul, net.graph);
    expect(out.nodes.map((n) => [n.op, n.inputs, n.attrs.transA ?? false, n.attrs.transB])).toEqual([['MatMul', ['k', 'q'], false, false]]);
    expectSameOutputs(net.graph, out);

    const n4 = new Network();
    const a = n4.input('a', 'f32', [1, 2, 5, 3]);
    const b = n4.input('b', 'f32', [1, 2, 4, 5]);
    n4.markOutput(a.transpose([0, 1, 3, 2]).matmul(b.transpose([0, 1, 3, 2])), 'y');
    const out4 = applyPass(FoldTransposeIntoMatMul, n4.graph);
    // a^T [..,3,5] times b^T [..,5,4]: both operands fold, one step each.
    expect(out4.nodes.map((n) => n.op)).toEqual(['MatMul']);
    verify(out4);
    expectSameOutputs(n4.graph, out4);
  });

  it('is not in the default pipeline (no measured gain; it would undo FuseSiblings\' and AssignLayout\'s choices on a second run), and joins it by name', () => {
    const ops = (insert: boolean) => runPipeline(scores(), buildPipeline({ optLevel: 3, ...(insert ? { insert: [{ pass: FoldTransposeIntoMatMul, after: 'FoldPadIntoConv' }] } : {}) })).graph.nodes.map((n) => n.op);
    expect(ops(false)).toEqual(['Transpose', 'MatMul']);
    expect(ops(true)).toEqual(['MatMul']);
  });

  it('keeps a Transpose that also moves other axes, with the innermost axis left in place (K^T of [seq, heads, d])', () => {
    const net = new Network();
    const q = net.input('q', 'f32', [4, 16, 8]);
    const k = net.input('k', 'f32', [16, 4, 8]);
    net.markOutput(q.matmul(k.transpose([1, 2, 0], 't1'), { name: 'mm1' }), 's');
    const out = applyPass(FoldTransposeIntoMatMul, net.graph);
    const want = new Network();
    const q2 = want.input('q', 'f32', [4, 16, 8]);
    const kt = want.input('k', 'f32', [16, 4, 8]).transpose([1, 0, 2], 't1');
    want.markOutput(layer(want, 'MatMul', 'mm1', [q2, kt], { ...MM, transB: true }), 's');
    expect(out.nodes.map((n) => [n.op, n.name, n.attrs.perm ?? n.attrs.transB])).toEqual([['Transpose', 't1', [1, 0, 2]], ['MatMul', 'mm1', true]]);
    expect(out.types[out.nodes[0]!.outputs[0]!]!.shape).toEqual([4, 16, 8]);
    verify(out);
    expectSameOutputs(net.graph, out);
    expect(applyPass(FoldTransposeIntoMatMul, out)).toBe(out);
  });

  it('knows which permutations end in a swap of the last two axes', () => {
    expect([[1, 0], [0, 2, 1], [1, 2, 0], [1, 0, 3, 2]].map(withoutFinalSwap)).toEqual([[0, 1], [0, 1, 2], [1, 0, 2], [1, 0, 2, 3]]);
    expect([[0, 1], [0], [1, 0, 2], [2, 1, 0], [0, 3, 1, 2]].map(withoutFinalSwap)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  describe('must not change', () => {
    it('a Transpose that moves other axes and ends in no swap of the last two', () => {
      const net = new Network();
      const k = net.input('k', 'f32', [2, 3, 4]);
      const v = net.input('v', 'f32', [3, 4, 5]);
      // k [2,3,4] -> [3,2,4]: heads and seq swap, the last axis stays (nothing to fold).
      net.markOutput(k.transpose([1, 0, 2]).matmul(v), 's');
      expectUnchanged(FoldTransposeIntoMatMul, net.graph);
      const rev = new Network();
      const a = rev.input('a', 'f32', [2, 5, 3]);
      // x [4,3,2] -> [2,3,4]: the input's last axis lands first, not second to last.
      rev.markOutput(a.matmul(rev.input('x', 'f32', [4, 3, 2]).transpose([2, 1, 0])), 's');
      expectUnchanged(FoldTransposeIntoMatMul, rev.graph);
    });

    it('a Transpose with another reader, read twice by the MatMul, or marked as a network output', () => {
      const net = new Network();
      const q = net.input('q', 'f32', [2, 3, 4]);
      const kt = net.input('k', 'f32', [2, 3, 4]).transpose([0, 2, 1]);
      net.markOutput(q.matmul(kt), 's');
      net.markOutput(kt.relu(), 'r');
      expectUnchanged(FoldTransposeIntoMatMul, net.graph);

      const twice = new Network();
      const xt = twice.input('x', 'f32', [2, 3, 3]).transpose([0, 2, 1]);
      twice.markOutput(xt.matmul(xt), 'y');
      expectUnchanged(FoldTransposeIntoMatMul, twice.graph);

      const out = new Network();
      const q2 = out.input('q', 'f32', [2, 3, 4]);
      const k2 = out.input('k', 'f32', [2, 3, 4]).transpose([0, 2, 1]);
      out.markOutput(k2, 'kt');
      out.markOutput(q2.matmul(k2), 's');
      expectUnchanged(FoldTransposeIntoMatMul, out.graph);
    });
  });
});

const encoderFile = resolve(import.meta.dirname, '../../../shared/models/encoder.onnx');
const hasEncoder = existsSync(encoderFile);
if (!hasEncoder) console.log('fold-transpose-matmul: ../shared/models/encoder.onnx is absent; the encoder check is skipped');

describe.skipIf(!hasEncoder)('FoldTransposeIntoMatMul on the encoder', () => {
  it('turns each attention K^T into transB and a row copy, and the built engine agrees with the interpreter', async () => {
    const graph = importOnnx(encoderFile, { dims: { batch: 1, seq: 16 } }).graph;
    const folded = applyPass(FoldTransposeIntoMatMul, graph);
    // Transposes that move the innermost axis (a gather of single floats), and MatMuls reading b transposed.
    const gathers = (g: Graph) => g.nodes.filter((n) => n.op === 'Transpose' && (n.attrs.perm as number[]).at(-1) !== (n.attrs.perm as number[]).length - 1).length;
    const transB = (g: Graph) => g.nodes.filter((n) => n.op === 'MatMul' && n.attrs.transB === true).length;
    expect([gathers(graph), gathers(folded)]).toEqual([4, 0]);
    expect(transB(folded) - transB(graph)).toBe(4);

    const rng = mulberry32(7);
    const name = graph.inputs[0]!;
    const ids = { dtype: 'i64' as const, shape: [1, 16], data: BigInt64Array.from({ length: 16 }, () => BigInt(randomInt(rng, 0, 999))) };
    const expected = interpret(graph, { [name]: ids });
    expect(compareOutputs(expected, interpret(folded, { [name]: ids }), {})).toBeUndefined();

    const logger = new Logger('error');
    const builder = new Builder(logger);
    const plan = builder.buildSerializedNetwork(graph, builder.createBuilderConfig());
    const context = new Runtime(logger).deserializeEngine(plan).createExecutionContext();
    const out = await context.run({ [name]: { data: ids.data, shape: ids.shape } });
    const y = graph.outputs[0]!;
    const got = { [y]: { dtype: 'f32' as const, shape: expected[y]!.shape, data: out[y]!.data as Float32Array } };
    expect(compareOutputs({ [y]: expected[y]! }, got, { rtol: 1e-4, atol: 1e-5 })).toBeUndefined();
  }, 120_000);
});
