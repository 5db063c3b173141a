// The pass manager: composes passes (`sequential`, `fixpoint`) and runs a pipeline
// with instruments, as XLA and TVM do: dump the IR after each pass, time each pass,
// disable passes by name, and verify after each pass so a broken graph is blamed on
// the pass that broke it rather than on whatever trips over it later.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KilnError, printGraph, structuralEqual, verify, type Graph } from '../src/ir/index.js';
import { PassError, definePass, makeContext, type Logger, type Pass, type PassOptions } from './pass.js';

export interface Sequential {
  readonly kind: 'sequential';
  readonly name: string;
  readonly items: readonly PipelineItem[];
}

export type PipelineItem = Pass | Sequential;

export function sequential(name: string, items: readonly PipelineItem[]): Sequential {
  return Object.freeze({ kind: 'sequential', name, items: Object.freeze([...items]) });
}

/**
 * Runs `pass` until it returns its input unchanged (by identity). A pass that still
 * changes the graph after `maxIterations` runs is a bug (two rewrites undoing each
 * other, or a pass that rebuilds an equal graph), so it is an error, not a silent stop.
 */
export function fixpoint(pass: Pass, maxIterations = 10): Pass {
  return definePass({
    name: pass.name,
    requires: pass.requires,
    run: (graph, ctx) => {
      let current = graph;
      for (let i = 0; i < maxIterations; i++) {
        const next = pass.run(current, ctx);
        if (next === current) return current;
        if (i === maxIterations - 1) {
          const hint = structuralEqual(current, next)
            ? '; its last run returned a new but structurally equal graph: a pass must return its input object when it changes nothing'
            : '';
          throw new PassError(pass.name, `pass '${pass.name}' did not converge within ${maxIterations} iterations${hint}`);
        }
        current = next;
      }
      return current;
    },
  });
}

export interface PassReport {
  pass: string;
  ms: number;
  changed: boolean;
  layersBefore: number;
  layersAfter: number;
}

export interface RunOptions {
  logger?: Logger;
  /** Write the printed IR after each pass to `<dumpDir>/<NN>-<pass>.txt`; env KILN_DUMP does the same. */
  dumpDir?: string;
  /** Pass or stage names to skip. */
  disable?: readonly string[];
  /** Verify the graph before the first pass and after each one (default true). */
  verify?: boolean;
  options?: PassOptions;
}

export interface PipelineResult {
  graph: Graph;
  report: PassReport[];
}

interface Step {
  pass: Pass;
  /** The stage names enclosing the pass, outermost first. */
  path: readonly string[];
}

function flatten(items: readonly PipelineItem[], path: readonly string[], out: Step[]): Step[] {
  for (const item of items) {
    if (item.kind === 'pass') out.push({ pass: item, path });
    else flatten(item.items, [...path, item.name], out);
  }
  return out;
}

/** Every pass and stage name in a pipeline, for messages and `disable` checks. */
export function pipelineNames(pipeline: PipelineItem | readonly PipelineItem[]): string[] {
  const steps = flatten(Array.isArray(pipeline) ? pipeline : [pipeline as PipelineItem], [], []);
  return [...new Set(steps.flatMap((s) => [...s.path, s.pass.name]))];
}

/** Throws when `disable` names something the pipeline does not have: a typo must not silently keep a pass on. */
export function checkDisable(disable: readonly string[], known: readonly string[]): void {
  const unknown = disable.filter((d) => !known.includes(d));
  if (unknown.length > 0) {
    throw new KilnError('KILN_PASS', `cannot disable ${unknown.map((u) => `'${u}'`).join(', ')}: no pass or stage of that name; known: ${known.join(', ')}`, { argument: 'disable', received: unknown.join(', '), expected: known.join('|') });
  }
}

function checkRequires(steps: readonly Step[], enabled: readonly boolean[]): void {
  const ran = new Set<string>();
  steps.forEach((s, i) => {
    if (!enabled[i]) return;
    for (const r of s.pass.requires) {
      if (ran.has(r)) continue;
      const disabled = steps.some((t, j) => j < i && t.pass.name === r);
      throw new PassError(s.pass.name, `pass '${s.pass.name}' requires '${r}' to run before it, but ${disabled ? `'${r}' is disabled` : `the pipeline has no '${r}' before it`}`);
    }
    ran.add(s.pass.name);
  });
}

