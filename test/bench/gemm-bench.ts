// The GEMM micro-benchmark of `npm run bench`: kiln's blocked SGEMM on M=N=K=1024 and
// on the GEMM shapes of ResNet-18's convolutions at batch 1 (M = output channels,
// N = output pixels, K = input channels x taps), on one thread and on all, as a
// fraction of the machine's FMA peak measured by a loop of independent FMA chains.
// Each shape is one gemm layer (constant A, like conv weights) timed through the same
// native timeLayers the autotuner uses (median of repeated runs), on both register
// tiles the builder chooses between (gemm 6x16, gemmWide 4x24); a row reports the faster.
import type { PlanDesc, PlanTensor } from '../../codegen/plan-desc.js';
import { native } from '../../src/runtime/native.js';

export interface GemmShape {
  name: string;
  m: number;
  n: number;
  k: number;
  /** 'gemv': the fully connected tactic, a the input and b the constant weights. */
  kernel?: 'gemm' | 'gemmWide' | 'gemv';
}

export interface GemmRow extends GemmShape {
  threads: number;
  ms: number;
  gflops: number;
  /** gflops / the FMA peak on the same number of threads. */
  ofPeak: number;
}

export const GEMM_SHAPES: GemmShape[] = [
  { name: '1024^3', m: 1024, n: 1024, k: 1024 },
  { name: 'resnet18 conv1 7x7/2', m: 64, n: 112 * 112, k: 3 * 49 },
  { name: 'resnet18 layer1 3x3', m: 64, n: 56 * 56, k: 64 * 9 },
  { name: 'resnet18 layer2 3x3', m: 128, n: 28 * 28, k: 128 * 9 },
  { name: 'resnet18 layer2 1x1/2', m: 128, n: 28 * 28, k: 64 },
  { name: 'resnet18 layer3 3x3', m: 256, n: 14 * 14, k: 256 * 9 },
  { name: 'resnet18 layer4 3x3', m: 512, n: 7 * 7, k: 512 * 9 },
  { name: 'resnet18 fc', m: 1, n: 1000, k: 512 },
  { name: 'resnet18 fc (gemv)', m: 1, n: 1000, k: 512, kernel: 'gemv' },
];

function gemvPlan(s: GemmShape): PlanDesc {
  const aBytes = Math.ceil((s.m * s.k * 4) / 64) * 64;
  const a: PlanTensor = { name: 'a', dtype: 'f32', shape: [s.m, s.k], location: 'arena', offset: 0 };
  const b: PlanTensor = { name: 'b', dtype: 'f32', shape: [s.k, s.n], location: 'weights', offset: 0 };
  const y: PlanTensor = { name: 'y', dtype: 'f32', shape: [s.m, s.n], location: 'arena', offset: aBytes };
  const weights = new Float32Array(s.k * s.n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  return {
    kilnVersion: 'bench', buildDigest: new Uint8Array(32), targetIsa: [], arenaBytes: aBytes + Math.ceil((s.m * s.n * 4) / 64) * 64,
    weights: new Uint8Array(weights.buffer), tensors: [a, b, y], inputs: [0], outputs: [2],
    layers: [{ name: s.name, kernel: 'gemv', inputs: [0, 1], outputs: [2], ints: [0, 0, 0, 0], floats: [0, 0], info: '{}' }],
  };
}

function gemmPlan(s: GemmShape): PlanDesc {
  if (s.kernel === 'gemv') return gemvPlan(s);
  const a: PlanTensor = { name: 'a', dtype: 'f32', shape: [s.m, s.k], location: 'weights', offset: 0 };
  const b: PlanTensor = { name: 'b', dtype: 'f32', shape: [s.k, s.n], location: 'arena', offset: 0 };
  const bBytes = Math.ceil((s.k * s.n * 4) / 64) * 64;
  const y: PlanTensor = { name: 'y', dtype: 'f32', shape: [s.m, s.n], location: 'arena', offset: bBytes };
  const weights = new Float32Array(s.m * s.k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  return {
    kilnVersion: 'bench', buildDigest: new Uint8Array(32), targetIsa: [], arenaBytes: bBytes + Math.ceil((s.m * s.n * 4) / 64) * 64,
    weights: new Uint8Array(weights.buffer), tensors: [a, b, y], inputs: [1], outputs: [2],
    layers: GEMM_TILES.map((kernel) => ({ name: `${s.name} ${kernel}`, kernel, inputs: [0, 1], outputs: [2], ints: [0, 0, 0, 0], floats: [0, 0], info: '{}' })),
  };
}

const GEMM_TILES = ['gemm', 'gemmWide'] as const;

export function benchGemm(allThreads: number): { peak: Record<number, number>; rows: GemmRow[] } {
  const threadCounts = [...new Set([1, allThreads])];
  const peak: Record<number, number> = {};
  // The FMA loop on t threads keeps its best round; on a loaded host every round can
  // lose a core and read as one core's peak, which would inflate the t-thread fractions.
  // t times the 1-thread peak bounds it from below (conservative with SMT siblings).
  for (const t of threadCounts) peak[t] = Math.max(native().fmaPeak(t).gflops, t * (peak[1] ?? 0));
  const rows: GemmRow[] = [];
  for (const s of GEMM_SHAPES) {
    for (const t of threadCounts) {
      const flops = 2 * s.m * s.n * s.k;
      const { medianMs } = native().timeLayers(gemmPlan(s), { threads: t, warmup: 2, minIterations: 5, maxIterations: 200, budgetMs: 400 });
      const best = medianMs.indexOf(Math.min(...medianMs));
      const ms = medianMs[best]!;
      const gflops = flops / ms / 1e6;
      rows.push({ ...s, ...(s.kernel === 'gemv' ? {} : { kernel: GEMM_TILES[best]! }), threads: t, ms, gflops, ofPeak: gflops / peak[t]! });
    }
  }
  return { peak, rows };
}
