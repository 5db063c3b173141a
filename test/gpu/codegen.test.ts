// CI-safe tests of the CUDA code generator: fragments of the renderer (literals,
// activations, broadcast index math), determinism, the refusals, and, when nvcc is
// on PATH, that every kernel emitted for SampleMNIST and the kernel networks
// compiles to an sm_90 cubin. Nothing here needs a GPU.
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIVATION_CODES, type PlanDesc } from '../../codegen/plan-desc.js';
import { emitCuda, findNvcc, nvccCompiler, parseArch, withCuda } from '../../codegen/cuda/index.js';
import { activation, broadcastStrides, f32, gatherIndex } from '../../codegen/cuda/render.js';
import { chooseStorage, halfBits } from '../../codegen/cuda/precision.js';
import { toTf32 } from '../../codegen/cuda/kernels/conv-nhwc.js';
import { native } from '../../src/runtime/native.js';
import { defineMnistNetwork } from '../../samples/mnist/network.js';
import { mnistAssets } from './gpu-checks.js';
import { lowerNetwork } from './helpers.js';
import { kernelNets, nhwcNet, splitNet } from './kernel-nets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mnistPlan = () => lowerNetwork(defineMnistNetwork(mnistAssets(root).weights, 2));
const nvcc = findNvcc();

describe('CUDA renderer fragments', () => {
  it('prints float literals that round-trip through float32, and the special values as bit patterns', () => {
    expect(f32(1)).toBe('1.00000000f');
    expect(f32(0.1)).toBe('0.100000001f');
    expect(f32(-2.5e-8)).toBe('-2.50000003e-8f');
    expect(f32(-Infinity)).toBe('__int_as_float(0xff800000)');
    expect(f32(NaN)).toBe('__int_as_float(0x7fc00000)');
  });

  it('renders activations as the CPU kernels compute them', () => {
    expect(activation(ACTIVATION_CODES.none, 'v', 0, 0)).toBe('');
    expect(activation(ACTIVATION_CODES.relu, 'v', 0, 0)).toBe('v = v > 0.f ? v : 0.f;');
    expect(activation(ACTIVATION_CODES.leakyRelu, 'v', 0.5, 0)).toBe('v = v >= 0.f ? v : v * 0.500000000f;');
    expect(activation(ACTIVATION_CODES.clip, 'v', -1, 1)).toBe('v = v < -1.00000000f ? -1.00000000f : v; v = 1.00000000f < v ? 1.00000000f : v;');
    expect(activation(ACTIVATION_CODES.geluTanh, 'v', 0, 0)).toBe('v = 0.5f * v * (1.f + tanhf(0.797884561f * (v + 0.044715f * v * v * v)));');
    expect(() => activation(99, 'v', 0, 0)).toThrow('unknown activation code 99');
  });

  it('computes broadcast strides aligned from the right and skips dims no operand uses', () => {
    expect(broadcastStrides([4], [2, 3, 4])).toEqual([0, 0, 1]);
    expect(broadcastStrides([2, 1, 4], [2, 3, 4])).toEqual([4, 0, 1]);
    const code = gatherIndex('i', [2, 3, 4], [{ name: 'ib', strides: [0, 0, 1] }], 'int');
    expect(code).toBe(['int ib = 0;', 'int r_ = i;', '{ const int c_ = (r_ % 4); ib += c_ * 1; r_ /= 4; }', 'r_ /= 3;', '{ const int c_ = r_; }'].join('\n'));
  });

  it('parses architectures and refuses nonsense', () => {
    expect(parseArch('sm_90')).toBe(90);
    expect(parseArch('sm_90a')).toBe(90);
    expect(parseArch(86)).toBe(86);
    expect(() => parseArch('volta')).toThrow("cudaArch must look like 'sm_90' (or 90), got 'volta'");
  });
});

