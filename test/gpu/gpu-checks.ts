// Checks that need a GPU, shared by the vitest suite (run.test.ts) and the device
// script (test/bench/gpu-mnist.ts, bundled to run where only Node and the addon are):
// every kernel network and SampleMNIST built for 'cuda', run on the device and
// compared with the interpreter and PyTorch. No test framework in here.
import { join } from 'node:path';
import { Builder, Runtime, type Logger, type Network, type WeightTensor } from '../../src/index.js';
import { interpret, type Tensor } from '../../src/interpret/index.js';
import { loadNpy, loadSafetensors } from '../../src/io/index.js';
import { INPUT, OUTPUT, defineMnistNetwork } from '../../samples/mnist/network.js';
import { emitCuda, withCuda } from '../../codegen/cuda/index.js';
import { TILE_NAMES } from '../../codegen/cuda/kernels/gemm-tile.js';
import { native } from '../../src/runtime/native.js';
import { compareF32, lowerNetwork, quiet } from './helpers.js';
import { kernelNets, splitNet, tacticNet, type KernelNet } from './kernel-nets.js';
import { MMA_TILE_NAMES, SPLIT_TILES } from '../../codegen/cuda/kernels/mma-tile.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Why GPU checks cannot run here, or undefined when they can. */
export function gpuUnavailable(): string | undefined {
  const d = Runtime.cudaDevices();
  if (!d.available) return d.reason;
  if (d.devices.length === 0) return 'the CUDA driver reports no GPU';
  return undefined;
}

export function buildCuda(net: Network, options: { arch?: string; compiler?: 'auto' | 'nvrtc' | 'nvcc'; autotune?: boolean; logger?: Logger } = {}): Uint8Array {
  const builder = new Builder(options.logger ?? quiet);
  const config = builder.createBuilderConfig();
  config.target = 'cuda';
  config.cudaArch = options.arch;
  config.cudaCompiler = options.compiler ?? 'auto';
  config.cudaAutotune = options.autotune;
  return builder.buildSerializedNetwork(net, config);
}

async function runEngine(plan: Uint8Array, inputs: Record<string, Tensor>) {
  const ctx = new Runtime(quiet).deserializeEngine(plan).createExecutionContext();
  return ctx.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { data: t.data, shape: t.shape }])));
}

export async function checkKernelNets(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const k of kernelNets()) {
    const expected = interpret(k.net.graph, k.inputs);
    const out = await runEngine(buildCuda(k.net), k.inputs);
    for (const name of k.net.graph.outputs) {
      const bad = compareF32(out[name]!.data as Float32Array, expected[name]!.data as Float32Array);
      results.push({ name: `${k.name}.${name}`, ok: !bad, detail: bad ?? 'matches the interpreter' });
    }
  }
  return results;
}

/** Every gemm/conv tactic forced in turn (autotuning may pick any of them). */
export async function checkTactics(): Promise<CheckResult[]> {
  const n = native();
  const arch = n.cudaDevices().devices[0]!.arch;
  const results: CheckResult[] = [];
  const nets: KernelNet[] = [tacticNet(), kernelNets().find((k) => k.name === 'gemms')!];
  for (const k of nets) {
    const expected = interpret(k.net.graph, k.inputs);
    for (const tactic of ['skinny', 'dot', 'direct', ...TILE_NAMES]) {
      const plan = lowerNetwork(k.net);
      const program = emitCuda(plan, { tactics: plan.layers.map(() => tactic) });
      const cubin = n.cudaCompile(program.source, arch, `${k.name}-${tactic}.cu`).cubin;
      const out = await runEngine(n.serializePlan(withCuda(plan, program, cubin, arch, 'nvrtc')), k.inputs);
      for (const name of k.net.graph.outputs) {
        const bad = compareF32(out[name]!.data as Float32Array, expected[name]!.data as Float32Array);
        results.push({ name: `${k.name}.${name} with tactic ${tactic}`, ok: !bad, detail: bad ?? 'matches the interpreter' });
      }
    }
  }
  return results;
}

