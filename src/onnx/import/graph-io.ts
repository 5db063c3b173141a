// The edges of an ONNX graph: its inputs (typed from TypeProto, symbolic dims named
// by dim_param or `unk_N`), initializers (known constants, decoded on first use) and
// outputs (each must end as an IR value of its own name, so users bind by ONNX name).
import { canonicalDim, type Dim } from '../../ir/index.js';
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
    const param = d.value === 'dim_param' && d.dim_param ? d.dim_param : nextUnknown();
    if (param in bind) return bind[param]!;
    const sym = dimParamSymbol(param);
    return bind[sym] ?? sym;
  });
  if (!kilnDType(t.elem_type)) throw new Unsupported('dtype unsupported', `'${name}' is ${onnxDTypeName(t.elem_type)}[${shape.join(',')}]`);
  return { dataType: t.elem_type, shape };
}

const DIM_FUNCTIONS = new Set(['floor', 'ceil', 'max', 'min', 'mod']);

/**
 * The kiln dim for an ONNX dim_param. A name (`batch_size`) stays; an expression that
 * kiln reads (`2*seq`) becomes canonical; anything else (`batch size`, `N/A`) turns
 * into an identifier by replacing the other characters with '_'.
 */
export function dimParamSymbol(param: string): Dim {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(param)) return DIM_FUNCTIONS.has(param) ? `${param}_` : param;
  try {
    return canonicalDim(param);
  } catch {
    const id = param.replace(/[^A-Za-z0-9_]/g, '_');
    return /^[A-Za-z_]/.test(id) ? id : `d_${id}`;
  }
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