describe('CUDA emission', () => {
  it('emits one kernel per SampleMNIST layer, none for the aliased flatten, with constant shapes', () => {
    const program = emitCuda(mnistPlan());
    const plan = mnistPlan();
    expect(program.launches.map((l) => plan.layers[l.layer]!.kernel)).toEqual(plan.layers.map((l) => l.kernel).filter((k) => k !== 'copy'));
    expect(program.source).toContain('extern "C" __global__ void __launch_bounds__(256) kiln_0_conv(');
    expect(program.source).toMatch(/implicit GEMM M=20 N=1152 K=25/);
    for (const l of program.launches) for (const a of l.args) expect(plan.layers[l.layer]!.inputs.concat(plan.layers[l.layer]!.outputs)).toContain(a);
  });

  it('is deterministic: the same plan gives the same source', () => {
    expect(emitCuda(mnistPlan()).source).toBe(emitCuda(mnistPlan()).source);
  });

  it('names the layer when a kernel has no CUDA template', () => {
    const plan = mnistPlan();
    plan.layers[1] = { ...plan.layers[1]!, kernel: 'fancy' };
    expect(() => emitCuda(plan)).toThrow("layer 'pool1' (fancy): the CUDA backend has no kernel 'fancy'");
  });

  it('refuses 3-D pooling with the layer named', () => {
    const plan = mnistPlan();
    const pool = plan.layers.find((l) => l.kernel === 'pool')!;
    pool.ints = [3, ...pool.ints.slice(1)];
    expect(() => emitCuda(plan)).toThrow(/layer 'pool1' \(pool\): the CUDA backend has no 3-D pooling kernel yet/);
  });
});

