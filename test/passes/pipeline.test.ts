// The default pipeline: what each optimization level runs, disabling by name, and
// the dead-code-then-fuse ordering that lets a fusion happen.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { buildPipeline, pipelineNames, runPipeline, type Pass } from '../../passes/index.js';
import { weights } from './helpers.js';

const passNames = (p: ReturnType<typeof buildPipeline>) => p.items.map((i) => (i as Pass).name);

describe('buildPipeline', () => {
  it('runs nothing at level 0, dead-layer elimination at 1, fusion from 2, and defaults to 3', () => {
    expect(passNames(buildPipeline({ optLevel: 0 }))).toEqual([]);
    expect(passNames(buildPipeline({ optLevel: 1 }))).toEqual(['EliminateDeadLayers']);
    expect(passNames(buildPipeline({ optLevel: 2 }))).toEqual(['EliminateDeadLayers', 'FuseEpilogues', 'EliminateDeadLayers']);
    expect(buildPipeline().name).toBe('kiln-O3');
    expect(passNames(buildPipeline({ optLevel: 5 }))).toEqual(passNames(buildPipeline()));
    expect(() => buildPipeline({ optLevel: 6 })).toThrow('optLevel must be an integer 0..5, got 6');
  });

  it('leaves out disabled passes and rejects names it does not know', () => {
    expect(passNames(buildPipeline({ disable: ['FuseEpilogues'] }))).toEqual(['EliminateDeadLayers', 'EliminateDeadLayers']);
    expect(passNames(buildPipeline({ optLevel: 1, disable: ['FuseEpilogues'] }))).toEqual(['EliminateDeadLayers']);
    expect(() => buildPipeline({ disable: ['FuseConvActivation'] })).toThrow(
      "cannot disable 'FuseConvActivation': no pass or stage of that name; known: EliminateDeadLayers, FuseEpilogues",
    );
    expect(pipelineNames(buildPipeline())).toEqual(['kiln-O3', 'EliminateDeadLayers', 'FuseEpilogues']);
  });

  it('removes a dead reader first, so the conv and its relu can fuse', () => {
    const net = new Network();
    const y = net.input('x', 'f32', [1, 2, 5, 5]).conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: weights(36) });
    y.sigmoid('unused');
    net.markOutput(y.relu('relu1'), 'y');
    const input = net.graph;
    const { graph, report } = runPipeline(input, buildPipeline());
    expect(graph.nodes.map((n) => n.name)).toEqual(['conv1 + relu1']);
    expect(report.map((r) => [r.pass, r.changed])).toEqual([['EliminateDeadLayers', true], ['FuseEpilogues', true], ['EliminateDeadLayers', false]]);
    expect(runPipeline(input, buildPipeline({ optLevel: 0 })).graph).toBe(input);
  });
});
