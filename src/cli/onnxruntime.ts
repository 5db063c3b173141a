// onnxruntime-node as a second reference for .onnx models (what Polygraphy's
// --onnxrt does). Loaded on demand, so the CLI runs without it for DSL models and
// says how to install it when an .onnx comparison needs it.
import type { Tensor } from '../interpret/index.js';
import type { DType, TypedArray } from '../ir/index.js';
import { UsageError } from './errors.js';

const TO_ORT: Partial<Record<DType, string>> = {
  f32: 'float32', f16: 'float16', i8: 'int8', u8: 'uint8', i32: 'int32', i64: 'int64', bool: 'bool',
};
const FROM_ORT: Record<string, DType> = Object.fromEntries(Object.entries(TO_ORT).map(([k, v]) => [v, k as DType]));

interface OrtTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: string | Uint8Array): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }> };
}

/** Runs a model (a path, or ONNX bytes) in onnxruntime on `inputs`. */
export async function runOnnxRuntime(path: string | Uint8Array, inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  let ort: Ort;
  // A variable specifier keeps the bundler from inlining the package into dist/cli.js.
  const name = 'onnxruntime-node';
  try {
    ort = (await import(name)) as Ort;
  } catch {
    throw new UsageError('comparing against onnxruntime needs onnxruntime-node; install it (npm i -D onnxruntime-node) or pass --no-onnxruntime');
  }
  const session = await ort.InferenceSession.create(path);
  const feeds: Record<string, OrtTensor> = {};
  for (const [k, t] of Object.entries(inputs)) {
    const type = TO_ORT[t.dtype];
    if (!type) throw new Error(`input '${k}': onnxruntime has no tensor type for ${t.dtype}; pass --no-onnxruntime`);
    // ORT reads bool tensors from a Uint8Array of 0/1, as kiln stores them.
    feeds[k] = new ort.Tensor(type, t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array) : t.data, t.shape);
  }
  let out: Record<string, OrtTensor>;
  try {
    out = await session.run(feeds);
  } finally {
    await session.release();
  }
  return Object.fromEntries(Object.entries(out).map(([k, t]) => {
    const dtype = FROM_ORT[t.type];
    if (!dtype) throw new Error(`onnxruntime output '${k}' has type ${t.type}, which kiln cannot compare`);
    const data = dtype === 'bool' ? Uint8Array.from(t.data as ArrayLike<number>, (v) => (v ? 1 : 0)) : (t.data as TypedArray);
    return [k, { dtype, shape: [...t.dims], data }];
  }));
}
