// The default pipeline, read top to bottom like a table of contents: named stages,
// each pass with the optimization level from which it runs and why it sits where it
// does. Level 0 runs nothing; each level adds passes, 5 runs them all.
import { applyInsertions, checkDisable, insertBefore, pipelineNames, sequential, type PassInsertion, type PipelineItem, type Sequential } from './manager.js';
import { assignPrecision } from './assign-precision.js';
import type { PrecisionOptions } from './precision.js';
import { EliminateDeadLayers } from './eliminate-dead-layers.js';
import { EraseIdentities } from './erase-identities.js';
import { FoldConstants } from './fold-constants.js';
import { FoldQdq } from './fold-qdq.js';
import { FoldPadIntoConv } from './fold-pad-into-conv.js';
import { FoldScaleIntoConv } from './fold-scale-into-conv.js';
import { FuseEpilogues, FuseResidualAdds } from './fuse-epilogue.js';
import { FuseSiblings } from './fuse-siblings.js';
import { FusePointwise } from './fuse-pointwise.js';
import { AssignLayout } from './assign-layout.js';
import { RecognizeActivations } from './recognize-activations.js';
import { RecognizeLayerNorm } from './recognize-layer-norm.js';
import type { Pass } from './pass.js';

interface StagePass {
  pass: Pass;
  /** The lowest optimization level that runs this pass. */
  level: number;
  /** Ops the pass may create; it runs only where the target supports them all. */
  creates?: readonly string[];
}

interface Stage {
  name: string;
  passes: readonly StagePass[];
}

export const DEFAULT_STAGES: readonly Stage[] = [
  {
    name: 'simplify',
    passes: [
      // Explicit quantization (QDQ models) before anything else: constant folding would
      // turn DQ(int8 weights) into f32 weights and lose the codes the int8 layers need.
      { pass: FoldQdq, level: 1, creates: ['QConv', 'QGemm'] },
      // First drop what no output needs, so later passes neither work on dead code nor
      // see its readers (a dead second reader would block a fusion).
      { pass: EliminateDeadLayers, level: 1 },
      // Compute constant subgraphs now: the constants they become are what identity
      // erasure and scale folding look for (a reshaped weight, a computed 1).
      { pass: FoldConstants, level: 1 },
      // Drop layers that compute nothing, so the patterns below see through them.
      { pass: EraseIdentities, level: 2 },
    ],
  },
  {
    name: 'fold',
    passes: [
      // Before scale folding: GELU's `x * 0.5` must not be folded into the Conv feeding x.
      { pass: RecognizeActivations, level: 3, creates: ['Gelu', 'Silu', 'GeluTanh'] },
      // Also before scale folding: LayerNorm's gamma must not be folded into a MatMul.
      { pass: RecognizeLayerNorm, level: 3, creates: ['LayerNormalization'] },
      // A zero Pad before a Conv is the Conv's own padding: one layer and one copy fewer.
      { pass: FoldPadIntoConv, level: 3 },
      // Affine layers next to a Conv/MatMul disappear into its weights; this must come
      // before epilogue fusion, which puts an activation between the two.
      { pass: FoldScaleIntoConv, level: 3 },
    ],
  },
  {
    name: 'fuse',
    passes: [
      // Bias adds and activations into the Conv/MatMul feeding them: one kernel instead
      // of three, and two intermediate tensors fewer for the memory plan.
      { pass: FuseEpilogues, level: 2 },
      // After the bias is in: a skip connection's Add (and the Relu after it) joins the
      // epilogue, so a residual block's tail is one kernel (TensorRT's conv+bias+add+relu).
      { pass: FuseResidualAdds, level: 2 },
      // After epilogues, so siblings that end in the same activation merge with it;
      // one wide GEMM then reads the shared input once. Needs the target's Split.
      { pass: FuseSiblings, level: 4, creates: ['Split'] },
      // Last: whatever elementwise layers no Conv/MatMul absorbed fuse into one
      // Pointwise kernel per chain (TensorRT fuses pointwise chains by default, so
      // level 3). Needs the target's Pointwise kernel.
      { pass: FusePointwise, level: 3, creates: ['Pointwise'] },
    ],
  },
  {
    name: 'tidy',
    // Layouts on the fused layers (NHWC regions of 1x1 and depthwise convs, MobileNet's blocks);
    // then folding and fusion strand constants (a [1,N] bias becomes [N]); sweep them up.
    passes: [{ pass: AssignLayout, level: 3, creates: ['ConvNhwc', 'PoolNhwc'] }, { pass: EliminateDeadLayers, level: 2 }],
  },
];

export const DEFAULT_OPT_LEVEL = 3;

export interface PipelineOptions {
  /** 0 (no passes) .. 5 (all); default 3, as TensorRT's builder optimization level. */
  optLevel?: number;
  /** Pass or stage names to leave out; must name passes or stages of the default pipeline. */
  disable?: readonly string[];
  /** Custom passes, placed before or after a named pass or stage (see insertBefore). */
  insert?: readonly PassInsertion[];
  /** Whether the target can run an op; passes that create ops it cannot run are left out. */
  supports?: (op: string) => boolean;
  /** Lower precisions allowed (and per-layer constraints): adds a 'precision' stage before 'tidy'. */
  precision?: PrecisionOptions;
}

export function buildPipeline(options: PipelineOptions = {}): Sequential {
  const level = options.optLevel ?? DEFAULT_OPT_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 5) throw new RangeError(`buildPipeline: optLevel must be an integer 0..5, got ${level}`);
  const disable = options.disable ?? [];
  const supports = options.supports ?? (() => true);
  // Checked against every stage, not only this level's: disabling a pass that this
  // level does not run anyway is no mistake.
  checkDisable(disable, [...pipelineNames(DEFAULT_STAGES.map((s) => sequential(s.name, s.passes.map((p) => p.pass)))), 'precision', 'AssignPrecision', 'FuseInt8StemIO']);
  // Insert into the full pipeline, then leave out what this level does not run: an
  // anchor stays valid at every level, and custom passes always run.
  const full = sequential(`kiln-O${level}`, DEFAULT_STAGES.map((s) => sequential(s.name, s.passes.map((p) => p.pass))));
  const insertions = options.insert ?? [];
  const custom = new Set<PipelineItem>(insertions.map((i) => i.pass));
  const runs = (stage: string, item: PipelineItem) => {
    const spec = DEFAULT_STAGES.find((s) => s.name === stage)?.passes.find((p) => p.pass === item);
    return spec !== undefined && spec.level <= level && !disable.includes(spec.pass.name) && (spec.creates ?? []).every(supports);
  };
  const keep = (seq: Sequential): Sequential => sequential(seq.name, seq.items.flatMap((item): PipelineItem[] => {
    if (custom.has(item)) return [item];
    if (disable.includes(item.name)) return [];
    if (item.kind === 'pass') return runs(seq.name, item) || seq.name === 'precision' ? [item] : [];
    const inner = keep(item);
    return inner.items.length > 0 ? [inner] : [];
  }));
  // Precision comes from the build's config, not its level: after fusion, so each
  // fused layer gets one dtype and the casts sit between fused layers.
  const low = options.precision?.allowed.some((p) => p !== 'fp32');
  const withPrecision = !low ? full : insertBefore(full, 'tidy', sequential('precision', [assignPrecision(options.precision!)]));
  return keep(applyInsertions(withPrecision, insertions));
}
