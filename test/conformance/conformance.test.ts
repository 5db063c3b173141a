// The ONNX backend conformance cases whose ops all have importers must pass end to end
// (import, build, run, compare), unless known-failures.json lists them with a reason.
// Both directions are checked: an unlisted case that does not pass is a regression; a
// listed case that passes must leave the list (npm run conformance -- --write-known-failures).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { supportedOnnxOps } from '../../src/onnx/index.js';
import { backendRoot, listCases, modelOps } from './harness.js';
import { allOpsSupported, caseKey, readKnownFailures, TESTED_FOLDERS } from './known-failures.js';
import { runPool } from './pool.js';

const root = backendRoot();
if (!root) console.log('conformance: ../shared/onnx-backend is absent; the ONNX backend conformance test is skipped');

describe('ONNX backend conformance', () => {
  it.skipIf(!root)('every case of supported ops passes or is a listed known failure', async () => {
    const supported = supportedOnnxOps();
    const cases = listCases(root!, TESTED_FOLDERS).filter((c) => allOpsSupported(modelOps(join(c.dir, 'model.onnx')), supported));
    expect(cases.length).toBeGreaterThan(300);
    const results = await runPool(cases, { workers: 2, knownOps: supported });
    const known = readKnownFailures();
    const regressions = results.filter((r) => r.status !== 'pass' && !(caseKey(r) in known)).map((r) => `${caseKey(r)}: ${r.status}: ${r.reason}`);
    const fixed = results.filter((r) => r.status === 'pass' && caseKey(r) in known).map(caseKey);
    const passed = results.filter((r) => r.status === 'pass').length;
    console.log(`conformance: ${passed} of ${results.length} supported-op cases pass; ${Object.keys(known).length} known failures listed`);
    expect(regressions, 'cases that stopped passing (or new cases that fail)').toEqual([]);
    expect(fixed, 'listed in known-failures.json but passing now: regenerate the list with npm run conformance -- --write-known-failures').toEqual([]);
  });
});
