// npm run conformance: the ONNX backend conformance suite (../shared/onnx-backend) run
// through kiln's importer, builder and runtime in two worker processes. Prints pass /
// fail / unsupported per folder and per op, and writes every case's result to
// out/conformance.json.
//   npm run conformance -- [--folder node,simple] [--filter REGEX] [--out FILE]
//                          [--workers N] [--write-known-failures]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { supportedOnnxOps } from '../../src/onnx/index.js';
import { backendRoot, FOLDERS, listCases, type CaseResult } from './harness.js';
import { knownFailuresFile, writeKnownFailures } from './known-failures.js';
import { runPool } from './pool.js';
import { summarize } from './summary.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const root = backendRoot();
if (!root) {
  console.log('conformance: ../shared/onnx-backend is absent (a fresh clone has no shared folder); nothing to run.');
  process.exit(0);
}

const folders = option('folder')?.split(',') ?? [...FOLDERS];
const filter = option('filter');
const out = resolve(option('out') ?? 'out/conformance.json');
let cases = listCases(root, folders);
if (filter) cases = cases.filter((c) => new RegExp(filter).test(`${c.folder}/${c.name}`));

const started = performance.now();
const knownOps = supportedOnnxOps();
const results: CaseResult[] = await runPool(cases, {
  workers: Number(option('workers') ?? 2),
  knownOps,
  onResult: (r, done, total) => {
    if (process.stdout.isTTY) process.stdout.write(`\r${done}/${total} ${r.folder}/${r.name}`.padEnd(100).slice(0, 100));
  },
});
if (process.stdout.isTTY) process.stdout.write('\r'.padEnd(101) + '\r');

const seconds = (performance.now() - started) / 1000;
console.log(summarize(results, seconds));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), seconds: Math.round(seconds), cases: results }, null, 1));
console.log(`\nreport: ${out}`);
if (process.argv.includes('--write-known-failures')) {
  const n = writeKnownFailures(results, knownOps);
  console.log(`wrote ${n} known failures of supported-op cases to ${knownFailuresFile}`);
}
