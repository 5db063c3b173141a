// RecognizeActivations: finds GELU (erf and tanh forms) and SiLU spelled out in primitive ops, as ONNX
// exporters write them, and replaces each by its one-op form: one kernel instead of
// up to five, and an activation FuseEpilogues can then fold into a Conv or MatMul.
//
//   SiLU:  x * Sigmoid(x)                                  -> Silu(x)
//   GELU:  0.5 * x * (1 + Erf(x / √2))  (or x * 0.7071..)  -> Gelu(x)   (needs an Erf op)
//   GELU, tanh form:  0.5 * x * (1 + Tanh(√(2/π) * (x + 0.044715 * x³)))  -> GeluTanh(x)
//          (x³ as x*x*x or Pow(x, 3); ONNX's Gelu approximate='tanh', GPT-2's gelu_new)
//
// The product may be grouped any way ((x * 0.5) * a, x * (a * 0.5), ...) and its
// operands may come in either order: products are flattened into a list of factors
// first. Every value inside a match must be read only inside it; x may be read by
// anyone. Constants are compared with a relative tolerance of 1e-6, so 0.70710677
// (1/√2 in f32) matches.
import { hasOp, typesEqual, type Node } from '../src/ir/index.js';
import { GELU_TANH_K, SQRT_2_OVER_PI } from '../src/interpret/activation-fns.js';
import { fusedNode, readOnlyBy, rewritePass, scalarOf, type GraphIndex, type Pattern } from './rewrite.js';

const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.abs(b);
// Exporters write √(2/π) and 0.044715 in f32 (0.7978846, 0.044715): a looser match for these.
const nearF32 = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) <= 1e-5 * Math.abs(b);

interface Product {
  /** The Mul layers of the product tree, root first. */
  muls: Node[];
  /** Non-constant factors. */
  values: string[];
  /** The product of the scalar constant factors. */
  scale: number;
}

/** Flattens a tree of Muls rooted at `root`, descending into operands only this tree reads. */
function flattenProduct(ix: GraphIndex, root: Node): Product {
  const p: Product = { muls: [], values: [], scale: 1 };
  const visit = (node: Node) => {
    p.muls.push(node);
    for (const v of node.inputs) {
      const c = scalarOf(ix.graph, v);
      const inner = ix.producer.get(v);
      if (c !== undefined) p.scale *= c;
      else if (inner?.op === 'Mul' && (ix.readers.get(v) ?? []).length === 1 && !ix.outputs.has(v)) visit(inner);
      else p.values.push(v);
    }
  };
  visit(root);
  return p;
}

/** The layer `op` producing `v`, or undefined. */
function producedBy(ix: GraphIndex, v: string, op: string): Node | undefined {
  const n = ix.producer.get(v);
  return n?.op === op ? n : undefined;
}

/** `1 + inner` (either order): the Add layer and the other operand. */
function onePlus(ix: GraphIndex, v: string): { add: Node; inner: string } | undefined {
  const add = producedBy(ix, v, 'Add');
  if (!add) return undefined;
  const [a, b] = add.inputs as [string, string];
  if (near(scalarOf(ix.graph, a), 1)) return { add, inner: b };
  if (near(scalarOf(ix.graph, b), 1)) return { add, inner: a };
  return undefined;
}

/** `x / √2` or `x * (1/√2)`: the layer, when it scales `x`. */
function overSqrt2(ix: GraphIndex, v: string, x: string): Node | undefined {
  const n = ix.producer.get(v);
  if (n?.op === 'Div' && n.inputs[0] === x && near(scalarOf(ix.graph, n.inputs[1]!), Math.SQRT2)) return n;
  if (n?.op === 'Mul' && n.inputs.includes(x) && n.inputs.some((i) => near(scalarOf(ix.graph, i), Math.SQRT1_2))) return n;
  return undefined;
}

interface Match {
  root: Node;
  parts: Node[];
  x: string;
  op: 'Gelu' | 'Silu' | 'GeluTanh';
}

