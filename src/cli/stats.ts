// Numbers the CLI reports: latency statistics for bench (trtexec's summary: min,
// max, mean, median, percentiles) and error statistics for compare (Polygraphy's:
// max / mean absolute and relative error, a histogram, and numpy.allclose's pass rule
// |actual - expected| <= atol + rtol * |expected| per element).
import { tensorValues, type Tensor } from '../interpret/index.js';
import { formatError } from './style.js';

export interface LatencyStats {
  min: number;
  max: number;
  mean: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  stddev: number;
}

/** Percentile by the nearest-rank method on sorted values (what trtexec reports). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function latencyStats(times: readonly number[]): LatencyStats {
  const s = [...times].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const variance = s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length;
  const mid = s.length >> 1;
  return {
    min: s[0]!,
    max: s[s.length - 1]!,
    mean,
    median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2,
    p90: percentile(s, 90),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    stddev: Math.sqrt(variance),
  };
}

export interface ErrorStats {
  count: number;
  maxAbs: number;
  meanAbs: number;
  maxRel: number;
  meanRel: number;
  /** Elements outside atol + rtol * |expected|. */
  mismatches: number;
  /** Index, actual and expected of the element with the largest absolute error. */
  worst: { index: number; actual: number; expected: number };
  /** Absolute errors by decade: [label, count]. */
  histogram: [string, number][];
  passed: boolean;
}

const DECADES = [-9, -8, -7, -6, -5, -4, -3, -2, -1, 0];

export function errorStats(actual: Tensor, expected: Tensor, atol: number, rtol: number): ErrorStats {
  const a = Float64Array.from(tensorValues(actual));
  const e = Float64Array.from(tensorValues(expected));
  if (a.length !== e.length) throw new Error(`cannot compare ${a.length} values with ${e.length}`);
  const buckets = new Array<number>(DECADES.length + 2).fill(0);
  let maxAbs = 0;
  let sumAbs = 0;
  let maxRel = 0;
  let sumRel = 0;
  let relCount = 0;
  let mismatches = 0;
  let worst = { index: 0, actual: a[0] ?? 0, expected: e[0] ?? 0 };
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    // Same non-finite values (NaN with NaN, +inf with +inf) agree; anything else non-finite is an infinite error.
    const same = x === y || (Number.isNaN(x) && Number.isNaN(y));
    const abs = same ? 0 : Number.isFinite(x - y) ? Math.abs(x - y) : Infinity;
    const rel = abs === 0 ? 0 : y !== 0 ? abs / Math.abs(y) : Infinity;
    if (abs > maxAbs) {
      worst = { index: i, actual: x, expected: y };
      maxAbs = abs;
    }
    sumAbs += abs;
    maxRel = Math.max(maxRel, rel);
    if (Number.isFinite(rel)) {
      sumRel += rel;
      relCount++;
    }
    if (!(abs <= atol + rtol * Math.abs(y))) mismatches++;
    buckets[bucketOf(abs)]!++;
  }
  const labels = ['0', ...DECADES.map((d) => `<= 1e${d}`), '> 1'];
  // Rows from the first to the last non-empty bucket, so gaps show as empty bars.
  const first = buckets.findIndex((c) => c > 0);
  const last = buckets.length - 1 - [...buckets].reverse().findIndex((c) => c > 0);
  return {
    count: a.length,
    maxAbs,
    meanAbs: a.length ? sumAbs / a.length : 0,
    maxRel,
    meanRel: relCount ? sumRel / relCount : 0,
    mismatches,
    worst,
    histogram: first < 0 ? [] : labels.map((l, k) => [l, buckets[k]!] as [string, number]).slice(first, last + 1),
    passed: mismatches === 0,
  };
}

/** Bucket 0: exact; 1..10: (1e(d-1), 1e(d)]; 11: above 1. */
function bucketOf(abs: number): number {
  if (abs === 0) return 0;
  for (let k = 0; k < DECADES.length; k++) if (abs <= 10 ** DECADES[k]!) return k + 1;
  return DECADES.length + 1;
}

/** The histogram as bars, one row per decade: `<= 1e-7  ######        123`. */
export function formatHistogram(h: readonly [string, number][], width = 30): string {
  const max = Math.max(1, ...h.map(([, c]) => c));
  const lw = Math.max(...h.map(([l]) => l.length));
  return h.map(([l, c]) => `${l.padStart(lw)} | ${'#'.repeat(Math.ceil((c / max) * width)).padEnd(width)} ${c}`).join('\n');
}

export function summarizeErrors(s: ErrorStats): string {
  return `max abs ${formatError(s.maxAbs)}, mean abs ${formatError(s.meanAbs)}, max rel ${formatError(s.maxRel)}, mean rel ${formatError(s.meanRel)}`;
}
