// The default pipeline: named stages, what each optimization level runs, disabling
// by name, custom passes inserted by name, and the orderings that let rewrites meet.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { edit } from '../../src/ir/index.js';
import {
  buildPipeline, definePass, insertAfter, insertBefore, pipelineNames, runPipeline, type PipelineItem, type Sequential,
} from '../../passes/index.js';
import { weights } from './helpers.js';

/** Pass names in order, stages flattened. */
const passNames = (p: Sequential): string[] => p.items.flatMap((i: PipelineItem) => (i.kind === 'pass' ? [i.name] : passNames(i)));

describe('buildPipeline', () => {
  it('maps levels 0..5 to growing sets of passes, in named stages; default 3', () => {
    expect(passNames(buildPipeline({ optLevel: 0 }))).toEqual([]);
    expect(passNames(buildPipeline({ optLevel: 1 }))).toEqual(['FoldQdq', 'EliminateDeadLayers', 'FoldConstants']);
    expect(passNames(buildPipeline({ optLevel: 2 }))).toEqual(['FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'EraseIdentities', 'FuseEpilogues', 'FuseResidualAdds', 'EliminateDeadLayers']);
    expect(passNames(buildPipeline({ optLevel: 3 }))).toEqual([
      'FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'EraseIdentities', 'RecognizeActivations', 'RecognizeLayerNorm', 'FoldPadIntoConv', 'FoldScaleIntoConv', 'FuseEpilogues', 'FuseResidualAdds', 'FusePointwise', 'AssignLayout', 'EliminateDeadLayers',
    ]);
    expect(passNames(buildPipeline({ optLevel: 4 }))).toEqual([
      'FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'EraseIdentities', 'RecognizeActivations', 'RecognizeLayerNorm', 'FoldPadIntoConv', 'FoldScaleIntoConv', 'FuseEpilogues', 'FuseResidualAdds', 'FuseSiblings', 'FusePointwise', 'AssignLayout', 'EliminateDeadLayers',
    ]);
    expect(passNames(buildPipeline({ optLevel: 5 }))).toEqual([
      'FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'EraseIdentities', 'RecognizeActivations', 'RecognizeLayerNorm', 'FoldPadIntoConv', 'FoldScaleIntoConv', 'FuseEpilogues', 'FuseResidualAdds', 'FuseSiblings', 'FusePointwise', 'AssignLayout', 'EliminateDeadLayers',
    ]);
    expect(buildPipeline().name).toBe('kiln-O3');
    expect(buildPipeline().items.map((s) => s.name)).toEqual(['simplify', 'fold', 'fuse', 'tidy']);
    for (let level = 1; level <= 5; level++) {
      const fewer = passNames(buildPipeline({ optLevel: level - 1 }));
      const more = passNames(buildPipeline({ optLevel: level }));
      expect(more.length).toBeGreaterThanOrEqual(fewer.length);
      expect(more).toEqual(expect.arrayContaining(fewer));
    }
    expect(() => buildPipeline({ optLevel: 6 })).toThrow('optLevel must be an integer 0..5, got 6');
  });

  it('leaves out disabled passes and stages, and rejects names it does not know', () => {
    expect(passNames(buildPipeline({ disable: ['FuseEpilogues', 'fold'] }))).toEqual(['FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'EraseIdentities', 'FuseResidualAdds', 'FusePointwise', 'AssignLayout', 'EliminateDeadLayers']);
    expect(passNames(buildPipeline({ optLevel: 1, disable: ['FuseEpilogues'] }))).toEqual(['FoldQdq', 'EliminateDeadLayers', 'FoldConstants']);
    expect(() => buildPipeline({ disable: ['FuseConvActivation'] })).toThrow(
      "cannot disable 'FuseConvActivation': no pass or stage of that name; known: ",
    );
    expect(pipelineNames(buildPipeline())).toEqual(expect.arrayContaining(['kiln-O3', 'simplify', 'fold', 'fuse', 'tidy', 'FoldScaleIntoConv']));
  });

  it('leaves out passes whose ops the target cannot run', () => {
    expect(passNames(buildPipeline({ supports: (op) => op !== 'Gelu' }))).not.toContain('RecognizeActivations');
    expect(passNames(buildPipeline({ optLevel: 5, supports: (op) => op !== 'Split' }))).not.toContain('FuseSiblings');
    expect(passNames(buildPipeline({ supports: () => true }))).toContain('RecognizeActivations');
  });

  it('removes a dead reader first, so the conv and its relu can fuse', () => {
    const net = new Network();
    const y = net.input('x', 'f32', [1, 2, 5, 5]).conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: weights(36) });
    y.sigmoid('unused');
    net.markOutput(y.relu('relu1'), 'y');
    const input = net.graph;
    const { graph, report } = runPipeline(input, buildPipeline());
    expect(graph.nodes.map((n) => n.name)).toEqual(['conv1 + relu1']);
    expect(report.filter((r) => r.changed).map((r) => r.pass)).toEqual(['EliminateDeadLayers', 'FuseEpilogues']);
    expect(runPipeline(input, buildPipeline({ optLevel: 0 })).graph).toBe(input);
  });

  it('folds a scale, erases an identity and recognizes SiLU before fusing: conv1 + bn + silu', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    const c = x.conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: weights(36), bias: weights(2, 3) })
      .scale({ name: 'bn', mode: 'channel', scale: [2, 3], shift: [0.5, -1] })
      .mul(1, 'one');
    net.markOutput(c.mul(c.sigmoid('sig'), 'swish'), 'y');
    const { graph } = runPipeline(net.graph, buildPipeline());
    expect(graph.nodes.map((n) => n.name)).toEqual(['conv1 + bn + sig + swish']);
    expect(graph.nodes[0]!.fused).toEqual(['conv1', 'bn', 'sig', 'swish']);
    expect(graph.nodes[0]!.attrs.activation).toBe('silu');
  });
});