/** `k * x³` (x*x*x in any grouping, or Pow(x, 3)) with k = 0.044715: its layers, or undefined. */
function cubeTerm(ix: GraphIndex, v: string, x: string): Node[] | undefined {
  const top = producedBy(ix, v, 'Mul');
  if (!top) return undefined;
  const p = flattenProduct(ix, top);
  const pow = p.values.length === 1 ? producedBy(ix, p.values[0]!, 'Pow') : undefined;
  const cubed = p.values.length === 3 && p.values.every((f) => f === x);
  const powCubed = pow?.inputs[0] === x && near(scalarOf(ix.graph, pow.inputs[1]!), 3);
  if (!nearF32(p.scale, GELU_TANH_K) || !(cubed || powCubed)) return undefined;
  return powCubed ? [...p.muls, pow!] : p.muls;
}

/** `√(2/π) * (x + k*x³)`: the layers from that product down to the cube, or undefined. */
function tanhArgument(ix: GraphIndex, v: string, x: string): Node[] | undefined {
  const top = producedBy(ix, v, 'Mul');
  const p = top && flattenProduct(ix, top);
  if (!p || p.values.length !== 1 || !nearF32(p.scale, SQRT_2_OVER_PI)) return undefined;
  const inner = producedBy(ix, p.values[0]!, 'Add');
  if (!inner) return undefined;
  const [a, b] = inner.inputs as [string, string];
  const cube = a === x ? cubeTerm(ix, b, x) : b === x ? cubeTerm(ix, a, x) : undefined;
  return cube && [...p.muls, inner, ...cube];
}

/** Check shared by both forms: x keeps its type, and inner values are read only inside the match. */
function accept(ix: GraphIndex, m: Match): Match | undefined {
  const inner = m.parts.filter((n) => n !== m.root);
  const ok = typesEqual(ix.graph.types[m.x]!, ix.graph.types[m.root.outputs[0]!]!) && inner.every((n) => readOnlyBy(ix, n.outputs[0]!, m.parts));
  return ok ? m : undefined;
}

const silu: Pattern<Match> = {
  name: 'RecognizeSilu',
  match: (ix, root) => {
    if (root.op !== 'Mul' || !hasOp('Silu')) return undefined;
    for (const [x, s] of [root.inputs, [...root.inputs].reverse()] as [string, string][]) {
      const sig = producedBy(ix, s, 'Sigmoid');
      if (sig?.inputs[0] === x) return accept(ix, { root, parts: [sig, root], x, op: 'Silu' });
    }
    return undefined;
  },
  action: (ix, m) => ({ replace: new Map([[m.root.name, replacement(ix, m)]]), remove: m.parts.filter((n) => n !== m.root).map((n) => n.name) }),
};

/**
 * GELU's two forms share their outer shape, 0.5 * x * (1 + f(arg)): `fn` names f's op,
 * `argument` checks f's input and returns the layers computing it from x.
 */
function geluForm(name: string, op: 'Gelu' | 'GeluTanh', fn: string, argument: (ix: GraphIndex, v: string, x: string) => Node[] | undefined): Pattern<Match> {
  return {
    name,
    match: (ix, root) => {
      if (root.op !== 'Mul' || !hasOp(fn) || !hasOp(op)) return undefined;
      const p = flattenProduct(ix, root);
      if (p.values.length !== 2 || !near(p.scale, 0.5)) return undefined;
      for (const [x, a] of [p.values, [...p.values].reverse()] as [string, string][]) {
        const one = onePlus(ix, a);
        const f = one && producedBy(ix, one.inner, fn);
        const arg = f && argument(ix, f.inputs[0]!, x);
        if (arg) return accept(ix, { root, parts: [...arg, f, one.add, ...p.muls], x, op });
      }
      return undefined;
    },
    action: silu.action,
  };
}

const geluErf = geluForm('RecognizeGeluErf', 'Gelu', 'Erf', (ix, v, x) => {
  const scaled = overSqrt2(ix, v, x);
  return scaled && [scaled];
});
const geluTanh = geluForm('RecognizeGeluTanh', 'GeluTanh', 'Tanh', tanhArgument);

/** The one-op layer, named after the layers it stands for, keeping the root's output value. */
function replacement(ix: GraphIndex, m: Match): Node {
  const ordered = ix.graph.nodes.filter((n) => m.parts.includes(n));
  return fusedNode(ordered, { op: m.op, inputs: [m.x], outputs: m.root.outputs, attrs: {} }, ix.graph);
}

export const RecognizeActivations = rewritePass('RecognizeActivations', [silu, geluErf, geluTanh]);
