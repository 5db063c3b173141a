// AssignPrecision: applies the precision analysis (precision.ts). Each layer's float
// values take the dtype chosen for it; where a value meets a layer of another dtype a
// Cast (a reformat layer, in TensorRT's words) converts it, one per value and dtype;
// constants are converted at build time instead. The network's interface does not
// change: inputs stay as declared, and an output computed in another dtype is cast
// back under its own name.
//
// Design note, in steps:
//  1. Decide every layer's dtype (choosePrecisions); when no decision differs from
//     the dtype a layer writes now and no conversion is missing, return the input.
//  2. Walk the layers in order. For each float input whose dtype is not the layer's:
//     a constant gets a converted copy `<name>.<dtype>`; any other value a Cast layer
//     `<name>.to_<dtype>`, placed right before its first reader.
//  3. Retype the layer's float outputs. A graph output whose dtype changed is
//     written as `<name>.<dtype>` and cast back to its declared dtype under its name.
//  4. Constants no layer reads any more are dropped.
import { castDraft } from 'immer';
import { DTYPE_INFO, KilnError, edit, hasOp, type ConstantTensor, type DType, type Graph, type Node } from '../src/ir/index.js';
import { readFloats, writeFloats } from '../src/interpret/index.js';
import { definePass, type Pass } from './pass.js';
import { choosePrecisions, type PrecisionDecision, type PrecisionOptions } from './precision.js';
import { freshIn } from './rewrite.js';

const isFloat = (d: DType) => DTYPE_INFO[d].float;

/** The dtype a layer's float inputs must have: its decision, or (for a Cast or an int layer) none. */
const wanted = (decisions: ReadonlyMap<string, PrecisionDecision>, node: Node): DType | undefined => decisions.get(node.name)?.dtype;

/** Step 1: whether applying the decisions would change anything. */
function changes(graph: Graph, decisions: ReadonlyMap<string, PrecisionDecision>): boolean {
  return graph.nodes.some((n) => {
    const d = wanted(decisions, n);
    return d !== undefined && [...n.outputs, ...n.inputs].some((v) => v !== '' && isFloat(graph.types[v]!.dtype) && graph.types[v]!.dtype !== d);
  });
}

function convertConstant(c: ConstantTensor, dtype: DType): ConstantTensor {
  const values = readFloats({ dtype: c.type.dtype, shape: c.type.shape as number[], data: c.data });
  return { type: { dtype, shape: c.type.shape }, data: writeFloats(dtype, values) };
}

/** Steps 2-4. */
function apply(graph: Graph, decisions: ReadonlyMap<string, PrecisionDecision>): Graph {
  const taken = new Set<string>();
  const fresh = (base: string) => {
    const n = freshIn(graph, base, taken);
    taken.add(n);
    return n;
  };
  const outputs = new Set(graph.outputs);
  return edit(graph, (g) => {
    const nodes: Node[] = [];
    const converted = new Map<string, string>();
    const convert = (v: string, dtype: DType): string => {
      const key = `${v}\u0000${dtype}`;
      let name = converted.get(key);
      if (name !== undefined) return name;
      if (v in g.constants) {
        name = fresh(`${v}.${dtype}`);
        const c = convertConstant(g.constants[v]! as ConstantTensor, dtype);
        g.constants[name] = castDraft(c);
        g.types[name] = castDraft(c.type);
      } else {
        name = fresh(`${v}.to_${dtype}`);
        nodes.push({ name, op: 'Cast', inputs: [v], outputs: [name], attrs: { to: dtype } });
        g.types[name] = { dtype, shape: g.types[v]!.shape };
      }
      converted.set(key, name);
      return name;
    };
    for (const node of graph.nodes) {
      const d = wanted(decisions, node);
      if (d === undefined) {
        // A layer without a decision (a Cast, a comparison) reads its float inputs as declared.
        const inputs = node.inputs.map((v) => (v !== '' && isFloat(g.types[v]!.dtype) && g.types[v]!.dtype !== graph.types[v]!.dtype ? convert(v, graph.types[v]!.dtype) : v));
        nodes.push(inputs.every((v, i) => v === node.inputs[i]) ? node : { ...node, inputs });
        continue;
      }
      const inputs = node.inputs.map((v) => (v !== '' && isFloat(g.types[v]!.dtype) && g.types[v]!.dtype !== d ? convert(v, d) : v));
      const back: [string, string, DType][] = [];
      const outs = node.outputs.map((o) => {
        const declared = graph.types[o]!.dtype;
        if (declared === d) return o;
        if (!outputs.has(o)) {
          g.types[o] = { dtype: d, shape: g.types[o]!.shape };
          return o;
        }
        const inner = fresh(`${o}.${d}`);
        g.types[inner] = { dtype: d, shape: g.types[o]!.shape };
        // Later readers in this dtype read the value before the cast back.
        converted.set(`${o}\u0000${d}`, inner);
        back.push([inner, o, declared]);
        return inner;
      });
      nodes.push({ ...node, inputs, outputs: outs });
      for (const [inner, o, declared] of back) nodes.push({ name: fresh(`${o}.to_${declared}`), op: 'Cast', inputs: [inner], outputs: [o], attrs: { to: declared } });
    }
    const read = new Set(nodes.flatMap((n) => n.inputs));
    for (const c of Object.keys(g.constants)) {
      if (!read.has(c) && !outputs.has(c) && graph.nodes.some((n) => n.inputs.includes(c))) {
        delete g.constants[c];
        delete g.types[c];
      }
    }
    g.nodes = castDraft(nodes);
  });
}

/** The pass for one build's precision options. */
export function assignPrecision(options: PrecisionOptions): Pass {
  return definePass({
    name: 'AssignPrecision',
    run: (graph, { logger }) => {
      if (!hasOp('Cast')) throw new KilnError('KILN_PASS', 'AssignPrecision needs a Cast op to convert between precisions; the op registry has none');
      const decisions = choosePrecisions(graph, options);
      if (!changes(graph, decisions)) return graph;
      const counts = new Map<string, number>();
      for (const d of decisions.values()) counts.set(d.dtype, (counts.get(d.dtype) ?? 0) + 1);
      logger('verbose', `AssignPrecision: ${[...counts].map(([d, n]) => `${n} layer(s) ${d}`).join(', ')}`);
      return apply(graph, decisions);
    },
  });
}

/** Every layer's decision and why, one per line, for logs and the CLI. */
export function formatPrecisions(graph: Graph, options: PrecisionOptions): string {
  return [...choosePrecisions(graph, options)].map(([layer, d]) => `${layer}: ${d.dtype} (${d.reason})`).join('\n');
}

