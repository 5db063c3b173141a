// The default pipeline, read top to bottom like a table of contents: each stage,
// the optimization level from which it runs, and why it sits where it does.
// Level 0 runs nothing; levels 3..5 are reserved for costlier passes to come.
import { checkDisable, pipelineNames, sequential, type Sequential } from './manager.js';
import { EliminateDeadLayers } from './eliminate-dead-layers.js';
import { FuseEpilogues } from './fuse-epilogue.js';
import type { Pass } from './pass.js';

interface Stage {
  pass: Pass;
  /** The lowest optimization level that runs this stage. */
  level: number;
}

export const DEFAULT_STAGES: readonly Stage[] = [
  // First drop what no output needs, so later passes neither work on dead code nor
  // see its readers (a dead second reader would block a fusion).
  { pass: EliminateDeadLayers, level: 1 },
  // Fold bias adds and activations into the Conv/MatMul feeding them: one kernel
  // instead of three, and two intermediate tensors fewer for the memory plan.
  { pass: FuseEpilogues, level: 2 },
  // Fusion strands constants (a [1,N] bias becomes [N]); sweep them up again.
  { pass: EliminateDeadLayers, level: 2 },
];

export const DEFAULT_OPT_LEVEL = 3;

export interface PipelineOptions {
  /** 0 (no passes) .. 5 (all); default 3, as TensorRT's builder optimization level. */
  optLevel?: number;
  /** Pass names to leave out; must name passes of the default pipeline. */
  disable?: readonly string[];
}

export function buildPipeline(options: PipelineOptions = {}): Sequential {
  const level = options.optLevel ?? DEFAULT_OPT_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 5) throw new RangeError(`buildPipeline: optLevel must be an integer 0..5, got ${level}`);
  const disable = options.disable ?? [];
  // Checked against every stage, not only this level's: disabling a pass that this
  // level does not run anyway is no mistake.
  checkDisable(disable, pipelineNames(DEFAULT_STAGES.map((s) => s.pass)));
  const passes = DEFAULT_STAGES.filter((s) => s.level <= level && !disable.includes(s.pass.name)).map((s) => s.pass);
  return sequential(`kiln-O${level}`, passes);
}
