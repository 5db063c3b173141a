// The 'cublasLt' tactic without a GPU: which layers are offered it (only where the
// build says the library is here), the records emitted for 1x1 NHWC convs and a
// constant-weight gemm (the column-major arithmetic of kernels/cublaslt.ts), the
// record's round trip through the plan's CUDA section and its validation, and the
// refusal of such a plan on a machine without libcublasLt, naming layer and library.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanCublasLt, PlanDesc } from '../../codegen/plan-desc.js';
import { buildCudaTarget, emitCuda, withCuda, type CudaNative, type CudaProgram } from '../../codegen/cuda/index.js';
import type { CudaPrecision } from '../../codegen/cuda/precision.js';
import { Network } from '../../src/index.js';
import { interpret, mulberry32 } from '../../src/interpret/index.js';
import { native } from '../../src/runtime/native.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { compareF32, lowerNetwork } from './helpers.js';
import { fixChecksum } from '../native/plan-fixtures.js';
import { emulatePlan, hasGxx } from './emulate.js';
import { renderKernel, type Param } from '../../codegen/cuda/render.js';
import { CUDA_DIALECT as D } from '../../codegen/cuda/dialect.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const values = (seed: number, n: number) => {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * 0.3);
};

/** 1x1 convs (bias + relu; bias + residual + relu), a 3x3 conv, and a classifier gemm after a relu. */
function ltNet(): Network {
  const net = new Network({ name: 'cublasLt' });
  const x = net.input('x', 'f32', [2, 16, 6, 5]);
  const a = x.conv({ name: 'la', outChannels: 32, kernel: [1, 1], weights: values(1, 32 * 16), bias: values(2, 32) }).relu('lr0');
  const b = a.conv({ name: 'lb', outChannels: 16, kernel: [1, 1], weights: values(3, 16 * 32), bias: values(4, 16) }).add(x, 'lskip').relu('lr1');
  net.markOutput(b.conv({ name: 'lc', outChannels: 8, kernel: [3, 3], padding: [1, 1], weights: values(5, 8 * 16 * 9) }), 'y');
  const v = net.input('v', 'f32', [4, 300]);
  net.markOutput(v.relu('lvr').fullyConnected({ name: 'lfc', outputs: 20, weights: values(6, 20 * 300), bias: values(7, 20) }), 'fc');
  return net;
}

const layerIndex = (plan: PlanDesc, name: string) => {
  const i = plan.layers.findIndex((l) => l.name.split(' ')[0] === name);
  if (i < 0) throw new Error(`no layer '${name}' in ${plan.layers.map((l) => l.name).join(', ')}`);
  return i;
};

/** Each layer's offered tactics in the tuning module. */
function offered(plan: PlanDesc, precision: CudaPrecision, cublasLt: boolean): Map<string, string[]> {
  const tuning = emitCuda(plan, { precision, allTactics: true, cublasLt });
  const out = new Map<string, string[]>();
  tuning.launches.forEach((l, i) => {
    const name = plan.layers[l.layer]!.name.split(' ')[0]!, t = tuning.launchTactics[i];
    if (t !== undefined && !out.get(name)?.includes(t)) out.set(name, [...(out.get(name) ?? []), t]);
  });
  return out;
}

/** The plan with 'cublasLt' forced on the named layers. */
function forced(plan: PlanDesc, precision: CudaPrecision, layers: string[]): CudaProgram {
  return emitCuda(plan, { precision, tactics: plan.layers.map((l) => (layers.includes(l.name.split(' ')[0]!) ? 'cublasLt' : undefined)) });
}

const recordOf = (program: CudaProgram, plan: PlanDesc, name: string): PlanCublasLt => {
  const launches = program.launches.filter((l) => l.layer === layerIndex(plan, name));
  expect(launches).toHaveLength(1);
  expect(launches[0]!.cublasLt).toBeDefined();
  return launches[0]!.cublasLt!;
};

// Stands in for the cubin: the reader keeps its bytes; only an engine loads them.
const fakeCubin = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

