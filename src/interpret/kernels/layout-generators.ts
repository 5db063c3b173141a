// Range, ConstantOfShape and Shape: tensors made from attributes or from a shape.
// Range follows the ONNX reference (numpy's arange): element i is start + i * delta,
// computed in f64 and stored in the output dtype.
import { allocate, shapeBounds, type DType, type TypedArray } from '../../ir/index.js';
import { product } from '../indexing.js';
import { defineKernel, type KernelDef } from '../kernel.js';
import { isFloatDType, writeFloats } from '../tensor.js';
import { scalarOf } from './layout-take.js';

function fromNumbers(dtype: DType, values: readonly number[]): TypedArray {
  if (isFloatDType(dtype)) return writeFloats(dtype, values);
  if (dtype === 'i64') return BigInt64Array.from(values, (v) => BigInt(v));
  const data = allocate(dtype, values.length);
  values.forEach((v, i) => (data[i] = v));
  return data;
}

const range = defineKernel('Range', (ctx) => {
  const { dtype, shape } = ctx.outputs[0]!;
  const [start, delta] = [ctx.attrs.start as number, ctx.attrs.delta as number];
  const values = Array.from({ length: shape[0]! }, (_, i) => start + i * delta);
  return [{ dtype, shape: [...shape], data: fromNumbers(dtype, values) }];
});

const constantOfShape = defineKernel('ConstantOfShape', (ctx) => {
  const { dtype, shape } = ctx.outputs[0]!;
  const data = allocate(dtype, product(shape));
  data.fill(scalarOf(dtype, ctx.attrs.value as number) as never);
  return [{ dtype, shape: [...shape], data }];
});

const shapeOf = defineKernel('Shape', (ctx) => {
  const x = ctx.inputs[0]!;
  const [s, e] = shapeBounds(x.shape.length, ctx.attrs.start as number, ctx.attrs.end as number);
  return [{ dtype: 'i64', shape: [e - s], data: fromNumbers('i64', x.shape.slice(s, e)) }];
});

export const generatorKernels: readonly KernelDef[] = [range, constantOfShape, shapeOf];
