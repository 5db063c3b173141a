// INT8 calibration (TensorRT's IInt8Calibrator): the user hands batches of real
// inputs; kiln runs them through the reference interpreter keeping every tensor,
// gathers |x| statistics per float tensor, and turns each into a symmetric per-tensor
// scale = amax / 127. Scales are cached as text (`tensor: <f32 bits in hex>` lines)
// so a second build, on any machine, reads the same scales without the data.
import { KilnError, type Graph } from '../ir/index.js';
import { interpret } from '../interpret/interpret.js';
import { isFloatDType, readFloats, type Tensor } from '../interpret/tensor.js';
import { AbsHistogram, entropyAmax, percentileAmax } from './calibration-histogram.js';

export type CalibrationAlgorithm = 'minmax' | 'percentile' | 'entropy';

export interface Int8Calibrator {
  /** Images (rows of the batch dim) per getBatch; informational, as in TensorRT. */
  getBatchSize(): number;
  /** The next batch, one tensor per named input, or null when the data is exhausted. */
  getBatch(names: readonly string[]): Record<string, Tensor> | null;
  /** Scales from an earlier calibration (the cache text), or null to calibrate. */
  readCalibrationCache(): string | null;
  writeCalibrationCache(text: string): void;
  /** Default 'entropy'. */
  readonly algorithm?: CalibrationAlgorithm;
  /** For 'percentile': the share of |x| kept inside the range; default 99.99. */
  readonly percentile?: number;
}

const CACHE_HEADER = 'kiln-int8-calibration v1';

/** scale -> cache text: one line per tensor, sorted by name, the f32 bits in hex (exact and portable). */
export function writeCalibrationText(scales: ReadonlyMap<string, number>, algorithm: string): string {
  const bits = new DataView(new ArrayBuffer(4));
  const lines = [...scales.keys()].sort().map((name) => {
    bits.setFloat32(0, scales.get(name)!);
    return `${name}: ${bits.getUint32(0).toString(16).padStart(8, '0')}`;
  });
  return `${CACHE_HEADER} ${algorithm}\n${lines.join('\n')}\n`;
}

export function readCalibrationText(text: string): Map<string, number> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (!lines[0]?.startsWith(CACHE_HEADER)) throw new KilnError('KILN_CONFIG', `calibration cache must start with '${CACHE_HEADER}', got '${(lines[0] ?? '').slice(0, 40)}'`);
  const bits = new DataView(new ArrayBuffer(4));
  const scales = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const at = line.lastIndexOf(': ');
    const hex = line.slice(at + 2).trim();
    if (at < 0 || !/^[0-9a-f]{8}$/i.test(hex)) throw new KilnError('KILN_CONFIG', `calibration cache line '${line}' is not 'tensor: <8 hex digits>'`);
    bits.setUint32(0, parseInt(hex, 16));
    scales.set(line.slice(0, at), bits.getFloat32(0));
  }
  return scales;
}

/** amax of one histogram by the chosen algorithm. */
export function amaxOf(h: AbsHistogram, algorithm: CalibrationAlgorithm, percentile = 99.99): number {
  if (algorithm === 'minmax') return h.max;
  if (algorithm === 'percentile') return percentileAmax(h, percentile);
  return entropyAmax(h);
}

/** amax -> scale, rounded to f32 as the plan stores it; an all-zero tensor gets scale 1 (any works). */
export function scaleOf(amax: number): number {
  return Math.fround(amax > 0 ? amax / 127 : 1);
}

/**
 * Runs the calibrator's batches through `graph` and returns a scale per float tensor
 * (inputs and layer outputs; constants have their own per-channel weight scales).
 * With a cache, returns its scales and runs nothing.
 */
export function calibrate(graph: Graph, calibrator: Int8Calibrator): Map<string, number> {
  const cached = calibrator.readCalibrationCache();
  if (cached !== null && cached !== '') return readCalibrationText(cached);
  const algorithm = calibrator.algorithm ?? 'entropy';
  const histograms = new Map<string, AbsHistogram>();
  let batches = 0;
  for (let batch = calibrator.getBatch(graph.inputs); batch !== null; batch = calibrator.getBatch(graph.inputs)) {
    batches++;
    const values = interpret(graph, batch, { keep: 'all' });
    for (const [name, t] of Object.entries(values)) {
      if (graph.constants[name] || !isFloatDType(t.dtype)) continue;
      let h = histograms.get(name);
      if (!h) histograms.set(name, (h = new AbsHistogram()));
      h.add(t.dtype === 'f32' ? (t.data as Float32Array) : readFloats(t));
    }
  }
  if (batches === 0) throw new KilnError('KILN_CONFIG', 'int8 calibration: the calibrator gave no batch (getBatch returned null at once)');
  const scales = new Map<string, number>();
  for (const [name, h] of histograms) scales.set(name, scaleOf(amaxOf(h, algorithm, calibrator.percentile)));
  calibrator.writeCalibrationCache(writeCalibrationText(scales, algorithm));
  return scales;
}

/** A calibrator over batches already in memory, with the cache kept in a string (or a file by the caller). */
export class ArrayCalibrator implements Int8Calibrator {
  private next = 0;
  cache: string | null;

  constructor(
    private readonly batches: readonly Record<string, Tensor>[],
    readonly algorithm: CalibrationAlgorithm = 'entropy',
    options: { cache?: string | null; percentile?: number } = {},
  ) {
    this.cache = options.cache ?? null;
    this.percentile = options.percentile;
  }

  readonly percentile: number | undefined;

  getBatchSize(): number {
    return this.batches[0] ? Object.values(this.batches[0])[0]!.shape[0] ?? 1 : 0;
  }

  getBatch(): Record<string, Tensor> | null {
    return this.batches[this.next++] ?? null;
  }

  readCalibrationCache(): string | null {
    return this.cache;
  }

  writeCalibrationCache(text: string): void {
    this.cache = text;
  }
}