describe("tactic 'cublasLt'", () => {
  const plan = lowerNetwork(ltNet(), 3, 'cuda');

  it('is offered for 1x1 NHWC convs and the constant-weight gemm only where the build says the library is here', () => {
    for (const precision of ['fp16', 'bf16', 'fp32'] as const) {
      const without = offered(plan, precision, false);
      const withLt = offered(plan, precision, true);
      for (const [layer, tactics] of without) expect(tactics, `${precision} ${layer}`).not.toContain('cublasLt');
      for (const layer of ['la', 'lb', 'lfc']) {
        expect(withLt.get(layer), `${precision} ${layer}`).toContain('cublasLt');
        expect(withLt.get(layer)!.filter((t) => t !== 'cublasLt'), `${precision} ${layer}`).toEqual(without.get(layer));
      }
      expect(withLt.get('lc'), `${precision} 3x3`).not.toContain('cublasLt');
    }
  });

  it('emits a 1x1 NHWC conv as D (Cout x pixels) = W^T x X with bias, relu and the residual as C', () => {
    const program = forced(plan, 'fp16', ['la', 'lb']);
    const la = recordOf(program, plan, 'la'), lb = recordOf(program, plan, 'lb');
    const pixels = 2 * 6 * 5;
    expect(la).toMatchObject({
      typeAB: 'f16', typeCD: 'f16', transA: 1, transB: 0, m: 32, n: pixels, k: 16, lda: 16, ldb: 16, ldc: 32,
      batch: 1, epilogue: 'reluBias', beta: 0,
    });
    expect(la.c).toBeUndefined();
    expect(lb).toMatchObject({ typeAB: 'f16', typeCD: 'f16', transA: 1, transB: 0, m: 16, n: pixels, k: 32, lda: 32, ldb: 32, ldc: 16, epilogue: 'reluBias', beta: 1 });
    const layerB = plan.layers[layerIndex(plan, 'lb')]!;
    expect(lb.b).toBe(layerB.inputs[0]);
    expect(lb.c).toBe(layerB.inputs[layerB.inputs.length - 1]);
    expect(lb.d).toBe(layerB.outputs[0]);
    // Weights and bias are 16-bit copies appended as constants (Cout rows of C, bias of Cout).
    const tensors = [...plan.tensors, ...program.tensors];
    expect(tensors[lb.a]).toMatchObject({ dtype: 'f16', shape: [16, 32], location: 'weights' });
    expect(tensors[lb.bias!]).toMatchObject({ dtype: 'f16', shape: [16], location: 'weights' });
    // No kernel in the module for them: a comment stands in its place.
    expect(program.source).toContain(`// ${program.launches.find((l) => l.cublasLt === lb)!.function}: cuBLASLt matmul`);
  });

  it('emits f32 convs with the plan\'s own weights and bias', () => {
    const la = recordOf(forced(plan, 'fp32', ['la']), plan, 'la');
    const layer = plan.layers[layerIndex(plan, 'la')]!;
    expect(la).toMatchObject({ typeAB: 'f32', typeCD: 'f32', transA: 1, m: 32, k: 16, lda: 16, a: layer.inputs[1], bias: layer.inputs[2], epilogue: 'reluBias' });
  });

  it('emits a gemm against constant weights as D (N x M) = W^T x A, its f32 output and bias as they are', () => {
    const program = forced(plan, 'fp16', ['lfc']);
    const fc = recordOf(program, plan, 'lfc');
    const layer = plan.layers[layerIndex(plan, 'lfc')]!;
    expect(fc).toMatchObject({
      typeAB: 'f16', typeCD: 'f32', transA: 1, transB: 0, m: 20, n: 4, k: 300, lda: 304, ldb: 300, ldc: 20,
      epilogue: 'bias', beta: 0, b: layer.inputs[0], d: layer.outputs[0], bias: layer.inputs[2],
    });
    expect([...plan.tensors, ...program.tensors][fc.a]).toMatchObject({ dtype: 'f16', shape: [20, 304] });
  });

  it('refuses a forced cublasLt where the layer is not one GEMM, naming the layer', () => {
    expect(() => forced(plan, 'fp16', ['lc'])).toThrow("layer 'lc' (convNhwc): the CUDA backend has no tactic 'cublasLt' here: cuBLASLt runs only 1x1 convs of stride 1 without padding");
  });
});

/**
 * A GPU that is not there (as in timing-cache.test.ts), with cuBLASLt or without. Launch times
 * come from `ms` (by layer, whether a cuBLASLt call, function); by default cublasLt is fastest.
 */
