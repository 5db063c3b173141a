// Known values: what the importer knows about a tensor's contents at import time.
// Constants (initializers, Constant nodes, folded subgraphs) are known in full; shape
// computations are known element by element, where an element may be a symbolic dim
// (`Shape` of f32[batch,256] is the i64 vector ['batch', 256]). Evaluating shape ops
// on these lets torch.onnx's Shape->Gather->Unsqueeze->Concat->Reshape chains import
// as one Reshape with target ['batch', -1], emitting no node.
import type { Dim } from '../../ir/index.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBF16Bits, f32ToF16Bits } from '../../interpret/index.js';
import { ONNX_DTYPES, onnxDTypeName, type OnnxArray } from '../proto/dtypes.js';

/** ONNX element type codes the importer names. */
export const T = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

/** Largest constant whose elements are turned into a JS list for shape arithmetic. */
export const MAX_ELEMS = 1 << 16;

export class Known {
  private elemCache?: Dim[];
  private arrayCache?: OnnxArray | string[];

  private constructor(
    readonly dataType: number,
    readonly shape: readonly number[],
    private readonly load?: () => OnnxArray | string[],
    elems?: Dim[],
  ) {
    this.elemCache = elems;
  }

  /** A constant whose data is decoded only when read (initializers). */
  static lazy(dataType: number, shape: readonly number[], load: () => OnnxArray | string[]): Known {
    return new Known(dataType, shape, load);
  }

  static fromArray(dataType: number, shape: readonly number[], data: OnnxArray | string[]): Known {
    const k = new Known(dataType, shape);
    k.arrayCache = data;
    return k;
  }

  /** Elements as numbers (decoded floats, i64 as numbers) or symbolic dims. */
  static fromElems(dataType: number, shape: readonly number[], elems: readonly Dim[]): Known {
    return new Known(dataType, shape, undefined, [...elems]);
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** True when some element is a symbolic dim (the value exists only at run time). */
  get symbolic(): boolean {
    return this.elemCache !== undefined && this.elemCache.some((e) => typeof e === 'string');
  }

  get isString(): boolean {
    return this.dataType === T.STRING;
  }

  /** The elements as a list; undefined for strings and for constants too large for shape arithmetic. */
  elems(): Dim[] | undefined {
    if (this.elemCache) return this.elemCache;
    if (this.isString || this.size > MAX_ELEMS) return undefined;
    const a = this.array() as OnnxArray;
    const out: number[] = new Array(a.length);
    if (this.dataType === T.FLOAT16) for (let i = 0; i < a.length; i++) out[i] = f16BitsToF32(a[i] as number);
    else if (this.dataType === T.BFLOAT16) for (let i = 0; i < a.length; i++) out[i] = bf16BitsToF32(a[i] as number);
    else for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
    this.elemCache = out;
    return out;
  }

  /** Numeric elements; undefined when symbolic or not listable. */
  numbers(): number[] | undefined {
    const e = this.elems();
    return e && !e.some((x) => typeof x === 'string') ? (e as number[]) : undefined;
  }

  /** The data in the dtype's typed array (f16/bf16 as bits); throws when symbolic. */
  array(): OnnxArray | string[] {
    if (this.arrayCache) return this.arrayCache;
    if (this.load) return (this.arrayCache = this.load());
    const elems = this.elemCache!;
    if (elems.some((e) => typeof e === 'string')) throw new Error('symbolic value has no data');
    const info = ONNX_DTYPES[this.dataType];
    if (!info?.array) throw new Error(`cannot store ${onnxDTypeName(this.dataType)} values`);
    const out = new info.array(elems.length);
    for (let i = 0; i < elems.length; i++) {
      const v = elems[i] as number;
      if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(Math.trunc(clampInt64(v)));
      else if (this.dataType === T.FLOAT16) out[i] = f32ToF16Bits(v);
      else if (this.dataType === T.BFLOAT16) out[i] = f32ToBF16Bits(v);
      else if (this.dataType === T.BOOL) out[i] = v ? 1 : 0;
      else out[i] = v;
    }
    this.arrayCache = out;
    return out;
  }
}

/** INT64_MAX arrives as 2^63 once converted to a number; BigInt() of it must not overflow. */
function clampInt64(v: number): number {
  if (v >= 2 ** 63) return 2 ** 63 - 1024;
  if (v <= -(2 ** 63)) return -(2 ** 63);
  return v;
}

/** Rounds a number the way storing it in the ONNX dtype would (Cast on known values). */
export function castElem(v: Dim, to: number): Dim {
  if (typeof v === 'string') return v;
  switch (to) {
    case T.FLOAT: return Math.fround(v);
    case T.FLOAT16: return f16BitsToF32(f32ToF16Bits(v));
    case T.BFLOAT16: return bf16BitsToF32(f32ToBF16Bits(v));
    case T.DOUBLE: return v;
    case T.BOOL: return v !== 0 ? 1 : 0;
    case T.INT8: return (Math.trunc(v) << 24) >> 24;
    case T.UINT8: return Math.trunc(v) & 0xff;
    case T.INT32: return Math.trunc(v) | 0;
    default: return Number.isFinite(v) ? Math.trunc(v) : v;
  }
}

export function isFloatType(dataType: number): boolean {
  return dataType === T.FLOAT || dataType === T.FLOAT16 || dataType === T.BFLOAT16 || dataType === T.DOUBLE;
}
