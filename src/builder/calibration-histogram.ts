// Range statistics of one tensor over the calibration batches, and the three ways
// TensorRT turns them into an int8 amax: min-max, a percentile of |x|, and entropy
// (the threshold whose 128-level quantization loses least information, by KL
// divergence). The histogram is single-pass: when a value exceeds its range the
// range doubles and pairs of bins merge, so the batches are read once and the same
// batches in the same order give the same bins everywhere.

export const HISTOGRAM_BINS = 2048;
const QUANT_LEVELS = 128;

export class AbsHistogram {
  /** Upper edge of the last bin; 0 until a nonzero value arrives. */
  range = 0;
  max = 0;
  readonly bins = new Float64Array(HISTOGRAM_BINS);

  add(values: ArrayLike<number>): void {
    let batchMax = 0;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]!);
      if (a > batchMax) batchMax = a;
    }
    if (!Number.isFinite(batchMax)) throw new Error('calibration data holds a non-finite value');
    if (batchMax > this.max) this.max = batchMax;
    if (batchMax > 0 && this.range === 0) this.range = batchMax;
    while (batchMax > this.range) this.grow();
    if (this.range === 0) {
      this.bins[0] = this.bins[0]! + values.length;
      return;
    }
    const perBin = HISTOGRAM_BINS / this.range;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor(Math.abs(values[i]!) * perBin);
      const at = b >= HISTOGRAM_BINS ? HISTOGRAM_BINS - 1 : b;
      this.bins[at] = this.bins[at]! + 1;
    }
  }

  /** Doubles the range: bin i of the new histogram holds old bins 2i and 2i+1. */
  private grow(): void {
    for (let i = 0; i < HISTOGRAM_BINS / 2; i++) this.bins[i] = this.bins[2 * i]! + this.bins[2 * i + 1]!;
    this.bins.fill(0, HISTOGRAM_BINS / 2);
    this.range *= 2;
  }

  get binWidth(): number {
    return this.range / HISTOGRAM_BINS;
  }
}

/** The smallest |x| bound that holds `percentile` percent of the values (bin upper edge). */
export function percentileAmax(h: AbsHistogram, percentile = 99.99): number {
  const total = h.bins.reduce((a, b) => a + b, 0);
  if (total === 0 || h.range === 0) return 0;
  const want = (total * percentile) / 100;
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) {
    seen += h.bins[i]!;
    if (seen >= want) return Math.min(h.max, (i + 1) * h.binWidth);
  }
  return h.max;
}

/**
 * Entropy calibration. For each candidate threshold of i bins (128..2048): P is the
 * histogram cut at i with the clipped tail added to its last bin; Q quantizes the
 * first i bins into 128 levels and spreads each level back over its nonzero bins.
 * The i with the smallest KL(P || Q) wins; amax is its upper edge. Bin 0 counts as
 * its neighbour does (as NVIDIA's calibrators do): a ReLU output's spike of exact
 * zeros, spread over level 0's other bins, would otherwise make every wide
 * threshold look lossy and pick a narrow one that clips a quarter of the range.
 */
export function entropyAmax(h: AbsHistogram): number {
  if (h.range === 0) return 0;
  const bins = Float64Array.from(h.bins);
  bins[0] = bins[1]!;
  let last = HISTOGRAM_BINS;
  while (last > 0 && bins[last - 1] === 0) last--;
  if (last <= QUANT_LEVELS) return Math.min(h.max, last * h.binWidth);
  let bestI = last;
  let bestKl = Infinity;
  const p = new Float64Array(HISTOGRAM_BINS);
  const q = new Float64Array(HISTOGRAM_BINS);
  for (let i = QUANT_LEVELS; i <= last; i++) {
    let tail = 0;
    for (let j = i; j < HISTOGRAM_BINS; j++) tail += bins[j]!;
    for (let j = 0; j < i; j++) p[j] = bins[j]!;
    p[i - 1] = p[i - 1]! + tail;
    // Level k covers bins [k*i/128, (k+1)*i/128): integer edges, so every bin belongs to one level.
    for (let k = 0; k < QUANT_LEVELS; k++) {
      const start = Math.floor((k * i) / QUANT_LEVELS);
      const end = Math.floor(((k + 1) * i) / QUANT_LEVELS);
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < end; j++) if (bins[j] !== 0) (sum += bins[j]!, nonzero++);
      const share = nonzero > 0 ? sum / nonzero : 0;
      for (let j = start; j < end; j++) q[j] = bins[j] !== 0 ? share : 0;
    }
    const kl = klDivergence(p, q, i);
    if (kl < bestKl) (bestKl = kl, bestI = i);
  }
  return Math.min(h.max, bestI * h.binWidth);
}

/** KL(P || Q) over the first n bins, both normalized; a P mass where Q has none costs a fixed penalty. */
function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  let sp = 0;
  let sq = 0;
  for (let j = 0; j < n; j++) (sp += p[j]!, sq += q[j]!);
  if (sp === 0 || sq === 0) return Infinity;
  let kl = 0;
  for (let j = 0; j < n; j++) {
    const pj = p[j]! / sp;
    if (pj === 0) continue;
    const qj = q[j]! / sq;
    // P's clipped tail lands where Q may be empty: treat as a large but finite loss, as TensorRT does with smoothing.
    kl += qj === 0 ? pj * 20 : pj * Math.log(pj / qj);
  }
  return kl;
}