function fakeGpu(lt: boolean, ms: (layer: string, isLt: boolean, fn: string) => number = (_l, isLt) => (isLt ? 0.001 : 0.01)) {
  const timedTactics: string[] = [];
  const timedLayers = new Set<string>();
  const gpu: CudaNative = {
    cudaDevices: () => ({ available: true, devices: [{ index: 0, name: 'fake GPU', arch: 90, multiprocessors: 132 }] }),
    nvrtcInfo: () => ({ available: true, version: 'fake' }),
    cublasLtInfo: () => (lt ? { available: true, version: '13.0.0' } : { available: false, reason: 'libcublasLt not found (fake)' }),
    cudaCompile: () => ({ cubin: fakeCubin, log: '' }),
    serializePlan: (desc) => native().serializePlan(desc),
    cudaTimeLaunches: (bytes) => native().inspectPlan(bytes).cuda!.launches.map((l) => {
      const layer = l.layer.split(' ')[0]!;
      if (l.cublasLt) timedTactics.push(l.function);
      timedLayers.add(layer);  // tuning modules hold only the layers being timed
      return ms(layer, l.cublasLt !== undefined, l.function);
    }),
  };
  return { gpu, timedTactics, timedLayers };
}

describe('the builder and cuBLASLt', () => {
  const cublasLtLayers = (plan: PlanDesc) => plan.cuda!.launches.filter((l) => l.cublasLt).map((l) => plan.layers[l.layer]!.name.split(' ')[0]);

  it('times cublasLt against the generated tiles on this machine\'s GPU where the library loads, and keeps the winner', () => {
    const plan = lowerNetwork(ltNet(), 3, 'cuda');
    const { gpu, timedTactics } = fakeGpu(true);
    plan.cuda = buildCudaTarget(plan, gpu, { device: 0, compiler: 'auto', autotune: true, precision: 'fp16' });
    expect(timedTactics).toHaveLength(3);
    expect(cublasLtLayers(plan)).toEqual(['la', 'lb', 'lfc']);
    const info = JSON.parse(plan.layers[layerIndex(plan, 'la')]!.info) as { tactic: string };
    expect(info.tactic).toBe('cublasLt');
    native().serializePlan(plan);
  });

  it('shares timing-cache entries between builds with and without the library, retiming where cublasLt was not timed', () => {
    const cache = new TimingCache();
    // cublasLt wins 'la' only; the generated tactics' times differ by function.
    const ms = (layer: string, isLt: boolean, fn: string) => (isLt ? (layer === 'la' ? 0.001 : 0.05) : 0.01 + (createHash('sha256').update(fn).digest()[0]! / 1e5));
    const build = (lt: boolean) => {
      const plan = lowerNetwork(ltNet(), 3, 'cuda');
      const fake = fakeGpu(lt, ms);
      plan.cuda = buildCudaTarget(plan, fake.gpu, { device: 0, compiler: 'auto', autotune: true, precision: 'fp16', cache });
      return { plan, timed: [...fake.timedLayers].sort() };
    };
    const first = build(true);
    expect(first.timed).toEqual(['la', 'lb', 'lc', 'lfc']);
    expect(cublasLtLayers(first.plan)).toEqual(['la']);
    // Without the library the entries of lb, lc and lfc serve as they are; la's winner is not on offer, so la is timed again.
    const without = build(false);
    expect(without.timed).toEqual(['la']);
    expect(cublasLtLayers(without.plan)).toEqual([]);
    const tactic = (plan: PlanDesc, name: string) => (JSON.parse(plan.layers[layerIndex(plan, name)]!.info) as { tactic: string }).tactic;
    for (const name of ['lb', 'lc', 'lfc']) expect(tactic(without.plan, name)).toBe(tactic(first.plan, name));
    // With the library again, la's new entry never timed cublasLt: timed once more, and cublasLt wins it back.
    const again = build(true);
    expect(again.timed).toEqual(['la']);
    expect(cublasLtLayers(again.plan)).toEqual(['la']);
    expect(build(true).timed).toEqual([]);
  });

  it('never offers it without the library, nor when cross-building for another architecture', () => {
    const without = lowerNetwork(ltNet(), 3, 'cuda');
    const a = fakeGpu(false);
    without.cuda = buildCudaTarget(without, a.gpu, { device: 0, compiler: 'auto', autotune: true, precision: 'fp16' });
    expect(a.timedTactics).toEqual([]);
    expect(cublasLtLayers(without)).toEqual([]);
    const cross = lowerNetwork(ltNet(), 3, 'cuda');
    const b = fakeGpu(true);
    cross.cuda = buildCudaTarget(cross, b.gpu, { device: 0, arch: 'sm_80', compiler: 'auto', autotune: true, precision: 'fp16' });
    expect(b.timedTactics).toEqual([]);
    expect(cublasLtLayers(cross)).toEqual([]);
  });
});

