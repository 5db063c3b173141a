// The ONNX importer's one error type. Every message names the file, and where a
// node is at fault its index, name and op (`model.onnx: node 12 'Conv_12' (Conv): ...`),
// the way onnx-tensorrt reports, so a user can find the node in Netron.
import { KilnError } from '../ir/index.js';

export interface OnnxErrorContext {
  file?: string;
  nodeIndex?: number;
  nodeName?: string;
  opType?: string;
}

export class OnnxError extends KilnError {
  readonly file?: string;
  readonly nodeIndex?: number;
  readonly nodeName?: string;
  readonly opType?: string;

  constructor(message: string, ctx: OnnxErrorContext = {}) {
    super('KILN_ONNX', `${ctx.file ?? '<bytes>'}: ${nodeLabel(ctx)}${message}`, { layer: ctx.nodeName, op: ctx.opType });
    this.name = 'OnnxError';
    this.file = ctx.file;
    this.nodeIndex = ctx.nodeIndex;
    this.nodeName = ctx.nodeName;
    this.opType = ctx.opType;
  }
}

/** `node 12 'Conv_12' (Conv): ` or '' when the error concerns no node. */
export function nodeLabel(ctx: OnnxErrorContext): string {
  if (ctx.nodeIndex === undefined) return '';
  return `node ${ctx.nodeIndex} '${ctx.nodeName ?? ''}' (${ctx.opType ?? '?'}): `;
}
