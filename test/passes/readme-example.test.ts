// The README's custom-pass example, run as written (imports aside), so the
// documentation cannot drift from the API.
import { describe, expect, it } from 'vitest';
import { Builder, Logger } from '../../src/index.js';
import { Network } from '../../dsl/index.js';
import { applyPass, canForward, checkPass, definePass, rewrite, rewritePass, type Node, type Pattern } from '../../passes/testing/index.js';

const doubleRelu: Pattern<Node> = {
  name: 'DoubleRelu',
  match: (ix, node) => node.op === 'Relu' && ix.producer.get(node.inputs[0]!)?.op === 'Relu' && canForward(ix, node.outputs[0]!, node.inputs[0]!) ? node : undefined,
  action: (_ix, node) => ({ remove: [node.name], forward: new Map([[node.outputs[0]!, node.inputs[0]!]]) }),
};
const DropDoubleRelu = definePass({ name: 'DropDoubleRelu', run: (graph) => rewrite(graph, [doubleRelu]) });

describe('README: writing a pass', () => {
  it('rewritePass gives the same pass, with its log', () => {
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [2, 3]).relu('a').relu('b').tanh('t'), 'y');
    const logged: string[] = [];
    const viaHelper = applyPass(rewritePass('DropDoubleRelu', [doubleRelu]), net.graph, { logger: (_s, m) => logged.push(m) });
    expect(viaHelper.nodes.map((n) => n.name)).toEqual(applyPass(DropDoubleRelu, net.graph).nodes.map((n) => n.name));
    expect(logged).toEqual(['DropDoubleRelu: 3 -> 2 layers']);
  });

  it('checkPass accepts the example pass, which really fires', () => {
    const report = checkPass(DropDoubleRelu, { numRuns: 200, ops: ['relu', 'conv', 'add'] });
    expect(report.runs).toBe(200);
    expect(report.changed).toBeGreaterThan(20);
  });

  it('the example pass runs in a build, inserted by name', () => {
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig().addPass(DropDoubleRelu, { before: 'FuseEpilogues' });
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [2, 3]).relu('a').relu('b').tanh('t'), 'y');
    builder.buildSerializedNetwork(net, config);
    // 'b' is gone (the example pass), then FusePointwise (level 3) fuses what is left.
    expect(builder.lastBuild!.optimized.nodes.map((n) => n.name)).toEqual(['a + t']);
  });

  it('a broken pass fails checkPass with the seed and the shrunk network', () => {
    const Broken = definePass({ name: 'DropEveryOtherRelu', run: (graph) => rewrite(graph, [{ ...doubleRelu, match: (ix, node) => (node.op === 'Relu' && ix.producer.get(node.inputs[0]!) && canForward(ix, node.outputs[0]!, node.inputs[0]!) ? node : undefined) }]) });
    expect(() => checkPass(Broken, { numRuns: 200, ops: ['relu', 'tanh'] })).toThrow(/seed: -?\d+[\s\S]*Counterexample[\s\S]*spec: \{[\s\S]*DropEveryOtherRelu: outputs differ/);
  });
});
