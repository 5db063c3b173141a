// The edges of an ONNX graph: its inputs (typed from TypeProto, symbolic dims named
// by dim_param or `unk_N`), initializers (known constants, decoded on first use) and
// outputs (each must end as an IR value of its own name, so users bind by ONNX name).
import type { Dim } from '../../ir/index.js';
import { kilnDType, onnxDTypeName } from '../proto/dtypes.js';
import { toNumber, type GraphProto, type TypeProto } from '../proto/messages.js';
import { decodeTensorData, tensorDims, type TensorSource } from '../proto/tensor-data.js';
import { Unsupported, type ValueInfo } from './context.js';
import { Known } from './known.js';

export interface IOTensor {
  name: string;
  /** ONNX element type name ('float', 'int64', ...). */
  type: string;
  shape: Dim[];
}

/** Reads a tensor TypeProto; throws Unsupported for types kiln cannot take as input. */
export function tensorTypeOf(name: string, type: TypeProto | undefined, nextUnknown: () => string, bind: Readonly<Record<string, number>>): { dataType: number; shape: Dim[] } {
  const kind = type?.value;
  if (!type || !kind) throw new Unsupported('input unsupported', `'${name}' has no type`);
  if (kind !== 'tensor_type') throw new Unsupported('input unsupported', `'${name}' is a ${kind.replace('_type', '')}, not a tensor`);
  const t = type.tensor_type!;
  if (!t.shape) throw new Unsupported('input unsupported', `'${name}' has no shape; kiln needs at least the rank`);
  const shape = t.shape.dim.map((d): Dim => {
    if (d.value === 'dim_value') return toNumber(d.dim_value);
    const sym = d.value === 'dim_param' && d.dim_param ? d.dim_param : nextUnknown();
    return bind[sym] ?? sym;
  });
  if (!kilnDType(t.elem_type)) throw new Unsupported('dtype unsupported', `'${name}' is ${onnxDTypeName(t.elem_type)}[${shape.join(',')}]`);
  return { dataType: t.elem_type, shape };
}

/** Initializers as known values, keyed by name. */
export function initializerValues(graph: GraphProto, source: TensorSource): Map<string, ValueInfo> {
  const out = new Map<string, ValueInfo>();
  for (const t of graph.initializer) {
    const dims = tensorDims(t);
    out.set(t.name, { dataType: t.data_type, shape: dims, known: Known.lazy(t.data_type, dims, () => decodeTensorData(t, source).data) });
  }
  return out;
}
