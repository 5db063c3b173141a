// Runs cases in worker processes (two by default, one per core of CI machines), one
// case at a time per worker, each under a timeout: a case that hangs or kills its
// worker (a native crash) is recorded as failed and the worker replaced, so one bad
// case never stops the run.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseOp, modelOps, type CaseRef, type CaseResult } from './harness.js';

const workerFile = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');

export interface PoolOptions {
  workers?: number;
  timeoutMs?: number;
  knownOps?: readonly string[];
  onResult?: (r: CaseResult, done: number, total: number) => void;
}

function spawnWorker(knownOps: readonly string[]): Promise<ChildProcess> {
  const child = fork(workerFile, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, KILN_CONFORMANCE_OPS: JSON.stringify(knownOps) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr?.resume();
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`conformance worker exited (${code}) before it was ready`)));
  });
}

function runOn(child: ChildProcess, ref: CaseRef, timeoutMs: number): Promise<CaseResult | string> {
  return new Promise((resolve) => {
    const finish = (r: CaseResult | string) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(r);
    };
    const onMessage = (m: CaseResult) => finish(m);
    const onExit = (code: number | null, signal: string | null) => finish(`crash: the worker died (${signal ?? `exit ${code}`})`);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(`timeout: no result after ${timeoutMs / 1000} s`);
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(ref);
  });
}

export async function runPool(cases: readonly CaseRef[], options: PoolOptions = {}): Promise<CaseResult[]> {
  const knownOps = options.knownOps ?? [];
  const timeoutMs = options.timeoutMs ?? 60_000;
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    let child = await spawnWorker(knownOps);
    while (next < cases.length) {
      const i = next++;
      const ref = cases[i]!;
      const start = performance.now();
      const r = await runOn(child, ref, timeoutMs);
      if (typeof r === 'string') {
        const ops = modelOps(join(ref.dir, 'model.onnx'));
        results[i] = { folder: ref.folder, name: ref.name, op: caseOp(ref.name, ops, knownOps), ops, status: 'fail', reason: r, ms: Math.round(performance.now() - start) };
        child.kill('SIGKILL');
        child = await spawnWorker(knownOps);
      } else {
        results[i] = r;
      }
      options.onResult?.(results[i]!, ++done, cases.length);
    }
    child.disconnect();
    child.kill();
  };
  await Promise.all(Array.from({ length: Math.max(1, options.workers ?? 2) }, lane));
  return results;
}
