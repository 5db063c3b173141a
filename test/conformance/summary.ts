// The runner's printed summary: totals per folder, then pass / fail / unsupported per
// op (a case counts under the op it tests), then the most common reasons a case was
// unsupported or failed, so the next piece of work is obvious.
import type { CaseResult, Status } from './harness.js';

type Counts = Record<Status, number>;
const zero = (): Counts => ({ pass: 0, fail: 0, unsupported: 0 });

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

function tally(results: readonly CaseResult[], key: (r: CaseResult) => string): Map<string, Counts> {
  const m = new Map<string, Counts>();
  for (const r of results) {
    const c = m.get(key(r)) ?? zero();
    c[r.status]++;
    m.set(key(r), c);
  }
  return m;
}

const row = (name: string, c: Counts) => [name, String(c.pass), String(c.fail), String(c.unsupported), String(c.pass + c.fail + c.unsupported)];

/** Groups reasons by their first words (the op and kind of problem), most frequent first. */
function topReasons(results: readonly CaseResult[], status: Status, limit: number): string[] {
  const m = new Map<string, number>();
  for (const r of results) {
    if (r.status !== status || !r.reason) continue;
    const key = r.reason.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 110);
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k, n]) => `  ${String(n).padStart(4)}  ${k}`);
}

export function summarize(results: readonly CaseResult[], seconds: number): string {
  const byFolder = tally(results, (r) => r.folder);
  const total = zero();
  for (const c of byFolder.values()) for (const s of ['pass', 'fail', 'unsupported'] as const) total[s] += c[s];
  const folders = table([['folder', 'pass', 'fail', 'unsupported', 'total'], ...[...byFolder].map(([k, c]) => row(k, c)), row('all', total)]);
  const byOp = [...tally(results, (r) => r.op)].sort((a, b) => a[0].localeCompare(b[0]));
  const ops = table([['op', 'pass', 'fail', 'unsupported', 'total'], ...byOp.map(([k, c]) => row(k, c))]);
  const fixed = results.filter((r) => r.status === 'pass' && r.shapeValues).length;
  return [
    `ONNX backend conformance: ${results.length} cases in ${seconds.toFixed(1)} s`,
    '',
    folders,
    `(${fixed} of the passes fixed graph inputs such as axes or pads at import, as TensorRT's profile shape values do)`,
    '',
    ops,
    '',
    'most common failures:',
    ...topReasons(results, 'fail', 25),
    '',
    'most common unsupported reasons:',
    ...topReasons(results, 'unsupported', 25),
  ].join('\n');
}
