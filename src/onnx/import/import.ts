// importOnnx: an ONNX model -> a kiln IR graph and its support report. The path:
// decode and sanity-check the model, read its opset, type the graph inputs, sort the
// nodes, run one importer per node (shape computations evaluate at import, constant
// subgraphs fold), collect every unsupported node rather than stopping at the first,
// then name the outputs and verify the graph.
import { KilnError, ShapeError, type Dim, type Graph } from '../../ir/index.js';
import { OnnxError } from '../errors.js';
import '../ops/index.js';
import { kilnDType, onnxDTypeName } from '../proto/dtypes.js';
import { decodeModel, readSource } from '../proto/decode.js';
import { toNumber, type GraphProto, type ModelProto } from '../proto/messages.js';
import { TensorDecodeError } from '../proto/tensor-data.js';
import type { SupportReport, UnsupportedNode } from '../report.js';
import { NodeContext, Poisoned, Unsupported, type ImportState, type ValueInfo } from './context.js';
import { GraphBuilder } from './graph-builder.js';
import { initializerValues, tensorTypeOf, type IOTensor } from './graph-io.js';
import { Known, T } from './known.js';
import { finishOutputs } from './outputs.js';
import { findImporter } from './registry.js';
import { topoSort } from './topo-sort.js';
import { OnnxUnsupportedError } from './unsupported-error.js';

/** The opsets of the default domain kiln reads. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 28;

export interface ImportOptions {
  /** Names the model in messages when it is given as bytes. */
  file?: string;
  /**
   * Fixes symbolic dims at import (e.g. { batch: 1 }), keyed by dim_param. Without it
   * dynamic dims stay symbolic (`batch`, `seq`, `unk_0`) and shape arithmetic on them
   * builds dim expressions (`batch*seq`); an optimization profile sizes them later.
   */
  dims?: Readonly<Record<string, number>>;
  /**
   * Fixes the values of graph inputs at import, as TensorRT's profile shape values fix
   * shape-tensor inputs (axes, pads, a target shape): each becomes a constant and leaves
   * the engine's inputs. Numbers are values; a Uint16Array for f16/bf16 holds bits.
   */
  shapeValues?: Readonly<Record<string, ArrayLike<number | bigint>>>;
}

export interface OnnxImport {
  graph: Graph;
  report: SupportReport;
  inputs: IOTensor[];
  outputs: IOTensor[];
  opset: number;
}

function defaultOpset(model: ModelProto, file: string): number {
  const entry = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  // A model of other domains only (ai.onnx.ml, training) needs none; its nodes are reported by domain.
  const usesDefault = model.graph!.node.some((n) => n.domain === '' || n.domain === 'ai.onnx');
  if (!entry && !usesDefault) return MAX_OPSET;
  if (!entry) throw new OnnxError('the model imports no opset of the default ONNX domain', { file });
  const v = toNumber(entry.version);
  if (v < MIN_OPSET) throw new OnnxError(`opset ${v} is older than the oldest kiln reads (${MIN_OPSET}); convert the model with onnx.version_converter`, { file });
  if (v > MAX_OPSET) throw new OnnxError(`opset ${v} is newer than the newest kiln reads (${MAX_OPSET})`, { file });
  return v;
}

interface Run {
  state: ImportState;
  unsupported: UnsupportedNode[];
  inputs: IOTensor[];
}

function addInputs(run: Run, graph: GraphProto, options: ImportOptions): void {
  const { values, graph: g, file } = run.state;
  let unknown = 0;
  for (const vi of graph.input) {
    if (values.has(vi.name)) continue; // an initializer with a default value: a constant
    try {
      const t = tensorTypeOf(vi.name, vi.type, () => `unk_${unknown++}`, options.dims ?? {});
      const fixed = options.shapeValues?.[vi.name];
      if (fixed !== undefined) {
        values.set(vi.name, { ...t, known: fixedValue(vi.name, t, fixed, file) });
        continue;
      }
      values.set(vi.name, { ...t, ir: vi.name });
      g.addInput(vi.name, { dtype: kilnDType(t.dataType)!, shape: t.shape });
      run.inputs.push({ name: vi.name, type: onnxDTypeName(t.dataType), shape: t.shape });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      values.set(vi.name, { dataType: 0, shape: [], poisoned: true });
      run.unsupported.push({ name: vi.name, opType: '(graph input)', domain: '', opset: run.state.opset, reason: e.reason, detail: e.detail });
    }
  }
}

function fixedValue(name: string, t: { dataType: number; shape: Dim[] }, fixed: ArrayLike<number | bigint>, file: string): Known {
  const n = t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
  if (fixed.length !== n) throw new OnnxError(`shapeValues for input '${name}' hold ${fixed.length} values; the input is ${onnxDTypeName(t.dataType)}[${t.shape.join(',')}]`, { file });
  // A Uint16Array for an f16/bf16 input holds bit patterns, as kiln stores those dtypes.
  if (fixed instanceof Uint16Array && (t.dataType === T.FLOAT16 || t.dataType === T.BFLOAT16)) return Known.fromArray(t.dataType, t.shape as number[], fixed);
  return Known.fromElems(t.dataType, t.shape as number[], Array.from(fixed, Number));
}

