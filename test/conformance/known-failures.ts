// known-failures.json: the conformance cases of supported ops that do not pass yet,
// each with why. The vitest suite reads it so that a regression (a case not listed
// that stops passing) and progress (a listed case that now passes) both show up;
// `npm run conformance -- --write-known-failures` regenerates it from a run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseRef, CaseResult } from './harness.js';

export const knownFailuresFile = join(dirname(fileURLToPath(import.meta.url)), 'known-failures.json');

/** The folders the vitest suite runs. */
export const TESTED_FOLDERS = ['node', 'simple', 'pytorch-operator', 'pytorch-converted'];

export function readKnownFailures(): Record<string, string> {
  return existsSync(knownFailuresFile) ? (JSON.parse(readFileSync(knownFailuresFile, 'utf8')) as Record<string, string>) : {};
}

export const caseKey = (c: Pick<CaseRef, 'folder' | 'name'>) => `${c.folder}/${c.name}`;

/** True when every op of the model has an importer: the cases the suite requires to pass. */
export function allOpsSupported(ops: readonly string[], supported: ReadonlySet<string> | readonly string[]): boolean {
  const set = supported instanceof Set ? supported : new Set(supported as readonly string[]);
  return ops.length > 0 && ops.every((o) => set.has(o));
}

export function writeKnownFailures(results: readonly CaseResult[], supported: readonly string[]): number {
  const entries = results
    .filter((r) => TESTED_FOLDERS.includes(r.folder) && r.status !== 'pass' && allOpsSupported(r.ops, supported))
    .map((r) => [caseKey(r), `${r.status}: ${(r.reason ?? '').slice(0, 240)}`] as const)
    .sort((a, b) => a[0].localeCompare(b[0]));
  writeFileSync(knownFailuresFile, `${JSON.stringify(Object.fromEntries(entries), null, 1)}\n`);
  return entries.length;
}
