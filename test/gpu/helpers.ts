// Shared by the GPU suites: lower a network to the plan description the builder
// would serialize, and compare float outputs with a tolerance and a useful message.
import { lowerToPlan, type PlanDesc } from '../../codegen/index.js';
import { cudaKernelNames } from '../../codegen/cuda/index.js';
import { Builder, Logger, type Network } from '../../src/index.js';
import { KILN_VERSION } from '../../src/version.js';
import { AssignLayout, applyPass } from '../../passes/index.js';
import type { Tensor } from '../../src/interpret/index.js';

export const quiet = new Logger('error');

/**
 * The plan description of `net` as the builder lowers it (CPU layers, no CUDA section yet);
 * layout 'cuda' applies the CUDA fp16 layout (every candidate conv NHWC) instead of the CPU's;
 * 'cuda-tf32' the same for tf32 (4-channel multiples).
 */
export function lowerNetwork(net: Network, optLevel = 3, layout: 'cpu' | 'cuda' | 'cuda-tf32' = 'cpu'): PlanDesc {
  const builder = new Builder(quiet);
  const config = builder.createBuilderConfig().setOptLevel(optLevel);
  // Built for the CPU (no GPU here), so leave out what a CUDA build leaves out too:
  // passes that introduce layers without a CUDA template (see supportsOp in the builder).
  config.disabledPasses = [...(cudaKernelNames().includes('pointwise') ? [] : ['FusePointwise']), ...(layout === 'cpu' ? [] : ['AssignLayout'])];
  builder.buildSerializedNetwork(net, config);
  const optimized = builder.lastBuild!.optimized;
  const graph = layout === 'cpu' ? optimized : applyPass(AssignLayout, optimized, { options: { layout: 'cuda', minLayersPerReformat: 0, nhwcChannels: layout === 'cuda' ? 8 : 4 } });
  return lowerToPlan(graph, { kilnVersion: KILN_VERSION, buildDigest: config.digest() }).plan;
}

/** The largest violation of |a - e| <= atol + rtol |e|, as a message, or undefined. */
export function compareF32(actual: Float32Array, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let worst = -1, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (Number.isNaN(a) !== Number.isNaN(e) || excess > worst) { worst = Number.isNaN(a) !== Number.isNaN(e) ? Infinity : excess; at = i; }
  }
  return worst > 0 ? `element ${at} is ${actual[at]}, expected ${expected[at]} (rtol ${rtol}, atol ${atol})` : undefined;
}

export const f32Bytes = (t: Tensor) => new Uint8Array((t.data as Float32Array).buffer.slice(0));