describe('fp16 storage', () => {
  it('rounds to half as cvt.rn.f16.f32 does: nearest even, subnormals, overflow to inf, NaN kept', () => {
    expect(halfBits(1)).toBe(0x3c00);
    expect(halfBits(-2)).toBe(0xc000);
    expect(halfBits(65504)).toBe(0x7bff);
    expect(halfBits(65520)).toBe(0x7c00);
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00);  // halfway, even stays
    expect(halfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);  // halfway, odd rounds up
    expect(halfBits(2 ** -24)).toBe(0x0001);
    expect(halfBits(2 ** -26)).toBe(0x0000);
    expect(halfBits(Infinity)).toBe(0x7c00);
    expect(halfBits(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('keeps network inputs and outputs f32 and stores the activations between them as half', () => {
    const plan = mnistPlan();
    const st = chooseStorage(plan, 'fp16');
    const io = new Set([...plan.inputs, ...plan.outputs]);
    plan.tensors.forEach((t, i) => expect(st.isHalf(t), t.name).toBe(t.location === 'arena' && !io.has(i)));
    expect(chooseStorage(plan, 'fp32').any).toBe(false);
  });

  it('converts conv weights to half rows padded to a multiple of 8 and uses tensor cores', () => {
    const plan = mnistPlan();
    const program = emitCuda(plan, { precision: 'fp16' });
    // The two convs; the fully connected layers of batch 2 take the skinny kernel (M <= 8) on f32 weights.
    expect(program.tensors.map((t) => [t.dtype, t.shape])).toEqual([['f16', [20, 32]], ['f16', [50, 504]]]);
    expect(program.weights.byteLength).toBeGreaterThan(plan.weights.byteLength);
    expect(program.source).toContain('implicit GEMM on tensor cores M=50 N=128 K=500 x 1 groups');
    expect(program.source).toContain('kiln_mma16816(acc[i][j], fa[i], fb[j]);');
  });
});

describe.skipIf(!nvcc)('nvcc compiles every emitted kernel for sm_90', () => {
  const cases: [string, () => PlanDesc][] = [['mnist', mnistPlan], ...kernelNets().map((k): [string, () => PlanDesc] => [k.name, () => lowerNetwork(k.net)]),
    ['nhwcConvs (CUDA layout)', () => lowerNetwork(nhwcNet().net, 3, 'cuda')]];
  it.each(cases)('%s', (_, plan) => {
    const cubin = nvccCompiler(nvcc!).compile(emitCuda(plan()).source, 90, 'test.cu');
    expect(String.fromCharCode(...cubin.subarray(1, 4))).toBe('ELF');
  }, 120_000);

  it.each(cases)('%s in fp16, every tactic (tensor-core tiles included)', (_, plan) => {
    const cubin = nvccCompiler(nvcc!).compile(emitCuda(plan(), { precision: 'fp16', allTactics: true }).source, 90, 'test.cu');
    expect(String.fromCharCode(...cubin.subarray(1, 4))).toBe('ELF');
  }, 300_000);

  it.each(cases.filter(([name]) => ['mnist', 'pointwiseConvs', 'nhwcConvs (CUDA layout)'].includes(name)))('%s in bf16, every tactic', (_, plan) => {
    const program = emitCuda(plan(), { precision: 'bf16', allTactics: true });
    expect(program.source).toContain('mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32');
    // Weight copies in bfloat16 (the workspace, when split-K needs one, stays f32).
    expect(program.tensors.some((t) => t.dtype === 'bf16') && !program.tensors.some((t) => t.dtype === 'f16')).toBe(true);
    const cubin = nvccCompiler(nvcc!).compile(program.source, 90, 'test.cu');
    expect(String.fromCharCode(...cubin.subarray(1, 4))).toBe('ELF');
  }, 300_000);

  it('rounds weights to tf32 as cvt.rna does: nearest, ties away from zero', () => {
    const v = toTf32(new Float32Array([1 + 2 ** -11, 1 + 2 ** -12, -(1 + 3 * 2 ** -11), 1 + 2 ** -10, Infinity]));
    expect(Array.from(v)).toEqual([1 + 2 ** -10, 1, -(1 + 2 ** -9), 1 + 2 ** -10, Infinity]);
  });

  it('nhwcConvs in tf32 (f32 storage, m16n8k8 tf32 tiles), every tactic', () => {
    const program = emitCuda(lowerNetwork(nhwcNet().net, 3, 'cuda-tf32'), { precision: 'tf32', allTactics: true });
    expect(program.source).toContain('kiln_mma1688tf32(acc[i][j], fa[i], fb[j]);');
    expect(program.source).toContain('tf32, tile 128x128x16');
    expect(program.tensors.some((t) => t.dtype === 'f32' && t.name.includes(':nhwc-f32'))).toBe(true);
    const cubin = nvccCompiler(nvcc!).compile(program.source, 90, 'test.cu');
    expect(String.fromCharCode(...cubin.subarray(1, 4))).toBe('ELF');
  }, 300_000);

  it('a split-K fp16 plan carries its half weights and workspace; a workspace over the layers\' bytes is refused', () => {
    const plan = lowerNetwork(splitNet().net);
    const program = emitCuda(plan, { precision: 'fp16', tactics: plan.layers.map(() => 'tc64x64.split') });
    expect(program.source).toContain('split-K: ');
    const full = withCuda(plan, program, nvccCompiler(nvcc!).compile(program.source, 90, 'split.cu'), 90, 'nvcc');
    expect(full.arenaBytes).toBeGreaterThan(plan.arenaBytes);
    expect(native().inspectPlan(native().serializePlan(full)).cuda!.launches.length).toBe(program.launches.length);
    const overlapping = { ...full, tensors: full.tensors.map((t) => (t.name === 'cuda workspace' ? { ...t, offset: 0 } : t)) };
    expect(() => native().serializePlan(overlapping)).toThrow(/argument tensor \d+ is neither an operand of the layer, a constant nor the workspace/);
  }, 120_000);

  it('a plan built for sm_90 without a GPU round-trips through inspect and is refused here with both sides named', () => {
    const plan = mnistPlan();
    const program = emitCuda(plan);
    plan.cuda = { arch: 90, compiler: 'nvcc', cubin: nvccCompiler(nvcc!).compile(program.source, 90, 'test.cu'), launches: program.launches };
    const bytes = native().serializePlan(plan);
    const info = native().inspectPlan(bytes);
    expect(info.target).toBe('cuda sm_90');
    expect(info.cuda!.launches.length).toBe(program.launches.length);
    if (native().cudaDevices().available) return;
    expect(() => new (native().Engine)(bytes)).toThrow(/^plan built for sm_90 by kiln .*; this machine: no CUDA driver \(libcuda.so.1 not found\)$/);
  }, 120_000);
});

describe.skipIf(nvcc)('nvcc', () => {
  // Reported as a skipped test, so a run without nvcc says which checks it left out.
  it('is not on PATH: the sm_90 compile checks are skipped', (ctx) => ctx.skip());
});
