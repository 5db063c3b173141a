// Pool by hand: max ignoring padding, average with both divisor rules, 1-D and 3-D.
import { describe, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp } from './graph-helpers.js';

const iota = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('Pool', () => {
  it('max ignores padding (it is not a zero)', () => {
    const x = tensor('f32', [1, 1, 3, 3], [-1, -2, 3, -4, 5, -6, 7, -8, 9]);
    const y = runOp('Pool', [x], { mode: 'max', kernel: [2, 2], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1] });
    expectTensor(y, 'f32', [1, 1, 2, 2], [-1, 3, 7, 9]);
  });

  const x9 = tensor('f32', [1, 1, 3, 3], iota(9));
  const same3x3 = { kernel: [3, 3], padsBegin: [1, 1], padsEnd: [1, 1] };

  it('avg divides by the real elements in the window', () => {
    const y = runOp('Pool', [x9], { mode: 'avg', ...same3x3 });
    expectTensor(y, 'f32', [1, 1, 3, 3], [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7]);
  });

  it('avg with countIncludePad divides by the whole window', () => {
    const y = runOp('Pool', [x9], { mode: 'avg', countIncludePad: true, ...same3x3 });
    expectTensor(y, 'f32', [1, 1, 3, 3], [12 / 9, 21 / 9, 16 / 9, 27 / 9, 5, 33 / 9, 24 / 9, 39 / 9, 28 / 9]);
  });

  it('1-D avg with stride and padding, both divisor rules', () => {
    const x = tensor('f32', [1, 1, 4], [1, 2, 3, 4]);
    const attrs = { mode: 'avg', kernel: [2], strides: [2], padsBegin: [1], padsEnd: [1] };
    expectTensor(runOp('Pool', [x], attrs), 'f32', [1, 1, 3], [1, 2.5, 4]);
    expectTensor(runOp('Pool', [x], { ...attrs, countIncludePad: true }), 'f32', [1, 1, 3], [0.5, 2.5, 2]);
  });

  it('pools each channel and batch separately', () => {
    const x = tensor('f32', [2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expectTensor(runOp('Pool', [x], { mode: 'max', kernel: [1, 2] }), 'f32', [2, 2, 1, 1], [2, 4, 6, 8]);
    expectTensor(runOp('Pool', [x], { mode: 'avg', kernel: [1, 2] }), 'f32', [2, 2, 1, 1], [1.5, 3.5, 5.5, 7.5]);
  });

  it('3-D max pool', () => {
    const x = tensor('f32', [1, 1, 2, 2, 2], [1, 8, 3, 4, 5, 6, 7, 2]);
    expectTensor(runOp('Pool', [x], { mode: 'max', kernel: [2, 1, 1] }), 'f32', [1, 1, 1, 2, 2], [5, 8, 7, 4]);
  });
});