describe('custom passes inserted by name', () => {
  const Mark = definePass({ name: 'MarkGraph', run: (g) => g });

  it('goes before or after a pass or a stage, at every level', () => {
    expect(passNames(insertBefore(buildPipeline(), 'FuseEpilogues', Mark))).toEqual([
      'FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'EraseIdentities', 'RecognizeActivations', 'RecognizeLayerNorm', 'FoldPadIntoConv', 'FoldScaleIntoConv', 'MarkGraph', 'FuseEpilogues', 'FuseResidualAdds', 'FusePointwise', 'AssignLayout', 'EliminateDeadLayers',
    ]);
    expect(passNames(insertAfter(buildPipeline({ optLevel: 1 }), 'simplify', Mark))).toEqual(['FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'MarkGraph']);
    // Through buildPipeline the anchor may be a pass this level does not run.
    expect(passNames(buildPipeline({ optLevel: 1, insert: [{ pass: Mark, after: 'FuseEpilogues' }] }))).toEqual(['FoldQdq', 'EliminateDeadLayers', 'FoldConstants', 'MarkGraph']);
    expect(passNames(buildPipeline({ optLevel: 0, insert: [{ pass: Mark, before: 'fuse' }] }))).toEqual(['MarkGraph']);
  });

  it('runs with the pipeline, and names the anchor it cannot find', () => {
    const seen: string[] = [];
    const Spy = definePass({ name: 'Spy', run: (g) => { seen.push(g.nodes.map((n) => n.op).join(',')); return g; } });
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [1, 2, 5, 5]).conv({ name: 'c', outChannels: 2, kernel: [3, 3], weights: weights(36) }).relu(), 'y');
    runPipeline(net.graph, buildPipeline({ insert: [{ pass: Spy, before: 'FuseEpilogues' }, { pass: Spy, after: 'FuseEpilogues' }] }));
    expect(seen).toEqual(['Conv,Relu', 'Conv']);
    expect(() => insertBefore(buildPipeline(), 'FuseConvRelu', Mark)).toThrow("cannot insert 'MarkGraph' before 'FuseConvRelu': no pass or stage of that name; known: simplify, FoldQdq, EliminateDeadLayers");
    expect(() => buildPipeline({ insert: [{ pass: Mark }] })).toThrow("custom pass 'MarkGraph' needs exactly one of 'before' or 'after'");
  });

  it('a custom pass can rewrite the graph', () => {
    const RenameLast = definePass({ name: 'RenameLast', run: (g) => edit(g, (d) => { d.nodes[d.nodes.length - 1]!.name = 'last'; }) });
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [2]).relu('r'), 'y');
    expect(runPipeline(net.graph, buildPipeline({ insert: [{ pass: RenameLast, after: 'tidy' }] })).graph.nodes[0]!.name).toBe('last');
  });
});