describe('cuBLASLt records in the plan', () => {
  const plan = lowerNetwork(ltNet(), 3, 'cuda');
  const program = forced(plan, 'fp16', ['la', 'lb', 'lfc']);
  const full = withCuda(plan, program, fakeCubin, 90, 'test');

  it('round-trip through serializePlan and inspectPlan', () => {
    const info = native().inspectPlan(native().serializePlan(full));
    expect(info.cuda!.launches).toHaveLength(program.launches.length);
    program.launches.forEach((l, i) => {
      expect(info.cuda!.launches[i]!.function).toBe(l.function);
      expect(info.cuda!.launches[i]!.cublasLt).toEqual(l.cublasLt);
    });
    expect(program.launches.filter((l) => l.cublasLt)).toHaveLength(3);
  });

  it('are validated: leading dims, the tensors for beta and the epilogue, extents and overlaps', () => {
    const i = program.launches.findIndex((l) => l.cublasLt && l.layer === layerIndex(plan, 'lb'));
    const with_ = (change: Partial<PlanCublasLt>) => ({
      ...full, cuda: { ...full.cuda!, launches: full.cuda!.launches.map((l, k) => (k === i ? { ...l, cublasLt: { ...l.cublasLt!, ...change } } : l)) },
    });
    const where = `plan CUDA launch ${i} '${program.launches[i]!.function}' of layer '${plan.layers[layerIndex(plan, 'lb')]!.name}'`;
    expect(() => native().serializePlan(with_({ lda: 8 }))).toThrow(`${where}: cuBLASLt leading dims 8/32/16 are below the rows 32/32/16`);
    expect(() => native().serializePlan(with_({ c: undefined }))).toThrow(`${where}: cuBLASLt needs A, B and D, C exactly when beta is 1, and a bias exactly for a bias epilogue`);
    expect(() => native().serializePlan(with_({ epilogue: 'relu' }))).toThrow(/a bias exactly for a bias epilogue/);
    expect(() => native().serializePlan(with_({ n: 200 }))).toThrow(new RegExp(`${where.replace(/[+()]/g, '\\$&')}: cuBLASLt B spans \\d+ bytes but tensor`));
    expect(() => native().serializePlan(with_({ typeAB: 'f32', typeCD: 'f16' }))).toThrow(/cuBLASLt types A\/B 0, C\/D 1 are not one of/);
    const rec = program.launches[i]!.cublasLt!;
    expect(() => native().serializePlan(with_({ d: rec.b }))).toThrow(`${where}: cuBLASLt D overlaps B`);
    expect(() => native().serializePlan(with_({ d: rec.a }))).toThrow(`${where}: cuBLASLt D must be an arena tensor`);
  });

  it('are read back only with a known launch kind and a whole record', () => {
    const bytes = native().serializePlan(full);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Sections after the header: tag, reserved, u64 payload bytes, payload.
    let at = view.getUint32(12, true);
    while (String.fromCharCode(...bytes.subarray(at, at + 4)) !== 'CUDA') at += 16 + Number(view.getBigUint64(at + 8, true));
    // Past arch, compiler and count, each launch: layer, function, kind, then a kernel's 32 bytes
    // and its arguments, or a cuBLASLt record's 100.
    const i = program.launches.findIndex((l) => l.cublasLt);
    let launch = at + 16 + 12;
    for (let k = 0; k < i; k++) launch += view.getUint32(launch + 8, true) === 0 ? 12 + 32 + 4 * view.getUint32(launch + 40, true) : 12 + 100;
    const kind = launch + 8;
    expect(view.getUint32(kind, true)).toBe(1);
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(kind, 7, true);
    expect(() => native().inspectPlan(fixChecksum(bad))).toThrow(`plan CUDA launch ${i} has unknown kind 7`);
    const kernel = bytes.slice();
    new DataView(kernel.buffer).setUint32(kind, 0, true);  // the record read as a kernel's geometry: refused as out of range
    expect(() => native().inspectPlan(fixChecksum(kernel))).toThrow(/^plan (is truncated|CUDA launch)/);
  });

  it('make a plan refused where libcublasLt does not load, naming the layer and the library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-lt-'));
    try {
      writeFileSync(join(dir, 'plan.bin'), native().serializePlan(full));
      // A child process, so the library search (made once per process) sees only a missing file.
      const script = `const k = require(${JSON.stringify(join(root, 'build', 'Release', 'kiln.node'))});
        try { new k.Engine(require('fs').readFileSync(${JSON.stringify(join(dir, 'plan.bin'))})); console.log('{}'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
      const missing = '/nonexistent/libcublasLt.so.13';
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, KILN_CUBLASLT: missing }, encoding: 'utf8' })) as { code?: string; message?: string };
      const fn = program.launches.find((l) => l.cublasLt)!.function;
      expect(out.code).toBe('KILN_PLAN_TARGET');
      expect(out.message).toMatch(new RegExp(`^plan built for sm_90 by kiln \\S+; layer 'la \\+ lr0' runs on cuBLASLt \\(${fn}\\), and this machine has no cuBLASLt: libcublasLt not found \\(tried ${missing}\\)$`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('say whether the library is here', () => {
    const lt = native().cublasLtInfo();
    expect(typeof lt.available).toBe('boolean');
    if (!lt.available) expect(lt.reason).toMatch(/^libcublasLt not found \(tried libcublasLt\.so, libcublasLt\.so\.13, /);
    else expect(lt.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

/** Two fully connected layers (bias + relu; bias + residual + relu): the plan's only launches are cuBLASLt records. */
function fcNet(): Network {
  const net = new Network({ name: 'fcs' });
  const v = net.input('v', 'f32', [6, 40]);
  const h = v.fullyConnected({ name: 'f1', outputs: 24, weights: values(11, 24 * 40), bias: values(12, 24) }).relu('r1');
  net.markOutput(h.fullyConnected({ name: 'f2', outputs: 24, weights: values(13, 24 * 24), bias: values(14, 24) }).add(h, 'skip').relu('r2'), 'y');
  return net;
}

const gxx = ['/usr/bin/g++', '/usr/local/bin/g++'].find((p) => existsSync(p));

describe.skipIf(!gxx)('cuBLASLt records on a stand-in driver and library (CPU, test/gpu/fake-cuda)', () => {
  it('run through the engine, the runner and its CUDA graph, and equal the interpreter', () => {
    const net = fcNet();
    const plan = lowerNetwork(net, 3);
    const program = emitCuda(plan, { tactics: plan.layers.map(() => 'cublasLt') });
    expect(program.launches.every((l) => l.cublasLt)).toBe(true);
    const v = { dtype: 'f32' as const, shape: [6, 40], data: values(15, 240).map((x) => x * 5) };
    const expected = interpret(net.graph, { v }).y!.data as Float32Array;
    const dir = mkdtempSync(join(tmpdir(), 'kiln-fake-cuda-'));
    try {
      const src = join(root, 'test', 'gpu', 'fake-cuda');
      execFileSync(gxx!, ['-std=c++17', '-O1', '-shared', '-fPIC', '-Wl,-soname,libcuda.so.1', '-o', join(dir, 'libcuda.so.1'), join(src, 'fake-driver.cc')]);
      execFileSync(gxx!, ['-std=c++17', '-O1', '-shared', '-fPIC', '-o', join(dir, 'libcublasLt.so'), join(src, 'fake-cublaslt.cc'), join(dir, 'libcuda.so.1')]);
      writeFileSync(join(dir, 'plan.bin'), native().serializePlan(withCuda(plan, program, fakeCubin, 90, 'test')));
      writeFileSync(join(dir, 'v.json'), JSON.stringify(Array.from(v.data)));
      // Graph replay (twice: a replay must not depend on the capture run), then launch by launch.
      const script = `const k = require(${JSON.stringify(join(root, 'build', 'Release', 'kiln.node'))}), fs = require('fs');
        (async () => {
          const engine = new k.Engine(fs.readFileSync(${JSON.stringify(join(dir, 'plan.bin'))}));
          const input = [{ name: 'v', shape: [6, 40], data: Float32Array.from(JSON.parse(fs.readFileSync(${JSON.stringify(join(dir, 'v.json'))}, 'utf8'))) }];
          const runs = [];
          for (const graph of ['1', '0']) {
            process.env.KILN_CUDA_GRAPH = graph;
            const ctx = new k.Context(engine, 1);
            for (let i = 0; i < 2; i++) runs.push(Array.from((await ctx.run(input))[0].data));
          }
          console.log(JSON.stringify({ target: engine.info().target, runs }));
        })().catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, LD_LIBRARY_PATH: dir, KILN_CUBLASLT: join(dir, 'libcublasLt.so') }, encoding: 'utf8',
      })) as { target?: string; runs?: number[][]; message?: string };
      expect(out.message).toBeUndefined();
      expect(out.target).toBe('cuda sm_90');
      expect(out.runs).toHaveLength(4);
      for (const run of out.runs!) expect(compareF32(Float32Array.from(run), expected, 1e-5, 1e-5)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * cuBLASLt's documented meaning of a record (column-major, op() per transpose, C read only
 * for beta 1, bias per row of D before relu) as a one-thread kernel for the CPU emulator, so
 * the records of a 16-bit plan are checked end to end against the interpreter.
 */
