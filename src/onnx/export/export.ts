// exportOnnx: a kiln IR graph -> ONNX model bytes (the inverse of importOnnx), so kiln
// can hand graphs back to other tools: `kiln surgeon` writes edited models and `kiln
// debug reduce` writes the smallest failing subgraph. Every layer becomes standard
// ONNX ops of one opset (ops.ts, ops-fused.ts), constants become initializers,
// symbolic dims become dim_param, and every typed value is listed in value_info so
// a reader sees the shapes kiln inferred.
import { KilnError, type Dim, type Graph, type TensorType, type TypedArray } from '../../ir/index.js';
import { onnxCodeOf } from '../proto/dtypes.js';
import { ModelProtoType } from '../proto/schema.js';
import { ExportContext, tensorObject } from './context.js';
import { exportNode } from './ops.js';
import './ops-fused.js';

/** The opset exported models declare: LayerNormalization (17), axes as inputs (18), Gelu (20). */
export const EXPORT_OPSET = 20;
/** ONNX IR version 9 goes with opset 20. */
const IR_VERSION = 9;

export interface ExportOptions {
  /** The graph's name in the model (default 'kiln'). */
  name?: string;
  /** producer_name (default 'kiln'). */
  producer?: string;
  producerVersion?: string;
}

function valueInfo(name: string, t: TensorType) {
  const dim = t.shape.map((d: Dim) => (typeof d === 'number' ? { dim_value: d } : { dim_param: String(d) }));
  return { name, type: { tensor_type: { elem_type: onnxCodeOf(t.dtype), shape: { dim } } } };
}

/** The ModelProto as a plain object (what protobufjs encodes). */
export function exportModelObject(graph: Graph, options: ExportOptions = {}): Record<string, unknown> {
  const x = new ExportContext(graph);
  for (const out of graph.outputs) {
    if (graph.inputs.includes(out) || out in graph.constants) {
      throw new KilnError('KILN_EXPORT', `output '${out}' is a graph ${out in graph.constants ? 'constant' : 'input'}, which ONNX cannot name as an output without a node; add an Identity layer before exporting`, { argument: out });
    }
  }
  const initializers = Object.entries(graph.constants).map(([name, c]) => tensorObject(name, c.type.dtype, c.type.shape as number[], c.data as TypedArray));
  for (const node of graph.nodes) exportNode(node, x);
  const io = new Set([...graph.inputs, ...graph.outputs]);
  const inner = graph.nodes.flatMap((n) => n.outputs).filter((v) => v !== '' && !io.has(v) && graph.types[v]);
  return {
    ir_version: IR_VERSION,
    producer_name: options.producer ?? 'kiln',
    producer_version: options.producerVersion ?? '',
    opset_import: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: options.name ?? 'kiln',
      node: x.nodes,
      initializer: [...initializers, ...x.initializers],
      input: graph.inputs.map((n) => valueInfo(n, graph.types[n]!)),
      output: graph.outputs.map((n) => valueInfo(n, graph.types[n]!)),
      value_info: inner.map((n) => valueInfo(n, graph.types[n]!)),
    },
  };
}

/** Encodes the graph as an ONNX model; throws an ExportError naming a layer ONNX cannot express. */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const obj = exportModelObject(graph, options);
  return ModelProtoType.encode(ModelProtoType.fromObject(obj)).finish();
}