/** Runs one node's importer; an unsupported node is recorded and its outputs poisoned. */
function importNode(run: Run, ctx: NodeContext): void {
  const { node, index } = ctx;
  const entry = (r: Unsupported): UnsupportedNode => ({
    index, name: node.name, opType: node.op_type, domain: node.domain, opset: run.state.opset,
    reason: r.reason, detail: r.detail, attribute: r.attribute, value: r.value, ...(r.tensor ? { tensor: r.tensor } : {}),
  });
  const poison = () => node.output.forEach((o) => o && run.state.values.set(o, { dataType: 0, shape: [], poisoned: true }));
  const foreign = node.domain !== '' && node.domain !== 'ai.onnx';
  const importer = foreign ? undefined : findImporter(node.op_type, run.state.opset);
  if (!importer) {
    const where = foreign ? `domain '${node.domain}' is not supported` : `kiln has no importer for ${node.op_type} at opset ${run.state.opset}`;
    run.unsupported.push(entry(new Unsupported('op unknown', where)));
    return poison();
  }
  try {
    importer.import(ctx);
    node.output.forEach((o, k) => {
      if (!o) return;
      const v = ctx.bound[k];
      if (!v) throw new Unsupported('output unsupported', `output ${k} '${o}' is not supported`);
      run.state.values.set(o, v);
    });
  } catch (e) {
    poison();
    if (e instanceof Poisoned) return;
    if (e instanceof Unsupported) return void run.unsupported.push(entry(e));
    if (e instanceof ShapeError) return void run.unsupported.push(entry(new Unsupported('shape unsupported', e.message)));
    if (e instanceof TensorDecodeError && e.unsupportedDType) return void run.unsupported.push(entry(new Unsupported('dtype unsupported', e.message)));
    if (e instanceof OnnxError) throw e;
    const message = e instanceof TensorDecodeError || e instanceof KilnError ? e.message : `importer failed: ${(e as Error).stack ?? String(e)}`;
    ctx.fail(message);
  }
}

/** Imports an ONNX model (a path, or its bytes). Throws OnnxUnsupportedError, listing every unsupported node, when any is. */
export function importOnnx(src: Uint8Array | string, options: ImportOptions = {}): OnnxImport {
  const source = readSource(src, options.file);
  const file = source.file;
  const model = decodeModel(source);
  const graph = model.graph!;
  const opset = defaultOpset(model, file);

  const values = new Map<string, ValueInfo>();
  for (const [name, v] of initializerValues(graph, source)) {
    if (values.has(name)) throw new OnnxError(`initializer '${name}' is defined twice`, { file });
    values.set(name, v);
  }
  const reserved = new Set<string>([...graph.input.map((i) => i.name), ...values.keys(), ...graph.node.flatMap((n) => n.output)]);
  const state: ImportState = { file, opset, values, graph: new GraphBuilder(reserved), source, importSubgraph: () => undefined };
  const run: Run = { state, unsupported: [], inputs: [] };
  addInputs(run, graph, options);
  for (const s of graph.sparse_initializer) {
    const name = s.values?.name ?? '';
    values.set(name, { dataType: 0, shape: [], poisoned: true });
    run.unsupported.push({ name, opType: '(sparse initializer)', domain: '', opset, reason: 'input unsupported', detail: `sparse initializer '${name}'` });
  }

  state.importSubgraph = (sub, label) => {
    const local: Run = { ...run, unsupported: [] };
    for (const [name, v] of initializerValues(sub, source)) values.set(name, v);
    for (const i of topoSort(sub.node, new Set(values.keys()), file)) importNode(local, new NodeContext(state, sub.node[i]!, i));
    const [first, ...more] = local.unsupported;
    if (first) throw new Unsupported(first.reason, `${label} node ${first.index} '${first.name}' (${first.opType}): ${first.detail}${more.length ? ` (and ${more.length} more)` : ''}`);
  };

  const order = topoSort(graph.node, new Set(values.keys()), file);
  const ops: Record<string, number> = {};
  let folded = 0;
  for (const i of order) {
    const node = graph.node[i]!;
    ops[node.op_type] = (ops[node.op_type] ?? 0) + 1;
    const before = state.graph.nodeCount;
    importNode(run, new NodeContext(state, node, i));
    if (state.graph.nodeCount === before) folded++;
  }

  const outputs = finishOutputs(state, graph, run.unsupported);
  const report: SupportReport = {
    file, opset, irVersion: toNumber(model.ir_version), producer: `${model.producer_name} ${model.producer_version}`.trim(),
    nodes: graph.node.length, ops, unsupported: run.unsupported.sort((a, b) => (a.index ?? -1) - (b.index ?? -1)), layers: 0, folded,
  };
  if (report.unsupported.length > 0) throw new OnnxUnsupportedError(report);
  let g: Graph;
  try {
    g = state.graph.finish(outputs.map((o) => o.name));
  } catch (e) {
    throw new OnnxError(`the imported graph is invalid (an importer bug): ${(e as Error).message}`, { file });
  }
  report.layers = g.nodes.length;
  return { graph: g, report, inputs: run.inputs, outputs, opset };
}

/** The support report alone: import, and return the report whether or not every node is supported. */
export function checkOnnx(src: Uint8Array | string, options: ImportOptions = {}): SupportReport {
  try {
    return importOnnx(src, options).report;
  } catch (e) {
    if (e instanceof OnnxUnsupportedError) return e.report;
    throw e;
  }
}