function ltAsKernel(name: string, r: PlanCublasLt): string {
  const load = (type: PlanCublasLt['typeAB'], p: string, i: string) => (type === 'f32' ? `((const float*)${p})[${i}]` : `${D.half.toFloat}(((const unsigned short*)${p})[${i}])`);
  const params: Param[] = [{ name: 'a', type: 'void' }, { name: 'b', type: 'void' }, ...(r.c !== undefined ? [{ name: 'c', type: 'void' }] : []), { name: 'd', type: 'void', out: true }, ...(r.bias !== undefined ? [{ name: 'bias', type: 'void' }] : [])];
  const body = [
    `for (long j = 0; j < ${r.n}; ++j) for (long i = 0; i < ${r.m}; ++i) {`,
    '  float v = 0.f;',
    `  for (long l = 0; l < ${r.k}; ++l) v += ${load(r.typeAB, 'a', r.transA ? `l + i * ${r.lda}` : `i + l * ${r.lda}`)} * ${load(r.typeAB, 'b', r.transB ? `j + l * ${r.ldb}` : `l + j * ${r.ldb}`)};`,
    r.beta ? `  v += ${load(r.typeCD, 'c', `i + j * ${r.ldc}`)};` : '',
    r.bias !== undefined ? `  v += ${load(r.typeCD, 'bias', 'i')};` : '',
    r.epilogue === 'relu' || r.epilogue === 'reluBias' ? '  v = v > 0.f ? v : 0.f;' : '',
    r.typeCD === 'f32' ? `  ((float*)d)[i + j * ${r.ldc}] = v;` : `  ((unsigned short*)d)[i + j * ${r.ldc}] = ${D.half.fromFloat}(v);`,
    '}',
  ].filter(Boolean).join('\n');
  return renderKernel(name, params, 1, false, body);
}