function verifyAfter(graph: Graph, pass: string | undefined): void {
  try {
    verify(graph);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (pass === undefined) throw new KilnError('KILN_PASS', `the input graph is invalid before any pass ran: ${msg}`);
    throw new PassError(pass, `pass '${pass}' produced an invalid graph: ${msg}`, { cause: e, layer: (e as KilnError).layer });
  }
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** Runs the enabled passes of a pipeline in order; returns the final graph and a per-pass report. */
export function runPipeline(graph: Graph, pipeline: PipelineItem | readonly PipelineItem[], options: RunOptions = {}): PipelineResult {
  const steps = flatten(Array.isArray(pipeline) ? pipeline : [pipeline as PipelineItem], [], []);
  const disable = options.disable ?? [];
  checkDisable(disable, pipelineNames(pipeline));
  const enabled = steps.map((s) => !disable.includes(s.pass.name) && !s.path.some((p) => disable.includes(p)));
  checkRequires(steps, enabled);
  const ctx = makeContext({ logger: options.logger, options: options.options });
  const shouldVerify = options.verify ?? true;
  const dumpDir = options.dumpDir ?? (process.env.KILN_DUMP || undefined);
  const width = Math.max(2, String(steps.length).length);
  const dump = (index: number, name: string, g: Graph) => {
    if (dumpDir === undefined) return;
    writeFileSync(join(dumpDir, `${String(index).padStart(width, '0')}-${safeFileName(name)}.txt`), `${printGraph(g)}\n`);
  };
  if (dumpDir !== undefined) mkdirSync(dumpDir, { recursive: true });
  if (shouldVerify) verifyAfter(graph, undefined);
  dump(0, 'input', graph);

  const report: PassReport[] = [];
  let current = graph;
  steps.forEach((step, i) => {
    if (!enabled[i]) return;
    const name = step.pass.name;
    const start = performance.now();
    let next: Graph;
    try {
      next = step.pass.run(current, ctx);
    } catch (e) {
      if (e instanceof PassError) throw e;
      throw new PassError(name, `pass '${name}' failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const ms = performance.now() - start;
    if (shouldVerify && next !== current) verifyAfter(next, name);
    report.push({ pass: name, ms, changed: next !== current, layersBefore: current.nodes.length, layersAfter: next.nodes.length });
    dump(report.length, name, next);
    current = next;
  });
  return { graph: current, report };
}

/** The report as an aligned table, for a CLI or a verbose log. */
export function formatReport(report: readonly PassReport[]): string {
  const w = Math.max(4, ...report.map((r) => r.pass.length));
  return report
    .map((r) => `${r.pass.padEnd(w)}  ${r.ms.toFixed(3).padStart(9)} ms  ${String(r.layersBefore).padStart(5)} -> ${String(r.layersAfter).padEnd(5)}${r.changed ? '' : '  (unchanged)'}`)
    .join('\n');
}

/** Where a custom pass goes: just before or just after the first pass or stage of that name. */
export interface PassInsertion {
  pass: PipelineItem;
  before?: string;
  after?: string;
}

function insertAt(pipeline: Sequential, anchor: string, items: readonly PipelineItem[], after: boolean): Sequential {
  let done = false;
  const visit = (seq: Sequential): Sequential => {
    const out: PipelineItem[] = [];
    for (const item of seq.items) {
      const hit = !done && item.name === anchor;
      if (hit) done = true;
      if (hit && !after) out.push(...items);
      out.push(item.kind === 'sequential' && !hit ? visit(item) : item);
      if (hit && after) out.push(...items);
    }
    return sequential(seq.name, out);
  };
  const result = visit(pipeline);
  if (!done) {
    throw new KilnError('KILN_PASS', `cannot insert ${items.map((i) => `'${i.name}'`).join(', ')} ${after ? 'after' : 'before'} '${anchor}': no pass or stage of that name; known: ${pipelineNames(pipeline.items).join(', ')}`, { argument: after ? 'after' : 'before', received: anchor });
  }
  return result;
}

/** A copy of `pipeline` with `items` run just before the first pass or stage named `anchor`. */
export function insertBefore(pipeline: Sequential, anchor: string, ...items: PipelineItem[]): Sequential {
  return insertAt(pipeline, anchor, items, false);
}

/** A copy of `pipeline` with `items` run just after the first pass or stage named `anchor`. */
export function insertAfter(pipeline: Sequential, anchor: string, ...items: PipelineItem[]): Sequential {
  return insertAt(pipeline, anchor, items, true);
}

/** Applies insertions in order; each names exactly one of `before` / `after`. */
export function applyInsertions(pipeline: Sequential, insertions: readonly PassInsertion[]): Sequential {
  return insertions.reduce((p, ins) => {
    if ((ins.before === undefined) === (ins.after === undefined)) {
      throw new KilnError('KILN_PASS', `custom pass '${ins.pass.name}' needs exactly one of 'before' or 'after'`, { argument: 'insert' });
    }
    return ins.before !== undefined ? insertBefore(p, ins.before, ins.pass) : insertAfter(p, ins.after!, ins.pass);
  }, pipeline);
}
