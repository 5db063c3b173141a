// Scale (TensorRT's IScaleLayer: y = (x*scale + shift)^power, uniform, per channel
// or elementwise) and Softmax along one axis.
import { defineOp } from '../op-registry.js';
import { formatType, normalizeAxis, shapesEqual, type TensorType } from '../shape.js';

defineOp({
  name: 'Scale',
  group: 'scale',
  inputs: [{ name: 'x' }, { name: 'shift', optional: true }, { name: 'scale', optional: true }, { name: 'power', optional: true }],
  attrs: { mode: { kind: 'string', oneOf: ['uniform', 'channel', 'elementwise'] }, channelAxis: { kind: 'int', default: 1 } },
  infer: ({ inputs, attrs, fail }) => {
    const x = inputs[0]!;
    const axis = normalizeAxis(attrs.channelAxis as number, x.shape.length);
    if (attrs.mode === 'channel' && axis === undefined) fail(`channelAxis ${String(attrs.channelAxis)} is out of range for input 'x' ${formatType(x)}`, { argument: 'channelAxis' });
    const want = attrs.mode === 'uniform' ? [1] : attrs.mode === 'channel' ? [x.shape[axis!]!] : x.shape;
    (['shift', 'scale', 'power'] as const).forEach((name, i) => {
      const t = inputs[i + 1] as TensorType | undefined;
      if (!t) return;
      if (t.dtype !== x.dtype || !shapesEqual(t.shape, want)) {
        fail(`${attrs.mode} mode needs '${name}' ${x.dtype}[${want.join(',')}], got ${formatType(t)}`, { argument: name, expected: `${x.dtype}[${want.join(',')}]`, received: formatType(t) });
      }
    });
    return [x];
  },
});

defineOp({
  name: 'Softmax',
  group: 'softmax',
  inputs: [{ name: 'x' }],
  attrs: { axis: { kind: 'int', default: -1 } },
  infer: ({ inputs, attrs, fail }) => {
    const x = inputs[0]!;
    if (normalizeAxis(attrs.axis as number, x.shape.length) === undefined) {
      fail(`axis ${String(attrs.axis)} is out of range for input 'x' ${formatType(x)}`, { argument: 'axis', received: String(attrs.axis) });
    }
    return [x];
  },
});
