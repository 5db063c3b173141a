// What an op importer sees of the model: its node's inputs (types, known values, IR
// values), attributes, and the ways to produce outputs: emit IR nodes, bind a known
// value (shape arithmetic, no node), or alias an input. Unsupported cases are thrown
// as `Unsupported` with a reason for the report; model mistakes as OnnxError.
import type { AttrValue, Dim, TensorType, TypedArray } from '../../ir/index.js';
import { OnnxError } from '../errors.js';
import { kilnDType, onnxCodeOf, onnxDTypeName } from '../proto/dtypes.js';
import type { GraphProto, NodeProto } from '../proto/messages.js';
import type { TensorSource } from '../proto/tensor-data.js';
import type { UnsupportedReason } from '../report.js';
import { Attributes } from './attributes.js';
import type { GraphBuilder } from './graph-builder.js';
import { Known } from './known.js';

/** What the importer knows about one ONNX tensor. */
export interface ValueInfo {
  /** ONNX element type code. */
  dataType: number;
  shape: Dim[];
  /** The IR value holding it, once one exists (constants materialize on first use). */
  ir?: string;
  known?: Known;
  /** Produced by an unsupported node: consumers skip silently (the producer is reported). */
  poisoned?: boolean;
}

export class Unsupported extends Error {
  constructor(
    readonly reason: UnsupportedReason,
    readonly detail: string,
    readonly attribute?: string,
    readonly value?: string,
    /** For 'data-dependent shape': the ONNX value known only at run time. */
    readonly tensor?: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** Thrown when a node reads a value an unsupported node produced. */
export class Poisoned extends Error {}

export interface ImportState {
  file: string;
  opset: number;
  values: Map<string, ValueInfo>;
  graph: GraphBuilder;
  source: TensorSource;
  /** Imports a subgraph's nodes into this graph (an If whose branch is known); throws Unsupported naming the first bad node. */
  importSubgraph(graph: GraphProto, label: string): void;
}

export class NodeContext {
  readonly attrs: Attributes;
  readonly bound: (ValueInfo | undefined)[];
  /** Base for IR layer names: the ONNX node name, or `Op_index` when it has none. */
  readonly layer: string;

  constructor(readonly state: ImportState, readonly node: NodeProto, readonly index: number) {
    this.layer = node.name || `${node.op_type}_${index}`;
    this.bound = node.output.map(() => undefined);
    this.attrs = new Attributes(node.attribute, (m) => this.fail(m));
  }

  get opType(): string { return this.node.op_type; }
  get opset(): number { return this.state.opset; }
  get inputCount(): number { return this.node.input.length; }
  get outputCount(): number { return this.node.output.length; }

  /** True when input `i` is given (not absent, not ''). */
  has(i: number): boolean {
    return i < this.node.input.length && this.node.input[i] !== '';
  }

  inputName(i: number): string {
    return this.node.input[i] ?? '';
  }

  info(i: number): ValueInfo {
    if (!this.has(i)) this.fail(`input ${i} is required`);
    const v = this.state.values.get(this.node.input[i]!)!;
    if (v.poisoned) throw new Poisoned();
    return v;
  }

  dataType(i: number): number { return this.info(i).dataType; }
  shape(i: number): Dim[] { return this.info(i).shape; }
  rank(i: number): number { return this.info(i).shape.length; }
  known(i: number): Known | undefined { return this.has(i) ? this.info(i).known : undefined; }

  /** The kiln type of input i; a dtype kiln lacks is unsupported. */
  type(i: number): TensorType {
    const v = this.info(i);
    const dtype = kilnDType(v.dataType);
    if (!dtype) this.unsupported('dtype unsupported', `input ${i} '${this.inputName(i)}' is ${onnxDTypeName(v.dataType)}`);
    return { dtype, shape: v.shape };
  }

  /** The known elements of input i (numbers or symbolic dims); unsupported when computed at run time. */
  dims(i: number, what: string): Dim[] {
    const e = this.known(i)?.elems();
    if (!e) throw new Unsupported('data-dependent shape', `${what} (input ${i} '${this.inputName(i)}') is computed at run time`, undefined, undefined, this.inputName(i));
    return e;
  }

  /** The known numeric elements of input i (axes, pads, bounds, ...). */
  numbers(i: number, what: string): number[] {
    const e = this.dims(i, what);
    if (e.some((d) => typeof d === 'string')) this.unsupported('data-dependent shape', `${what} (input ${i} '${this.inputName(i)}') depends on symbolic dims [${e.join(',')}]`);
    return e as number[];
  }

  /** The IR value of input i; known values become graph constants on first use. */
  value(i: number): string {
    const v = this.info(i);
    if (v.ir !== undefined) return v.ir;
    const k = v.known!;
    if (k.symbolic) this.unsupported('data-dependent shape', `input ${i} '${this.inputName(i)}' is a shape [${k.elems()!.join(',')}] used as a run-time tensor`);
    const { dtype } = this.type(i);
    v.ir = this.state.graph.addConstant(this.inputName(i), { dtype, shape: k.shape }, k.array() as TypedArray);
    return v.ir;
  }

  /** A fresh IR constant (scalars and parameters the importer derives). */
  constant(hint: string, type: TensorType, data: TypedArray): string {
    return this.state.graph.addConstant(`${this.layer}/${hint}`, type, data, true);
  }

  /**
   * Emits one IR node. `out` = k names it after ONNX output k and binds it; a string
   * (or nothing) makes a fresh intermediate. Returns the IR value name.
   */
  emit(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, out?: number | string): string {
    const g = this.state.graph;
    const isOut = typeof out === 'number';
    const base = isOut ? this.node.output[out]! : `${this.node.output[0] || this.layer}/${out ?? op.toLowerCase()}`;
    const name = isOut ? g.claim(base) : g.freshValue(base);
    const layer = isOut && out === 0 ? this.layer : `${this.layer}/${isOut ? `out${out}` : out ?? op.toLowerCase()}`;
    const [type] = g.addNode(op, layer, inputs, attrs, [name]);
    if (isOut) this.bindValue(out, name, type!);
    return name;
  }

  /** Emits a multi-output IR node, binding its outputs to ONNX outputs in order. */
  emitMulti(op: string, inputs: readonly string[], attrs: Record<string, AttrValue>, outputs: number): string[] {
    const g = this.state.graph;
    const names = Array.from({ length: outputs }, (_, k) => (this.node.output[k] ? g.claim(this.node.output[k]!) : g.freshValue(`${this.layer}/out${k}`)));
    const types = g.addNode(op, this.layer, inputs, attrs, names);
    names.forEach((n, k) => k < this.outputCount && this.node.output[k] && this.bindValue(k, n, types[k]!));
    return names;
  }

  /** Binds ONNX output k to an existing IR value (the last of a chain the importer emitted). */
  bindValue(k: number, ir: string, type: TensorType): void {
    const g = this.state.graph;
    const c = g.constants[ir];
    this.bound[k] = {
      dataType: onnxCodeOf(type.dtype),
      shape: [...type.shape],
      ir,
      known: c ? Known.fromArray(onnxCodeOf(type.dtype), type.shape as number[], c.data as never) : undefined,
    };
  }

  /** Binds output k to the IR value `ir` (looks up its type). */
  output(k: number, ir: string): void {
    this.bindValue(k, ir, this.state.graph.types[ir]!);
  }

  /** Output k is a value known at import (no node). */
  setKnown(k: number, known: Known): void {
    this.bound[k] = { dataType: known.dataType, shape: [...known.shape], known };
  }

  /** Output k is input i, unchanged (Identity, inference-mode Dropout); both share one record, so a constant materializes once. */
  alias(k: number, i: number): void {
    this.bound[k] = this.info(i);
  }

  /** Output k is the ONNX value `name` (a subgraph's output). */
  aliasValue(k: number, name: string): void {
    const v = this.state.values.get(name);
    if (!v) this.fail(`value '${name}' is not defined`);
    if (v.poisoned) throw new Poisoned();
    this.bound[k] = v;
  }

  /** Type of an IR value the importer emitted. */
  typeOf(ir: string): TensorType {
    return this.state.graph.types[ir]!;
  }

  unsupported(reason: UnsupportedReason, detail: string, attribute?: string, value?: string): never {
    throw new Unsupported(reason, detail, attribute, value);
  }

  /** An attribute value kiln does not implement. */
  badAttr(name: string, value: unknown, why = 'is not supported'): never {
    const v = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
    throw new Unsupported('attribute value unsupported', `${name} = ${v} ${why}`, name, v);
  }

  fail(message: string): never {
    throw new OnnxError(message, { file: this.state.file, nodeIndex: this.index, nodeName: this.node.name, opType: this.node.op_type });
  }
}