describe.skipIf(!hasGxx())('16-bit cuBLASLt records under the CPU emulator (cuBLASLt semantics as a kernel)', () => {
  const net = ltNet();
  const rng = mulberry32(21);
  const inputs = {
    x: { dtype: 'f32' as const, shape: [2, 16, 6, 5], data: Float32Array.from({ length: 960 }, () => rng() * 4 - 2) },
    v: { dtype: 'f32' as const, shape: [4, 300], data: Float32Array.from({ length: 1200 }, () => rng() * 4 - 2) },
  };
  const expected = interpret(net.graph, inputs);

  it.each(['fp16', 'bf16', 'fp32'] as const)('%s: the 1x1 convs and the gemm as records equal the interpreter', (precision) => {
    const plan = lowerNetwork(net, 3, 'cuda');
    const program = forced(plan, precision, ['la', 'lb', 'lfc']);
    expect(program.launches.filter((l) => l.cublasLt)).toHaveLength(3);
    const emulated: CudaProgram = {
      ...program,
      source: `${program.source}\n${program.launches.map((l, i) => (l.cublasLt ? ltAsKernel(`kiln_lt_${i}`, l.cublasLt) : '')).join('\n')}\n`,
      launches: program.launches.map((l, i) => (l.cublasLt ? { ...l, function: `kiln_lt_${i}`, cublasLt: undefined } : l)),
    };
    const given = new Map(plan.inputs.map((t) => [t, new Uint8Array((inputs[plan.tensors[t]!.name as 'x' | 'v'].data).slice().buffer)]));
    const outs = emulatePlan(plan, emulated, given);
    plan.outputs.forEach((t, i) => {
      const name = plan.tensors[t]!.name;
      const want = expected[name]!.data as Float32Array;
      const tol = precision === 'fp32' ? 1e-4 : precision === 'fp16' ? 1e-2 : 6e-2;
      expect(compareF32(new Float32Array(outs[i]!.buffer), want, tol, tol * Math.max(...Array.from(want, Math.abs))), `${precision} output '${name}'`).toBeUndefined();
    });
  }, 120_000);
});
