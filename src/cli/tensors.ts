// Tensors at the command line: inputs from .npy files (`--input name=file.npy`) or
// seeded random values, outputs written back as .npy, and short previews. NumPy saves
// float64 by default, so an f64 file for an f32 input is narrowed (said in --verbose);
// every other dtype or shape mismatch is an error naming the input and the file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatShape, type DType, type TypedArray } from '../ir/index.js';
import { mulberry32, randomTensor, tensorValues, type Tensor } from '../interpret/index.js';
import { loadNpy, saveNpy, type IoTensor } from '../io/index.js';
import type { IOTensorInfo } from '../runtime/engine.js';
import { UsageError } from './errors.js';
import { formatValue } from './style.js';

export const INPUT_FLAGS = [
  { name: 'input', kind: 'list' as const, metavar: 'NAME=FILE.npy', help: 'an input from a .npy file; inputs not given are random' },
  { name: 'seed', kind: 'string' as const, metavar: 'N', help: 'seed of the random inputs (default 1)' },
];

export function parseInputFiles(specs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--input '${s}' is not name=file.npy; e.g. --input data=image.npy`);
    const name = s.slice(0, eq);
    if (out.has(name)) throw new UsageError(`--input gives '${name}' twice; give each input once`);
    out.set(name, s.slice(eq + 1));
  }
  return out;
}

export interface InputSource {
  name: string;
  tensor: Tensor;
  from: string;
}

/**
 * One tensor per engine input. Random floats are uniform in [0, 1) (image-like and
 * safe for any activation), integers in [0, 9] so they stay valid indices.
 */
export function prepareInputs(inputs: readonly IOTensorInfo[], files: Map<string, string>, seed: number, log: (m: string) => void, shapes?: ReadonlyMap<string, readonly number[]>): InputSource[] {
  for (const name of files.keys()) {
    if (!inputs.some((t) => t.name === name)) throw new UsageError(`--input names '${name}', but the inputs are: ${inputs.map((t) => t.name).join(', ')}`);
  }
  const rng = mulberry32(seed);
  return inputs.map((given) => {
    // A dynamic input runs at the --shapes shape when one is given, else at profile 0's opt.
    const shape = given.dims ? shapes?.get(given.name) : undefined;
    const info = shape ? { ...given, shape: [...shape] } : given;
    const file = files.get(info.name);
    if (file === undefined) {
      const range = info.dtype === 'bool' ? {} : isFloat(info.dtype) ? { min: 0, max: 1 } : { min: 0, max: 9 };
      return { name: info.name, tensor: randomTensor(info.dtype, info.shape, rng, range), from: `random (seed ${seed})` };
    }
    return { name: info.name, tensor: fromNpy(info, file, log), from: file };
  });
}

const isFloat = (d: DType) => d === 'f32' || d === 'f16' || d === 'bf16';

function fromNpy(info: IOTensorInfo, file: string, log: (m: string) => void): Tensor {
  let t: IoTensor;
  try {
    t = loadNpy(file);
  } catch (e) {
    throw new Error(`--input ${info.name}=${file}: ${(e as Error).message}`);
  }
  const want = `${info.dtype}${formatShape(info.shape)}`;
  const got = `${t.dtype}${formatShape(t.shape)}`;
  if (t.shape.length !== info.shape.length || t.shape.some((d, i) => d !== info.shape[i])) {
    throw new Error(`input '${info.name}': ${file} holds ${got}, the engine expects ${want}; save an array of that shape (or set --shapes when building)`);
  }
  if (t.dtype === 'f64' && info.dtype === 'f32') {
    log(`input '${info.name}': ${file} holds f64; narrowed to f32`);
    return { dtype: 'f32', shape: [...t.shape], data: Float32Array.from(t.data as Float64Array) };
  }
  if (t.dtype !== info.dtype) {
    throw new Error(`input '${info.name}': ${file} holds ${got}, the engine expects ${want}; save it as that dtype (e.g. np.asarray(x, np.float32))`);
  }
  return { dtype: info.dtype, shape: [...t.shape], data: t.data as TypedArray };
}

/** Writes each output as <dir>/<name>.npy (characters unsafe in file names become '_'). */
export function writeOutputs(dir: string, outputs: Record<string, Tensor>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(outputs).map(([name, t]) => {
    const path = join(dir, `${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.npy`);
    saveNpy(path, { dtype: t.dtype, shape: [...t.shape], data: t.data } as IoTensor);
    return path;
  });
}

/** `[0.1, 0.25, ...]` with the first `count` values, and min / max / mean for floats. */
export function preview(t: Tensor, count = 6): string {
  const values = tensorValues(t);
  const n = values.length;
  const head = `[${values.slice(0, count).map(formatValue).join(', ')}${n > count ? ', ...' : ''}]`;
  if (!isFloat(t.dtype) || n === 0) return head;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return `${head}  min ${formatValue(min)}  max ${formatValue(max)}  mean ${formatValue(sum / n)}`;
}
