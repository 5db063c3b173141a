// Specialization: substitutes a profile's binding for the symbolic dims of a graph
// (value types and every `dims` attribute: Reshape, Expand, ConstantOfShape targets),
// then verifies, so every later stage sees the bound shapes and any shape conflict
// surfaces here, naming the layer.
import { edit, getOp, resolveShape, verify, type Dim, type Graph } from '../ir/index.js';

export function specializeShapes(graph: Graph, binding: Readonly<Record<string, number>>): Graph {
  if (Object.keys(binding).length === 0) return graph;
  const out = edit(graph, (g) => {
    for (const [name, t] of Object.entries(g.types)) {
      if (t.shape.some((d) => typeof d === 'string')) g.types[name] = { dtype: t.dtype, shape: resolveShape(t.shape, binding) };
    }
    for (const n of g.nodes) {
      const specs = getOp(n.op).attrs;
      for (const [key, v] of Object.entries(n.attrs)) {
        if (specs[key]?.kind === 'dims' && (v as Dim[]).some((d) => typeof d === 'string')) n.attrs[key] = resolveShape(v as Dim[], binding);
      }
    }
  });
  verify(out);
  return out;
}
