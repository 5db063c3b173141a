// The pass manager's instruments and errors: disable by name, dumps, the timing
// report, fixpoint convergence, and verification that blames the pass that broke
// the graph. Error messages are part of the API, so they are asserted.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { edit, makeGraph, printGraph, type Graph } from '../../src/ir/index.js';
import {
  EliminateDeadLayers, FuseEpilogues, PassError, definePass, fixpoint, formatReport, runPipeline, sequential,
} from '../../passes/index.js';
import { collectingLogger, weights } from './helpers.js';

function sample(): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 2, 5, 5]);
  const y = x.conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: weights(36), bias: weights(2, 2) });
  y.sigmoid('dead');
  net.markOutput(y.relu('relu1'), 'y');
  return net.graph;
}

/** Renames the first Relu's layer: a change that the verifier accepts. */
const RenameRelu = definePass({
  name: 'RenameRelu',
  run: (g) => edit(g, (d) => {
    const n = d.nodes.find((m) => m.op === 'Relu');
    if (n) n.name = `${n.name}'`;
  }),
});

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
  delete process.env.KILN_DUMP;
});

describe('runPipeline', () => {
  it('runs passes in order and reports timing, change and layer counts', () => {
    const { graph, report } = runPipeline(sample(), sequential('p', [EliminateDeadLayers, FuseEpilogues, EliminateDeadLayers]));
    expect(graph.nodes.map((n) => n.name)).toEqual(['conv1 + relu1']);
    expect(report.map(({ pass, changed, layersBefore, layersAfter }) => ({ pass, changed, layersBefore, layersAfter }))).toEqual([
      { pass: 'EliminateDeadLayers', changed: true, layersBefore: 3, layersAfter: 2 },
      { pass: 'FuseEpilogues', changed: true, layersBefore: 2, layersAfter: 1 },
      { pass: 'EliminateDeadLayers', changed: false, layersBefore: 1, layersAfter: 1 },
    ]);
    for (const r of report) expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(formatReport(report)).toMatch(/FuseEpilogues\s+\d+\.\d{3} ms\s+2 -> 1/);
  });

  it('disables passes and stages by name', () => {
    const pipeline = [EliminateDeadLayers, sequential('fusion', [FuseEpilogues])];
    expect(runPipeline(sample(), pipeline, { disable: ['FuseEpilogues'] }).report.map((r) => r.pass)).toEqual(['EliminateDeadLayers']);
    expect(runPipeline(sample(), pipeline, { disable: ['fusion'] }).report.map((r) => r.pass)).toEqual(['EliminateDeadLayers']);
    expect(runPipeline(sample(), pipeline, { disable: ['EliminateDeadLayers', 'FuseEpilogues'] }).report).toEqual([]);
  });

  it('rejects an unknown name in disable, listing the known ones', () => {
    expect(() => runPipeline(sample(), sequential('p', [FuseEpilogues]), { disable: ['FuseConvRelu'] })).toThrow(
      "cannot disable 'FuseConvRelu': no pass or stage of that name; known: p, FuseEpilogues",
    );
  });

  it('dumps the IR after each pass to <dir>/<NN>-<pass>.txt, also through KILN_DUMP', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-dump-'));
    temps.push(dir);
    const { graph } = runPipeline(sample(), [EliminateDeadLayers, FuseEpilogues], { dumpDir: join(dir, 'a') });
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['00-input.txt', '01-EliminateDeadLayers.txt', '02-FuseEpilogues.txt']);
    expect(readFileSync(join(dir, 'a', '02-FuseEpilogues.txt'), 'utf8')).toBe(`${printGraph(graph)}\n`);
    expect(readFileSync(join(dir, 'a', '02-FuseEpilogues.txt'), 'utf8')).toContain('# conv1 + relu1');

    process.env.KILN_DUMP = join(dir, 'b');
    runPipeline(sample(), [FuseEpilogues], { disable: [] });
    expect(readdirSync(join(dir, 'b')).sort()).toEqual(['00-input.txt', '01-FuseEpilogues.txt']);
  });

  it('names the pass that produced an invalid graph', () => {
    const Break = definePass({ name: 'BreakWiring', run: (g) => edit(g, (d) => { d.nodes[0]!.inputs[0] = 'nowhere'; }) });
    const run = () => runPipeline(sample(), [EliminateDeadLayers, Break, FuseEpilogues]);
    expect(run).toThrow(PassError);
    expect(run).toThrow("pass 'BreakWiring' produced an invalid graph: layer 'conv1' (Conv): input 'nowhere' is not defined before the layer");
    try {
      run();
    } catch (e) {
      expect((e as PassError).pass).toBe('BreakWiring');
    }
    expect(() => runPipeline(sample(), [Break], { verify: false })).not.toThrow();
  });

  it('names a pass that throws, and refuses an invalid input before any pass', () => {
    const Throws = definePass({ name: 'Explode', run: () => { throw new Error('boom'); } });
    expect(() => runPipeline(sample(), [Throws])).toThrow("pass 'Explode' failed: boom");
    const invalid = makeGraph({ inputs: [], outputs: [], nodes: [], types: {}, constants: {} });
    expect(() => runPipeline(invalid, [FuseEpilogues])).toThrow('the input graph is invalid before any pass ran: the network has no outputs');
  });

  it('checks that required passes run first', () => {
    const Needy = definePass({ name: 'Needy', requires: ['EliminateDeadLayers'], run: (g) => g });
    expect(() => runPipeline(sample(), [Needy])).toThrow("pass 'Needy' requires 'EliminateDeadLayers' to run before it, but the pipeline has no 'EliminateDeadLayers' before it");
    expect(() => runPipeline(sample(), [EliminateDeadLayers, Needy], { disable: ['EliminateDeadLayers'] })).toThrow("but 'EliminateDeadLayers' is disabled");
    expect(runPipeline(sample(), [EliminateDeadLayers, Needy]).report.map((r) => r.pass)).toEqual(['EliminateDeadLayers', 'Needy']);
  });

  it('passes the logger and options to every pass', () => {
    const { logger, messages } = collectingLogger();
    const Echo = definePass({ name: 'Echo', run: (g, ctx) => { ctx.logger('info', `level ${String(ctx.options.optLevel)}`); return g; } });
    runPipeline(sample(), [Echo], { logger, options: { optLevel: 4 } });
    expect(messages).toEqual([{ severity: 'info', message: 'level 4' }]);
  });
});

