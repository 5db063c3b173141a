// Specialization: substitutes a profile's binding for the symbolic dims of a graph
// (value types and Reshape targets), then verifies, so every later stage sees static
// shapes and any shape conflict surfaces here, naming the layer.
import { edit, resolveShape, verify, type Dim, type Graph } from '../ir/index.js';

export function specializeShapes(graph: Graph, binding: Readonly<Record<string, number>>): Graph {
  if (Object.keys(binding).length === 0) return graph;
  const out = edit(graph, (g) => {
    for (const [name, t] of Object.entries(g.types)) {
      if (t.shape.some((d) => typeof d === 'string')) g.types[name] = { dtype: t.dtype, shape: resolveShape(t.shape, binding) };
    }
    for (const n of g.nodes) {
      if (n.op === 'Reshape') n.attrs.shape = resolveShape(n.attrs.shape as Dim[], binding);
    }
  });
  verify(out);
  return out;
}
