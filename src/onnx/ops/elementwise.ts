// Elementwise ops: arithmetic (Add..Pow, variadic Max/Min/Sum/Mean), unary math
// (the IR's MATH_OPS, which carry ONNX's names and attributes), comparisons and logic,
// Where, and the few ONNX ops that are compositions of those (IsNaN, IsInf, Shrink).
// Arithmetic and comparisons on known values (shape computations) evaluate at import.
import { MATH_OPS, type AttrValue } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { dimBinary, type DimOp } from '../import/dim-math.js';
import { isFloatType, T } from '../import/known.js';
import { defineImporter } from '../import/registry.js';
import { constOf, knownElementwise, scalarLike } from './helpers.js';

const ARITHMETIC: Record<string, DimOp> = { Add: 'Add', Sub: 'Sub', Mul: 'Mul', Div: 'Div' };
const COMPARE: Record<string, DimOp> = { Equal: 'Equal', Less: 'Less', Greater: 'Greater', LessOrEqual: 'LessOrEqual', GreaterOrEqual: 'GreaterOrEqual' };

function knownBinary(ctx: NodeContext, op: DimOp, outType: number): boolean {
  const integer = !isFloatType(ctx.dataType(0));
  return knownElementwise(ctx, outType, (a, b) => dimBinary(op, a!, b!, integer));
}

for (const [name, op] of Object.entries(ARITHMETIC)) {
  defineImporter(name, {
    import: (ctx) => {
      if (knownBinary(ctx, op, ctx.dataType(0))) return;
      ctx.emit(name, [ctx.value(0), ctx.value(1)], {}, 0);
    },
  });
}

for (const [name, op] of Object.entries(COMPARE)) {
  defineImporter(name, {
    import: (ctx) => {
      if (knownBinary(ctx, op, T.BOOL)) return;
      ctx.emit(name, [ctx.value(0), ctx.value(1)], {}, 0);
    },
  });
}

defineImporter('Pow', {
  import: (ctx) => {
    const base = ctx.value(0);
    let exponent = ctx.value(1);
    const { dtype } = ctx.type(0);
    if (ctx.type(1).dtype !== dtype) exponent = ctx.emit('Cast', [exponent], { to: dtype }, 'exponent');
    ctx.emit('Pow', [base, exponent], {}, 0);
  },
});

defineImporter('Mod', {
  import: (ctx) => {
    const fmod = ctx.attrs.int('fmod', 0);
    const known = fmod === 0
      ? knownBinary(ctx, 'Mod', ctx.dataType(0))
      : knownElementwise(ctx, ctx.dataType(0), (a, b) => (typeof a === 'number' && typeof b === 'number' ? a % b : undefined));
    if (!known) ctx.emit('Mod', [ctx.value(0), ctx.value(1)], { fmod }, 0);
  },
});

/** Max, Min and Sum take any number of inputs since opset 8; they chain as binary layers. */
for (const [name, ir] of [['Max', 'Max'], ['Min', 'Min'], ['Sum', 'Add'], ['Mean', 'Add']] as const) {
  defineImporter(name, {
    import: (ctx) => {
      if (ctx.inputCount === 2 && name !== 'Mean' && knownBinary(ctx, ir, ctx.dataType(0))) return;
      if (ctx.inputCount === 1 && name !== 'Mean') return ctx.alias(0, 0);
      let acc = ctx.value(0);
      for (let i = 1; i < ctx.inputCount; i++) {
        const last = i === ctx.inputCount - 1 && name !== 'Mean';
        acc = ctx.emit(ir, [acc, ctx.value(i)], {}, last ? 0 : `${ir.toLowerCase()}${i}`);
      }
      if (name === 'Mean') ctx.emit('Div', [acc, scalarLike(ctx, acc, ctx.inputCount, 'count')], {}, 0);
    },
  });
}

for (const [name, def] of Object.entries(MATH_OPS)) {
  defineImporter(name, {
    import: (ctx) => {
      const attrs: Record<string, AttrValue> = {};
      for (const key of Object.keys(def.attrs)) {
        const v = ctx.attrs.float(key);
        if (v !== undefined) attrs[key] = v;
      }
      ctx.emit(name, [ctx.value(0)], attrs, 0);
    },
  });
}

for (const name of ['And', 'Or', 'Xor']) {
  defineImporter(name, {
    import: (ctx) => {
      const fn = name === 'And' ? (a: number, b: number) => a && b : name === 'Or' ? (a: number, b: number) => a || b : (a: number, b: number) => (a ? 1 : 0) ^ (b ? 1 : 0);
      if (knownElementwise(ctx, T.BOOL, (a, b) => (typeof a === 'number' && typeof b === 'number' ? (fn(a, b) ? 1 : 0) : undefined))) return;
      ctx.emit(name, [ctx.value(0), ctx.value(1)], {}, 0);
    },
  });
}

defineImporter('Not', {
  import: (ctx) => {
    if (knownElementwise(ctx, T.BOOL, (a) => (typeof a === 'number' ? (a ? 0 : 1) : undefined))) return;
    ctx.emit('Not', [ctx.value(0)], {}, 0);
  },
});

defineImporter('Where', {
  import: (ctx) => {
    if (knownElementwise(ctx, ctx.dataType(1), (c, x, y) => (typeof c === 'number' ? (c ? x : y) : undefined))) return;
    ctx.emit('Where', [ctx.value(0), ctx.value(1), ctx.value(2)], {}, 0);
  },
});

defineImporter('IsNaN', {
  import: (ctx) => {
    const x = ctx.value(0);
    ctx.emit('Not', [ctx.emit('Equal', [x, x], {}, 'self')], {}, 0);
  },
});

defineImporter('IsInf', {
  import: (ctx) => {
    const x = ctx.value(0);
    const pos = ctx.attrs.int('detect_positive', 1) !== 0;
    const neg = ctx.attrs.int('detect_negative', 1) !== 0;
    const test = (v: number, tag: string) => ctx.emit('Equal', [x, scalarLike(ctx, x, v, tag)], {}, tag);
    if (pos && neg) return void ctx.emit('Or', [test(Infinity, 'pos'), test(-Infinity, 'neg')], {}, 0);
    if (pos || neg) return ctx.output(0, test(pos ? Infinity : -Infinity, pos ? 'pos' : 'neg'));
    const { shape } = ctx.type(0);
    if (shape.some((d) => typeof d === 'string')) ctx.unsupported('shape unsupported', 'IsInf detecting nothing on a symbolic shape');
    ctx.output(0, constOf(ctx, 'none', 'bool', shape as number[], new Array((shape as number[]).reduce((a, b) => a * b, 1)).fill(0)));
  },
});

defineImporter('Shrink', {
  import: (ctx) => {
    const x = ctx.value(0);
    const lambd = ctx.attrs.float('lambd', 0.5);
    const bias = ctx.attrs.float('bias', 0);
    const s = (v: number, tag: string) => scalarLike(ctx, x, v, tag);
    const low = ctx.emit('Less', [x, s(-lambd, 'neg_lambd')], {}, 'low');
    const high = ctx.emit('Greater', [x, s(lambd, 'lambd')], {}, 'high');
    const upper = ctx.emit('Where', [high, ctx.emit('Sub', [x, s(bias, 'bias')], {}, 'minus'), s(0, 'zero')], {}, 'upper');
    ctx.emit('Where', [low, ctx.emit('Add', [x, s(bias, 'bias')], {}, 'plus'), upper], {}, 0);
  },
});