describe('fixpoint', () => {
  it('reruns a pass until it returns its input', () => {
    let runs = 0;
    const PeelRelu = definePass({
      name: 'PeelRelu',
      run: (g) => {
        runs++;
        const relu = g.nodes.find((n) => n.op === 'Relu' && !g.outputs.includes(n.outputs[0]!));
        if (!relu) return g;
        return edit(g, (d) => {
          d.nodes = d.nodes.filter((n) => n.name !== relu.name);
          for (const n of d.nodes) n.inputs = n.inputs.map((i) => (i === relu.outputs[0] ? relu.inputs[0]! : i));
          delete d.types[relu.outputs[0]!];
        });
      },
    });
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [4]).relu().relu().relu().tanh(), 'y');
    const { graph, report } = runPipeline(net.graph, [fixpoint(PeelRelu, 5)]);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Tanh']);
    expect(runs).toBe(4);
    expect(report[0]!.pass).toBe('PeelRelu');
  });

  it('throws an error naming the pass when it does not converge', () => {
    expect(() => runPipeline(sample(), [fixpoint(RenameRelu, 3)])).toThrow("pass 'RenameRelu' did not converge within 3 iterations");
    const Rebuild = definePass({ name: 'Rebuild', run: (g) => makeGraph({ ...g }) });
    expect(() => runPipeline(sample(), [fixpoint(Rebuild, 2)])).toThrow(
      "pass 'Rebuild' did not converge within 2 iterations; its last run returned a new but structurally equal graph",
    );
  });
});
