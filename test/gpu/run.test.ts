// On a machine with a CUDA GPU: every kernel network and SampleMNIST built for
// target 'cuda' (NVRTC, or nvcc), run on the device and compared with the
// interpreter and PyTorch's probabilities; a plan for another architecture is
// refused naming both. Elsewhere the suite is skipped and says why.
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFp16, checkKernelNets, checkMnist, checkTactics, checkTargetRefusal, gpuUnavailable, type CheckResult } from './gpu-checks.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const why = gpuUnavailable();

const expectAll = (results: CheckResult[]) => {
  for (const r of results) expect(r.ok, `${r.name}: ${r.detail}`).toBe(true);
};

describe.skipIf(why !== undefined)('CUDA engines on this GPU', () => {
  it('run every kernel network as the interpreter does', async () => expectAll(await checkKernelNets()), 300_000);
  it('run every forced gemm/conv tactic as the interpreter does', async () => expectAll(await checkTactics()), 300_000);
  it('run fp16 (tensor-core tiles, split-K, half storage) within fp16 tolerance of the interpreter', async () => expectAll(await checkFp16()), 300_000);
  it('run SampleMNIST as PyTorch and the interpreter do, above 85% accuracy', async () => expectAll(await checkMnist(root)), 300_000);
  it('refuse a plan built for another architecture, naming both', () => expectAll([checkTargetRefusal(root, 'sm_80')]), 120_000);
});

describe.skipIf(why === undefined)('CUDA engines', () => {
  // Reported as a skipped test naming the reason, so a run without a GPU says what it left out.
  it(`are not tested here: ${why}`, (ctx) => ctx.skip());
});
