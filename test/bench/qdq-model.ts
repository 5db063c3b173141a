// A QDQ ONNX model (ONNX Runtime's format for quantized models) of a float model,
// made with kiln's calibration scales and kiln's weight codes, so onnxruntime-node
// and kiln run the same quantization: every activation with a calibrated scale gets
// QuantizeLinear -> DequantizeLinear (symmetric int8, zero point 0) between its
// producer and its readers (a Conv/Gemm output read only by its Relu/Clip is
// quantized after the activation instead, as ORT's quantizer does); every Conv and
// Gemm weight becomes int8 codes (per output channel, max code 63 as the Quantize
// pass writes them) behind a DequantizeLinear on axis 0; biases become int32 codes of
// scale x_scale * w_scale[c]. ORT's onnxruntime.quantization is not available here.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readCalibrationText } from '../../src/builder/calibrator.js';
import type { GraphProto, NodeProto, TensorProto } from '../../src/onnx/proto/messages.js';
import { ModelProtoType } from '../../src/onnx/proto/schema.js';
import { decodeTensorData } from '../../src/onnx/proto/tensor-data.js';
import { quantizeWeights } from '../../passes/quantize-graph.js';

const FLOAT = 1, INT8 = 3, INT32 = 6;
const bytes = (a: Float32Array | Int8Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
const tensor = (name: string, dataType: number, dims: number[], data: Float32Array | Int8Array | Int32Array) => ({ name, data_type: dataType, dims, raw_data: bytes(data) });
const node = (opType: string, name: string, input: string[], output: string[], axis?: number) => ({
  op_type: opType, name, input, output, attribute: axis === undefined ? [] : [{ name: 'axis', type: 2, i: axis }],
});

/** Writes the QDQ model of `src` to `out`; `calibration` is kiln's calibration cache text. */
export function writeQdqModel(src: string, calibration: string, out: string, weightMax = 63): void {
  const model = ModelProtoType.decode(readFileSync(src)) as unknown as { graph: GraphProto };
  const g = model.graph;
  const scales = readCalibrationText(calibration);
  // Weights kept in an external data file (torch's exporter writes them so) move into the
  // model: the QDQ file lives elsewhere, and its readers would not find the data file.
  const source = { baseDir: dirname(src) };
  for (const t of g.initializer) {
    if (t.data_location !== 1) continue;
    const data = decodeTensorData(t, source).data as ArrayBufferView;
    Object.assign(t, { raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), data_location: 0, external_data: [] });
  }
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  // torch shares weights through Identity nodes: see through them.
  const alias = new Map(g.node.filter((n) => n.op_type === 'Identity' && inits.has(n.input[0]!)).map((n) => [n.output[0]!, n.input[0]!]));
  const floats = (name: string) => decodeTensorData(inits.get(alias.get(name) ?? name) as TensorProto).data as Float32Array;
  const readers = new Map<string, NodeProto[]>();
  for (const n of g.node) for (const v of n.input) readers.set(v, [...(readers.get(v) ?? []), n]);
  const outputs = new Set(g.output.map((o) => o.name));
  const added: object[] = [];
  const nodes: object[] = [];
  const done = new Map<string, string>();

  const qdq = (t: string): string => {
    const s = scales.get(t);
    if (s === undefined || inits.has(t) || alias.has(t)) return t;
    if (!done.has(t)) {
      added.push(tensor(`${t}_scale`, FLOAT, [], Float32Array.of(s)), tensor(`${t}_zp`, INT8, [], Int8Array.of(0)));
      nodes.push(node('QuantizeLinear', `${t}_Q`, [t, `${t}_scale`, `${t}_zp`], [`${t}_q`]), node('DequantizeLinear', `${t}_DQ`, [`${t}_q`, `${t}_scale`, `${t}_zp`], [`${t}_dq`]));
      done.set(t, `${t}_dq`);
    }
    return done.get(t)!;
  };
  /** A value whose readers see the fake-quantized copy: not an output, and not a Conv/Gemm output read only by its activation. */
  const quantizedAt = (t: string, producer?: NodeProto) => {
    const r = readers.get(t) ?? [];
    const intoActivation = producer && (producer.op_type === 'Conv' || producer.op_type === 'Gemm') && r.length === 1 && (r[0]!.op_type === 'Relu' || r[0]!.op_type === 'Clip');
    return !outputs.has(t) && !intoActivation;
  };
  const quantizedValues = new Set(g.input.map((i) => i.name).filter((t) => quantizedAt(t)));
  for (const n of g.node) for (const o of n.output) if (quantizedAt(o, n)) quantizedValues.add(o);
  for (const t of g.input) if (quantizedValues.has(t.name)) qdq(t.name);

  for (const n of g.node) {
    const input = n.input.map((v, i) => (i === 0 || n.op_type === 'Add' || n.op_type === 'Concat' ? (quantizedValues.has(v) ? qdq(v) : v) : v));
    const transB = n.attribute.find((a) => a.name === 'transB')?.i;
    const weighted = (n.op_type === 'Conv' || (n.op_type === 'Gemm' && Number(transB) === 1)) && inits.has(alias.get(n.input[1]!) ?? n.input[1]!);
    if (weighted) {
      const w = inits.get(alias.get(n.input[1]!) ?? n.input[1]!)!;
      const dims = w.dims.map(Number);
      const { q, scales: ws } = quantizeWeights(floats(n.input[1]!), dims[0]!, weightMax);
      const wName = `${n.name}_W`;
      added.push(tensor(`${wName}_q`, INT8, dims, q), tensor(`${wName}_scale`, FLOAT, [dims[0]!], ws), tensor(`${wName}_zp`, INT8, [dims[0]!], new Int8Array(dims[0]!)));
      nodes.push(node('DequantizeLinear', `${wName}_DQ`, [`${wName}_q`, `${wName}_scale`, `${wName}_zp`], [`${wName}_dq`], 0));
      input[1] = `${wName}_dq`;
      const sx = scales.get(n.input[0]!);
      if (n.input[2] && sx !== undefined) {
        const bs = Float32Array.from(ws, (s) => Math.fround(sx) * s);
        const codes = Int32Array.from(floats(n.input[2]), (b, c) => Math.round(b / bs[c]!));
        const bName = `${n.name}_B`;
        added.push(tensor(`${bName}_q`, INT32, [dims[0]!], codes), tensor(`${bName}_scale`, FLOAT, [dims[0]!], bs), tensor(`${bName}_zp`, INT32, [dims[0]!], new Int32Array(dims[0]!)));
        nodes.push(node('DequantizeLinear', `${bName}_DQ`, [`${bName}_q`, `${bName}_scale`, `${bName}_zp`], [`${bName}_dq`], 0));
        input[2] = `${bName}_dq`;
      }
    }
    nodes.push({ ...n, input });
    for (const o of n.output) if (quantizedValues.has(o)) qdq(o);
  }
  // Drop what nobody reads any more (the f32 weights and the Identity nodes sharing them).
  const read = new Set([...nodes.flatMap((n) => (n as NodeProto).input), ...outputs]);
  const live = nodes.filter((n) => (n as NodeProto).op_type !== 'Identity' || read.has((n as NodeProto).output[0]!));
  const liveRead = new Set([...live.flatMap((n) => (n as NodeProto).input), ...outputs]);
  g.node = live as NodeProto[];
  g.initializer = [...g.initializer.filter((t) => liveRead.has(t.name)), ...(added as TensorProto[])];
  g.value_info = [];
  writeFileSync(out, ModelProtoType.encode(model as never).finish());
}
