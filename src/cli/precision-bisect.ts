// Which layers must stay fp32 (Polygraphy's `debug precision`): with every layer in
// the low precision the outputs fail the tolerance; pinning layers to fp32 (through
// --layer-precisions under obey) brings them back. The search, over the network's
// layers in topological order:
//   1. bisect the shortest prefix whose pinning passes (errors made early spread);
//   2. try unpinning each pinned layer, latest first, keeping every unpin that still passes.
// The result is a spec that passes, minimal in the sense that no single pinned layer can
// be released (not the smallest such set, which would take exponentially many builds).
export interface PrecisionSearch {
  /** Layers pinned to fp32 in a spec that passes. */
  fp32: string[];
  checks: number;
}

/** `a:fp32,b:fp32,*:fp16` (the CLI's --layer-precisions syntax). */
export function precisionSpec(fp32: readonly string[], low: string): string {
  return [...fp32.map((n) => `${n}:fp32`), `*:${low}`].join(',');
}

export async function bisectPrecision(layers: readonly string[], passes: (fp32: readonly string[]) => Promise<boolean>): Promise<PrecisionSearch> {
  let checks = 0;
  const check = async (fp32: readonly string[]) => (checks++, passes(fp32));
  // 1. lo pinned fails (0 is known to fail), hi pinned passes (all is known to pass).
  let [lo, hi] = [0, layers.length];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await check(layers.slice(0, mid))) hi = mid;
    else lo = mid;
  }
  let pinned = layers.slice(0, hi);
  // 2. Release what is not needed, latest first.
  for (let i = pinned.length - 1; i >= 0; i--) {
    const without = pinned.filter((_, k) => k !== i);
    if (await check(without)) pinned = without;
  }
  return { fp32: pinned, checks };
}