/** fp16 on the GPU: every tensor-core tile and split-K tactic forced in turn, and the kernel networks by rule. */
export async function checkFp16(): Promise<CheckResult[]> {
  const n = native();
  const arch = n.cudaDevices().devices[0]!.arch;
  const results: CheckResult[] = [];
  const runs: [KernelNet, string | undefined][] = [
    ...MMA_TILE_NAMES.map((t): [KernelNet, string] => [tacticNet(), t]),
    ...SPLIT_TILES.map((t): [KernelNet, string] => [splitNet(), `${t}.split`]),
    ...kernelNets().map((k): [KernelNet, undefined] => [k, undefined]),
  ];
  for (const [k, tactic] of runs) {
    const expected = interpret(k.net.graph, k.inputs);
    const plan = lowerNetwork(k.net);
    const program = emitCuda(plan, { tactics: plan.layers.map(() => tactic), precision: 'fp16' });
    const cubin = n.cudaCompile(program.source, arch, `${k.name}-${tactic ?? 'rule'}-fp16.cu`).cubin;
    const out = await runEngine(n.serializePlan(withCuda(plan, program, cubin, arch, 'nvrtc')), k.inputs);
    for (const name of k.net.graph.outputs) {
      const want = expected[name]!.data as Float32Array;
      const atol = 1e-2 * Math.max(...Array.from(want, Math.abs));
      const bad = compareF32(out[name]!.data as Float32Array, want, 1e-2, atol);
      results.push({ name: `fp16 ${k.name}.${name}${tactic ? ` with tactic ${tactic}` : ''}`, ok: !bad, detail: bad ?? `within rtol 1e-2, atol ${atol.toExponential(1)} of the interpreter` });
    }
  }
  return results;
}

export function mnistAssets(root: string) {
  const dir = join(root, 'samples', 'mnist');
  return {
    weights: loadSafetensors(join(dir, 'lenet-fashion.safetensors')) as unknown as Map<string, WeightTensor>,
    images: loadNpy(join(dir, 'test-images.npy')),
    labels: loadNpy(join(dir, 'test-labels.npy')),
    torch: loadNpy(join(dir, 'expected-probs.npy')),
  };
}

export const pixels = (images: { data: unknown }, start: number, count: number) =>
  Float32Array.from((images.data as Uint8Array).subarray(start * 784, (start + count) * 784));

/** All 500 shipped images in batches of 100 on the GPU: vs PyTorch, vs the interpreter, accuracy. */
export async function checkMnist(root: string): Promise<CheckResult[]> {
  const a = mnistAssets(root);
  const batch = 100;
  const net = defineMnistNetwork(a.weights, batch);
  const ctx = new Runtime(quiet).deserializeEngine(buildCuda(net)).createExecutionContext();
  const results: CheckResult[] = [];
  let correct = 0;
  const total = a.images.shape[0]!;
  for (let start = 0; start < total; start += batch) {
    const x = pixels(a.images, start, batch);
    const p = (await ctx.run({ [INPUT]: { data: x, shape: [batch, 1, 28, 28] } }))[OUTPUT]!.data as Float32Array;
    const torch = (a.torch.data as Float32Array).subarray(start * 10, (start + batch) * 10);
    const bad = compareF32(p, torch, 1e-3, 1e-5);
    results.push({ name: `mnist images ${start}..${start + batch - 1} vs PyTorch`, ok: !bad, detail: bad ?? 'within rtol 1e-3, atol 1e-5' });
    if (start === 0) {
      const ref = interpret(net.graph, { [INPUT]: { dtype: 'f32', shape: [batch, 1, 28, 28], data: x } })[OUTPUT]!;
      const badI = compareF32(p, ref.data as Float32Array);
      results.push({ name: 'mnist batch 0 vs interpreter', ok: !badI, detail: badI ?? 'within rtol 1e-4, atol 1e-5' });
    }
    for (let i = 0; i < batch; i++) {
      const row = Array.from(p.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === (a.labels.data as Uint8Array)[start + i]) correct++;
    }
  }
  results.push({ name: 'mnist accuracy', ok: correct / total >= 0.85, detail: `${correct}/${total} = ${(100 * correct / total).toFixed(2)}%` });
  return results;
}

/** A plan for another architecture is refused naming both sides. */
export function checkTargetRefusal(root: string, otherArch: string): CheckResult {
  const a = mnistAssets(root);
  const plan = buildCuda(defineMnistNetwork(a.weights, 1), { arch: otherArch });
  try {
    new Runtime(quiet).deserializeEngine(plan);
    return { name: `plan for ${otherArch} refused`, ok: false, detail: 'it loaded' };
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { name: `plan for ${otherArch} refused`, ok: err.code === 'KILN_PLAN_TARGET', detail: `${err.code}: ${err.message}` };
  }
}
