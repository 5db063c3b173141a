// Graph outputs. Users bind outputs by their ONNX names, so each must end as an IR
// value of that name produced by a layer. Where it is not (an output that is a graph
// input, a constant, another output, or an alias such as Identity's), a copy layer
// (Reshape to its own shape) produces it under the right name.
import { OnnxError } from '../errors.js';
import { kilnDType, onnxDTypeName } from '../proto/dtypes.js';
import type { GraphProto } from '../proto/messages.js';
import type { TypedArray } from '../../ir/index.js';
import type { UnsupportedNode } from '../report.js';
import type { ImportState } from './context.js';
import type { IOTensor } from './graph-io.js';

export function finishOutputs(state: ImportState, graph: GraphProto, unsupported: UnsupportedNode[]): IOTensor[] {
  const { values, graph: g, file, opset } = state;
  const seen = new Set<string>();
  const report = (name: string, reason: UnsupportedNode['reason'], detail: string) =>
    unsupported.push({ name, opType: '(graph output)', domain: '', opset, reason, detail });
  const result: IOTensor[] = [];
  for (const vi of graph.output) {
    const name = vi.name;
    const v = values.get(name);
    if (!v) throw new OnnxError(`graph output '${name}' is produced by no node, input or initializer`, { file });
    if (seen.has(name)) throw new OnnxError(`graph output '${name}' is listed twice`, { file });
    seen.add(name);
    result.push({ name, type: onnxDTypeName(v.dataType), shape: v.shape });
    if (v.poisoned) continue;
    const declared = vi.type?.tensor_type?.elem_type;
    if (declared && declared !== v.dataType) {
      throw new OnnxError(`graph output '${name}' is declared ${onnxDTypeName(declared)} but imports as ${onnxDTypeName(v.dataType)} (an importer bug)`, { file });
    }
    const dtype = kilnDType(v.dataType);
    if (!dtype) {
      report(name, 'dtype unsupported', `output '${name}' is ${onnxDTypeName(v.dataType)}`);
      continue;
    }
    let ir = v.ir;
    if (ir === undefined) {
      if (v.known!.symbolic) {
        report(name, 'data-dependent shape', `output '${name}' is the shape [${v.known!.elems()!.join(',')}], known only at run time`);
        continue;
      }
      ir = g.addConstant(name, { dtype, shape: v.known!.shape }, v.known!.array() as TypedArray, true);
    }
    const producedHere = ir === name && !g.isConstant(ir) && !g.inputs.includes(ir);
    if (!producedHere) {
      const out = g.claim(name);
      if (out !== name) {
        report(name, 'output unsupported', `output '${name}' is also a graph input or initializer`);
        continue;
      }
      g.addNode('Reshape', `${name}/copy`, [ir], { shape: [...g.types[ir]!.shape] }, [name], false);
    }
  }
  return result;
}
