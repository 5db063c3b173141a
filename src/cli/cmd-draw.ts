// `kiln draw PLAN|MODEL`: one self-contained HTML page showing what the builder did.
// For a MODEL: the network before and after optimization side by side, layers
// coloured by precision, and the memory plan as a timeline of tensors in the arena.
// For a PLAN: its layers as a graph (the plan keeps neither the original network nor,
// in what the native reader exposes, the tensors' arena offsets). --profile adds the
// per-layer timings as bars.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions } from './build-options.js';
import { PLAN_PRECISION_NOTE, arenaTensors, layerPrecision } from './cmd-inspect.js';
import { drawGraphFromEngine, drawGraphFromNetwork, layoutGraph, type DrawGraph } from './draw-layout.js';
import { legendHtml, page, type PageSection } from './draw-page.js';
import { graphSvg, profileSvg, timelineSvg } from './draw-svg.js';
import { loadTarget, type Target } from './model.js';
import { cliLogger } from './progress.js';
import { formatBytes, formatMs } from './style.js';
import type { LayerProfile } from '../runtime/context.js';
import { INPUT_FLAGS, parseInputFiles, prepareInputs } from './tensors.js';

export const drawCommand: Command = {
  spec: {
    name: 'draw',
    positionals: ['PLAN|MODEL'],
    summary: 'Write an HTML page drawing the graph before/after optimization and the memory plan.',
    description: 'The page is self-contained (inline SVG, CSS and script; no network access). Click a layer to highlight\nwhat it was fused from and the tensors it writes.',
    flags: [
      { name: 'output', kind: 'string', metavar: 'FILE', help: 'where to write the page (default: <model name>.html)' },
      { name: 'profile', kind: 'boolean', help: 'also time every layer (profiled runs on seeded inputs) and draw the per-layer profile' },
      ...INPUT_FLAGS,
      ...BUILD_FLAGS,
    ],
    examples: ['kiln draw model.ts --shapes x:1x48 --output model.html', 'kiln draw out/mnist.plan --profile'],
  },

  async run(flags, [path]) {
    const options = resolveBuildOptions(flags);
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: false });
    let target: Target;
    try {
      target = await loadTarget(path!, options, logger, (f) => flags.has(f));
    } finally {
      done();
    }
    const out = flags.string('output') ?? `${basename(path!).replace(/\.[^.]*$/, '')}.html`;
    let profile: LayerProfile | undefined;
    if (flags.bool('profile')) {
      const inputs = prepareInputs(target.engine.inputs, parseInputFiles(flags.list('input')), flags.int('seed', 1), (m) => logger.verbose(m), options.shapes);
      const feed = Object.fromEntries(inputs.map((t) => [t.name, { data: t.tensor.data, shape: t.tensor.shape }]));
      profile = await target.engine.createExecutionContext({ threads: options.threads }).profile(feed, { iterations: 20, warmup: 2 });
    }
    const html = drawPage(target, profile);
    writeFileSync(out, html);
    const layers = target.engine.layers.length;
    console.log(`wrote ${out} (${formatBytes(html.length)}): ${target.built ? `${target.built.report.layersBefore} layers before optimization, ` : ''}${layers} after, memory plan ${target.built ? 'drawn' : 'not available for a plan'}`);
    return 0;
  },
};

function graphSection(title: string, note: string | undefined, g: DrawGraph, id: string): PageSection {
  return { title, note, svg: graphSvg(g, layoutGraph(g), id) };
}

export function drawPage(target: Target, profile?: LayerProfile): string {
  const { engine } = target;
  const graphs: PageSection[] = [];
  const below: PageSection[] = [];
  let drawn: DrawGraph[];
  if (target.model && target.built) {
    const { report } = target.built;
    const before = drawGraphFromNetwork(target.model.graph);
    const after = drawGraphFromNetwork(report.optimized);
    drawn = [before, after];
    graphs.push(graphSection(`Before optimization: ${report.layersBefore} layers`, 'the network as defined', before, 'before'));
    const changed = report.passes.filter((p) => p.changed).map((p) => p.pass);
    graphs.push(graphSection(`After optimization: ${report.layersAfter} layers`, `passes that changed the graph: ${changed.join(', ') || 'none'}`, after, 'after'));
    const tensors = arenaTensors(target)!;
    below.push({
      title: `Memory plan: arena ${formatBytes(report.arenaBytes)} (${report.arenaBytes} B)`,
      note: `${tensors.length} tensors; each bar spans the layers during which its tensor is live, at its offset in the arena. Live peak ${report.memory.lowerBound} B; ${report.memory.noReuseBytes} B without reuse.`,
      svg: timelineSvg(tensors, report.optimized.nodes.map((n) => n.name), report.arenaBytes),
    });
  } else {
    const g = drawGraphFromEngine(engine, (l) => layerPrecision(l, undefined));
    drawn = [g];
    graphs.push(graphSection(`Plan layers: ${engine.layers.length}`, `precision: ${PLAN_PRECISION_NOTE}`, g, 'plan'));
    below.push({
      title: `Memory: arena ${formatBytes(engine.arenaBytes)}, weights ${formatBytes(engine.weightsBytes)}`,
      note: 'the per-tensor timeline needs the tensors\' arena offsets, which the native plan reader does not expose yet; draw the MODEL to see it',
    });
  }
  if (profile) {
    const precisionOf = new Map(engine.layers.map((l) => [l.name, layerPrecision(l, target.built?.report.optimized)]));
    below.unshift({
      title: `Per-layer profile: ${formatMs(profile.totalMs)} ms per run`,
      note: `median of ${profile.iterations} profiled runs per layer (a timer around each kernel), in plan order; bar colour is the layer's precision`,
      svg: profileSvg(profile.layers.map((l) => ({ name: l.name, ms: l.medianMs, percent: l.percent, precision: precisionOf.get(l.name) ?? 'f32', ...(l.tactic ? { tactic: l.tactic } : {}) }))),
    });
  }
  const precisions = [...new Set(drawn.flatMap((g) => g.nodes.map((n) => n.precision)))].sort((a, b) => (a === 'io' ? 1 : b === 'io' ? -1 : a.localeCompare(b)));
  const subtitle = `${target.kind === 'plan' ? 'plan' : 'model'} ${target.path} · kiln ${engine.kilnVersion} · inputs ${engine.inputs.map((t) => t.name).join(', ')} · outputs ${engine.outputs.map((t) => t.name).join(', ')}`;
  return page(`kiln draw: ${basename(target.path)}`, subtitle, legendHtml(precisions), graphs, below);
}
