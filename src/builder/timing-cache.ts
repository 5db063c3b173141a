// The timing cache (TensorRT's ITimingCache): what autotuning measured, keyed by the
// target and a layer's signature (kernel, parameters, operand types; never weight
// values), so a layer of the same shape in any model reuses the result. CPU targets
// ('cpu <model> | <ISA> | <GEMM kernel> | <n> threads', src/builder/autotune.ts) and
// CUDA targets ('cuda sm_90 | 132 SMs', codegen/cuda/autotune.ts) are separate keys
// in one file, so neither ever answers the other's lookups. Serialized as JSON with
// sorted keys: the same content always gives the same bytes. With every layer of a
// network in the cache, a build times nothing and its plan depends only on the
// network, config and cache.
import { readFileSync, writeFileSync } from 'node:fs';
import { KilnError } from '../ir/index.js';

export interface TimingEntry {
  /** The fastest tactic's name (codegen/cpu/tactics.ts, or a CUDA template's tactic). */
  tactic: string;
  /** Its best time in ms when measured. */
  ms: number;
  /** Every candidate's best ms, for inspection. */
  candidates: Record<string, number>;
}

const FORMAT = 'kiln-timing-cache';
const VERSION = 1;

export class TimingCache {
  private readonly targets = new Map<string, Map<string, TimingEntry>>();

  /** Reads a serialized cache (from serialize() or a saved file); throws KILN_TIMING_CACHE when it is not one. */
  static deserialize(bytes: Uint8Array | string): TimingCache {
    const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
    const fail = (why: string): never => { throw new KilnError('KILN_TIMING_CACHE', `not a kiln timing cache: ${why}`); };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return fail(`invalid JSON (${(e as Error).message})`);
    }
    const d = doc as { format?: unknown; version?: unknown; targets?: unknown };
    if (typeof d !== 'object' || d === null || d.format !== FORMAT) return fail(`expected format '${FORMAT}'`);
    if (d.version !== VERSION) return fail(`version ${String(d.version)} is not supported (this kiln reads ${VERSION})`);
    if (typeof d.targets !== 'object' || d.targets === null) return fail("'targets' must be an object");
    const cache = new TimingCache();
    for (const [target, layers] of Object.entries(d.targets as Record<string, unknown>)) {
      if (typeof layers !== 'object' || layers === null) fail(`target '${target}' must map signatures to entries`);
      for (const [sig, e] of Object.entries(layers as Record<string, unknown>)) {
        const entry = e as Partial<TimingEntry>;
        if (typeof entry !== 'object' || entry === null || typeof entry.tactic !== 'string' || typeof entry.ms !== 'number') {
          fail(`entry '${sig}' of target '${target}' needs a tactic name and ms`);
        }
        const candidates = typeof entry.candidates === 'object' && entry.candidates !== null ? { ...entry.candidates } : {};
        cache.set(target, sig, { tactic: entry.tactic!, ms: entry.ms!, candidates });
      }
    }
    return cache;
  }

  /** Loads a cache file; a missing file is an empty cache (it is created on save). */
  static load(path: string): TimingCache {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new TimingCache();
      throw new KilnError('KILN_TIMING_CACHE', `cannot read timing cache '${path}': ${(e as Error).message}`);
    }
    try {
      return TimingCache.deserialize(bytes);
    } catch (e) {
      throw new KilnError('KILN_TIMING_CACHE', `timing cache '${path}': ${(e as Error).message}`);
    }
  }

  get(target: string, signature: string): TimingEntry | undefined {
    return this.targets.get(target)?.get(signature);
  }

  set(target: string, signature: string, entry: TimingEntry): void {
    let layers = this.targets.get(target);
    if (!layers) this.targets.set(target, (layers = new Map()));
    layers.set(signature, { tactic: entry.tactic, ms: entry.ms, candidates: { ...entry.candidates } });
  }

  /** Number of entries over all targets. */
  get size(): number {
    let n = 0;
    for (const layers of this.targets.values()) n += layers.size;
    return n;
  }

  /** Target keys present, sorted. */
  get targetKeys(): string[] {
    return [...this.targets.keys()].sort();
  }

  /**
   * Adds every entry of `other` (TensorRT's combine). Where both hold a signature,
   * this cache's entry stays, so merging never changes a tactic a plan was built with.
   */
  combine(other: TimingCache): this {
    for (const [target, layers] of other.targets) {
      for (const [sig, entry] of layers) if (!this.get(target, sig)) this.set(target, sig, entry);
    }
    return this;
  }

  /** Deterministic bytes: keys sorted at every level. */
  serialize(): Uint8Array {
    const targets: Record<string, Record<string, TimingEntry>> = {};
    for (const target of this.targetKeys) {
      const layers = this.targets.get(target)!;
      const out: Record<string, TimingEntry> = {};
      for (const sig of [...layers.keys()].sort()) {
        const e = layers.get(sig)!;
        const candidates: Record<string, number> = {};
        for (const name of Object.keys(e.candidates).sort()) candidates[name] = e.candidates[name]!;
        out[sig] = { tactic: e.tactic, ms: e.ms, candidates };
      }
      targets[target] = out;
    }
    return new TextEncoder().encode(`${JSON.stringify({ format: FORMAT, version: VERSION, targets }, null, 1)}\n`);
  }

  save(path: string): void {
    writeFileSync(path, this.serialize());
  }
}

/** The cache builds use when the config sets none: shared by every build in this process,
 *  so building one network twice gives the same plan and times each layer shape once. */
export const processTimingCache = new TimingCache();
