// Sliding-window geometry shared by the Conv and Pool kernels. 1-D and 2-D windows
// are lifted to 3-D by prepending size-1 dims (kernel 1, stride 1, no padding), so a
// single loop nest serves every rank and there is one place to get the indexing right.
import { windowParams } from '../../ir/index.js';
import type { KernelContext } from '../kernel.js';

type Triple = [number, number, number];

export interface Window3d {
  /** Input and output spatial extents, and the window, as [depth, height, width]. */
  input: Triple;
  output: Triple;
  kernel: Triple;
  strides: Triple;
  padsBegin: Triple;
  padsEnd: Triple;
  dilations: Triple;
}

function lift(v: readonly number[], fill: number): Triple {
  const padded = [...new Array<number>(3 - v.length).fill(fill), ...v];
  return [padded[0]!, padded[1]!, padded[2]!];
}

/** The window of a Conv/Pool node over x [N,C,spatial...] producing `outShape`. */
export function window3d(ctx: KernelContext, xShape: readonly number[], outShape: readonly number[], kernel: readonly number[]): Window3d {
  const w = windowParams(ctx.attrs, kernel);
  if (typeof w === 'string') return ctx.fail(w);
  return {
    input: lift(xShape.slice(2), 1),
    output: lift(outShape.slice(2), 1),
    kernel: lift(w.kernel, 1),
    strides: lift(w.strides, 1),
    padsBegin: lift(w.padsBegin, 0),
    padsEnd: lift(w.padsEnd, 0),
    dilations: lift(w.dilations, 1),
  };
}

/**
 * The input coordinate that output position `o` reads at kernel tap `k` along dim
 * `d`; may fall in the padding (< 0 or >= the input extent).
 */
export function inputCoord(win: Window3d, d: 0 | 1 | 2, o: number, k: number): number {
  return o * win.strides[d] - win.padsBegin[d] + k * win.dilations[d];
}
