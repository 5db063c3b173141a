// The generated CUDA kernels, run on the CPU by the emulator (emulator/: g++ with a
// thread per CUDA thread), against the interpreter: every kernel template and
// tactic on the kernel networks, and SampleMNIST. Catches index and logic errors in
// CI without a GPU; timing and memory-model questions stay with run.test.ts.
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitCuda } from '../../codegen/cuda/index.js';
import { MMA_TILE_NAMES } from '../../codegen/cuda/kernels/mma-tile.js';
import { interpret, type Tensor } from '../../src/interpret/index.js';
import type { Network } from '../../src/index.js';
import { INPUT, OUTPUT, defineMnistNetwork } from '../../samples/mnist/network.js';
import { emulatePlan, hasGxx } from './emulate.js';
import { mnistAssets, pixels } from './gpu-checks.js';
import { compareF32, lowerNetwork } from './helpers.js';
import { kernelNets, nhwcNet, splitNet, tacticNet } from './kernel-nets.js';
import { NHWC_TILES } from '../../codegen/cuda/kernels/conv-nhwc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function emulateAndCompare(net: Network, inputs: Record<string, Tensor>, rtol = 1e-4, tactic?: string, precision: 'fp32' | 'tf32' | 'fp16' | 'bf16' = 'fp32', layout: 'cpu' | 'cuda' | 'cuda-tf32' = 'cpu'): void {
  const plan = lowerNetwork(net, 3, layout);
  const given = new Map(plan.inputs.map((t) => [t, new Uint8Array((inputs[plan.tensors[t]!.name]!.data as Float32Array).slice().buffer)]));
  // Under the CUDA layout the tactic is forced on the NHWC convs only (the stem keeps its own).
  const tactics = plan.layers.map((l) => (layout === 'cpu' || l.kernel === 'convNhwc' ? tactic : undefined));
  if (layout !== 'cpu') expect(plan.layers.filter((l) => l.kernel === 'convNhwc').length).toBeGreaterThan(0);
  const outs = emulatePlan(plan, emitCuda(plan, { tactics, precision }), given);
  const expected = interpret(net.graph, inputs);
  // Half operands carry 11 significant bits: fp16 is held to an absolute error against the output's scale.
  plan.outputs.forEach((t, i) => {
    const name = plan.tensors[t]!.name;
    const want = expected[name]!.data as Float32Array;
    // bf16 keeps 8 significant bits to half's 11.
    const atol = precision === 'fp32' ? 1e-5 : (precision === 'bf16' ? 6e-2 : 1e-2) * Math.max(...Array.from(want, Math.abs));
    expect(compareF32(new Float32Array(outs[i]!.buffer), want, rtol, atol), `output '${name}'`).toBeUndefined();
  });
}

describe.skipIf(!hasGxx())('CUDA kernels under the CPU emulator equal the interpreter', () => {
  it.each(kernelNets().map((k) => [k.name, k] as const))('%s', (_, k) => emulateAndCompare(k.net, k.inputs), 120_000);

  // The rule picks short, small and skinny above; the other tactics are forced here.
  it.each(['square', 'wide', 'tall', 'direct', 'dot'])('conv and gemm with tactic %s', (tactic) => {
    // A thread per CUDA thread is slow: 'dot' (a warp per output) gets the network with the smallest gemms.
    const k = tactic === 'dot' ? kernelNets().find((n) => n.name === 'gemms')! : tacticNet();
    emulateAndCompare(k.net, k.inputs, 1e-4, tactic);
  }, 120_000);

  // fp16: half activations between layers, conv and gemm on tensor cores (the emulator's mma follows the PTX fragment layout).
  it.each(MMA_TILE_NAMES)('fp16 conv and gemm with tensor-core tile %s', (tactic) => {
    const k = tacticNet();
    emulateAndCompare(k.net, k.inputs, 1e-2, tactic, 'fp16');
  }, 120_000);

  it.each(['tc128x64.split', 'tc64x64.split', 'tc64x32.split'])('fp16 split-K tactic %s (workspace sums, then the epilogue)', (tactic) => {
    const k = splitNet();
    emulateAndCompare(k.net, k.inputs, 1e-2, tactic, 'fp16');
  }, 120_000);

  // The CUDA layout: NHWC convs on the cp.async tensor-core kernel, every tile and split-K; and in f32, the simple kernel.
  it.each([...Object.keys(NHWC_TILES), 'nc128x64.split', 'nc64x64.split', 'nc32x64.split'])('fp16 NHWC conv with tactic %s', (tactic) => {
    const k = nhwcNet();
    emulateAndCompare(k.net, k.inputs, 1e-2, tactic, 'fp16', 'cuda');
  }, 120_000);

  // bf16: the same kernels with bfloat16 storage, conversions and mma operands.
  it.each(['tc64x64', 'tc64x64.split'])('bf16 conv and gemm with tactic %s', (tactic) => {
    const k = tactic.endsWith('split') ? splitNet() : tacticNet();
    emulateAndCompare(k.net, k.inputs, 6e-2, tactic, 'bf16');
  }, 120_000);

  it.each(['nc128x128', 'nc64x64.split'])('bf16 NHWC conv with tactic %s', (tactic) => {
    const k = nhwcNet();
    emulateAndCompare(k.net, k.inputs, 6e-2, tactic, 'bf16', 'cuda');
  }, 120_000);

  it('bf16 storage through the encoder families', () => {
    const k = kernelNets().find((n) => n.name === 'encoderOps')!;
    emulateAndCompare(k.net, k.inputs, 6e-2, undefined, 'bf16');
  }, 120_000);

  // tf32: f32 storage, the NHWC convs on tensor cores reading f32 bits as tf32 (4 channels a chunk).
  it.each(['nc128x128', 'nc64x128', 'nc32x64', 'nc64x64.split'])('tf32 NHWC conv with tactic %s', (tactic) => {
    const k = nhwcNet();
    emulateAndCompare(k.net, k.inputs, 1e-2, tactic, 'tf32', 'cuda-tf32');
  }, 120_000);

  it('fp32 NHWC conv (a thread per output)', () => {
    const k = nhwcNet();
    emulateAndCompare(k.net, k.inputs, 1e-4, undefined, 'fp32', 'cuda');
  }, 120_000);

  it.each(['pointwise', 'movement', 'convpool', 'encoderOps', 'invertedResidual', 'pointwiseConvs'])('fp16 storage: %s', (name) => {
    const k = kernelNets().find((n) => n.name === name)!;
    emulateAndCompare(k.net, k.inputs, 1e-2, undefined, 'fp16');
  }, 120_000);

  it('SampleMNIST, batch 2', () => {
    const a = mnistAssets(root);
    emulateAndCompare(defineMnistNetwork(a.weights, 2), { [INPUT]: { dtype: 'f32', shape: [2, 1, 28, 28], data: pixels(a.images, 0, 2) } }, 1e-3);
    expect(OUTPUT).toBe('prob');
  }, 120_000);
});
