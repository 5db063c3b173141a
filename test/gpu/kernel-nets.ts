// Small networks that, between them, reach every CUDA kernel template and tactic:
// broadcasting binaries, every activation, scale modes, transpose, concat, softmax
// on contiguous and strided axes, max/avg pooling with padding, 1-D and 2-D conv
// with groups/strides/dilation, batched and skinny gemm. Used by the emulator suite
// (CI), the GPU suite, and the device check script alike.
import { Network } from '../../src/index.js';
import { mulberry32, randomTensor, type Tensor } from '../../src/interpret/index.js';

export interface KernelNet {
  name: string;
  net: Network;
  inputs: Record<string, Tensor>;
}

function weights(seed: number, n: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

function scaled(seed: number, n: number, by: number): Float32Array {
  return weights(seed, n).map((v) => v * by);
}

function input(net: Network, name: string, shape: number[], seed: number) {
  return { t: net.input(name, 'f32', shape), tensor: randomTensor('f32', shape, mulberry32(seed), { min: -2, max: 2 }) };
}

function pointwise(): KernelNet {
  const net = new Network({ name: 'pointwise' });
  const a = input(net, 'a', [2, 3, 4], 1), b = input(net, 'b', [4], 2), c = input(net, 'c', [2, 1, 4], 3), d = input(net, 'd', [3, 1], 4);
  const s = a.t.add(b.t, 'add').mul(c.t, 'mul').sub(d.t, 'sub').max(a.t, 'max').min(c.t.sigmoid('sig'), 'min').div(2.5, 'div');
  const acts = [s.tanh('tanh'), s.leakyRelu(0.1, 'leaky'), s.clip(-0.3, 0.4, 'clip'), s.gelu('gelu'), s.silu('silu'), s.relu('relu')];
  const sum = acts.reduce((x, y, i) => x.add(y, `sum${i}`));
  const scaled = sum.scale({ name: 'chscale', mode: 'channel', channelAxis: 1, scale: weights(5, 3), shift: weights(6, 3) })
    .scale({ name: 'elscale', mode: 'elementwise', scale: weights(7, 24), shift: weights(8, 24), power: new Float32Array(24).fill(2) });
  net.markOutput(scaled, 'y');
  return { name: 'pointwise', net, inputs: { a: a.tensor, b: b.tensor, c: c.tensor, d: d.tensor } };
}

function movement(): KernelNet {
  const net = new Network({ name: 'movement' });
  const x = input(net, 'x', [2, 5, 3], 11), z = input(net, 'z', [2, 3, 3], 12);
  const t = x.t.transpose([0, 2, 1], 'transpose');  // [2,3,5]
  const cat = net.concat([t, z.t.relu('zr'), t.sigmoid('ts')], { axis: 2, name: 'concat' }); // [2,3,13]
  net.markOutput(cat.softmax(1, 'softmax_strided'), 'strided');
  net.markOutput(cat.reshape([6, 13], 'flat').softmax(-1, 'softmax_rows'), 'rows');
  return { name: 'movement', net, inputs: { x: x.tensor, z: z.tensor } };
}

function convPool(): KernelNet {
  const net = new Network({ name: 'convpool' });
  const x = input(net, 'x', [2, 4, 9, 8], 21);
  const c = x.t.conv({ name: 'conv_g', outChannels: 6, kernel: [3, 3], groups: 2, strides: [2, 1], padding: [1, 2], dilations: [1, 2], weights: weights(22, 6 * 2 * 9), bias: weights(23, 6) }).relu('crelu');
  const p = c.avgPool({ name: 'avg', kernel: [3, 3], strides: [2, 2], padding: [1, 1] });
  const q = c.avgPool({ name: 'avg_incl', kernel: [2, 3], strides: [1, 2], padding: [1, 1], countIncludePad: true });
  const m = c.maxPool({ name: 'maxp', kernel: [3, 2], strides: [1, 1], padding: [1, 0] });
  const big = x.t.conv({ name: 'conv_wide', outChannels: 40, kernel: [1, 1], weights: weights(24, 160) });
  net.markOutput(p, 'avg');
  net.markOutput(q, 'avg_incl');
  net.markOutput(m, 'max');
  net.markOutput(big, 'wide');
  const s = input(net, 's', [3, 6, 20], 25);
  const c1 = s.t.conv({ name: 'conv1d', outChannels: 4, kernel: [3], strides: [2], padding: [2], dilations: [2], weights: weights(26, 4 * 6 * 3), bias: weights(27, 4) });
  net.markOutput(c1.maxPool({ name: 'pool1d', kernel: [2], strides: [2] }), 'seq');
  return { name: 'convpool', net, inputs: { x: x.tensor, s: s.tensor } };
}

function gemms(): KernelNet {
  const net = new Network({ name: 'gemms' });
  const a = input(net, 'a', [3, 1, 20, 37], 31), b = input(net, 'b', [2, 37, 45], 32);
  net.markOutput(a.t.matmul(b.t, { name: 'bmm' }).gelu('g'), 'batched');
  const at = input(net, 'at', [70, 33], 33), bt = input(net, 'bt', [65, 70], 34);
  net.markOutput(at.t.matmul(bt.t, { name: 'tmm', transA: true, transB: true }), 'transposed');
  const v = input(net, 'v', [5, 50], 35);
  net.markOutput(v.t.fullyConnected({ name: 'fc', outputs: 33, weights: weights(36, 33 * 50), bias: weights(37, 33) }).relu('fcrelu'), 'skinny');
  return { name: 'gemms', net, inputs: { a: a.tensor, b: b.tensor, at: at.tensor, bt: bt.tensor, v: v.tensor } };
}

/** The encoder's op families: an embedding gather (i64 ids, one negative), slices, erf, layer norm. */
function encoderOps(): KernelNet {
  const net = new Network({ name: 'encoderOps' });
  const ids = net.input('ids', 'i64', [2, 3]);
  const table = net.constant('table', weights(51, 7 * 12), [7, 12]);
  const e = table.gather(ids, { name: 'embed' });  // [2,3,12]
  const sl = e.slice({ name: 'slice', starts: [0, 1, 10], ends: [2, 3, 0], axes: [0, 1, 2], steps: [1, 1, -3] });  // [2,2,4]
  const g = sl.mul(0.7, 'half').erf('erf');
  const ln = e.layerNorm({ name: 'ln', scale: weights(52, 12), bias: weights(53, 12), epsilon: 1e-5 }).relu('lnrelu');
  net.markOutput(g, 'erf');
  net.markOutput(ln.layerNorm({ name: 'ln2', scale: weights(54, 12), axis: -1 }), 'norm');
  const idsData = BigInt64Array.from([0n, 3n, -1n, 6n, 2n, 5n]);
  return { name: 'encoderOps', net, inputs: { ids: { dtype: 'i64', shape: [2, 3], data: idsData } as Tensor } };
}

/** An inverted residual block on a small plane: layout assignment makes it NHWC (1x1 convs as gemms over pixels, a depthwise convDepthwiseNhwc). */
function invertedResidual(): KernelNet {
  const net = new Network({ name: 'invertedResidual' });
  const x = input(net, 'x', [2, 16, 6, 6], 61);
  // Three blocks: enough layers per reformat for the pass to move the region. Weights scaled so
  // values stay near 1 (sums of large terms that cancel would test rounding, not the kernels).
  const weights = (seed: number, n: number) => scaled(seed, n, 0.25);
  let t = x.t;
  for (let i = 0; i < 3; i++) {
    const e = t.conv({ name: `expand${i}`, outChannels: 32, kernel: [1, 1], weights: weights(62 + 10 * i, 32 * 16), bias: weights(63 + 10 * i, 32) }).relu(`erelu${i}`);
    const d = e.conv({ name: `dw${i}`, outChannels: 32, kernel: [3, 3], groups: 32, padding: [1, 1], weights: weights(64 + 10 * i, 32 * 9), bias: weights(65 + 10 * i, 32) }).clip(0, 6, `relu6_${i}`);
    const p = d.conv({ name: `project${i}`, outChannels: 16, kernel: [1, 1], weights: weights(66 + 10 * i, 16 * 32), bias: weights(67 + 10 * i, 16) });
    t = p.add(t, `skip${i}`);
  }
  net.markOutput(t, 'y');
  return { name: 'invertedResidual', net, inputs: { x: x.tensor } };
}

/** Two convs and two gemms small enough to emulate once per forced tactic. */
export function tacticNet(): KernelNet {
  const net = new Network({ name: 'tactics' });
  const x = input(net, 'x', [2, 4, 7, 6], 41), a = input(net, 'a', [2, 1, 70, 19], 42), b = input(net, 'b', [3, 75, 19], 43);
  net.markOutput(x.t.conv({ name: 'tconv', outChannels: 70, kernel: [3, 2], groups: 2, padding: [1, 0], dilations: [2, 1], weights: weights(44, 70 * 2 * 6), bias: weights(45, 70) }), 'conv');
  net.markOutput(x.t.conv({ name: 'tconv2', outChannels: 6, kernel: [3, 2], groups: 2, strides: [2, 1], padding: [1, 1], weights: weights(47, 6 * 2 * 6), bias: weights(48, 6) }).tanh('ttanh'), 'conv2');
  net.markOutput(a.t.matmul(b.t, { name: 'tmm', transB: true }).silu('tsilu'), 'mm');
  const c = input(net, 'c', [2, 1, 19, 70], 46);
  net.markOutput(c.t.matmul(b.t, { name: 'tmmT', transA: true, transB: true }), 'mmT');
  return { name: 'tactics', net, inputs: { x: x.tensor, a: a.tensor, b: b.tensor, c: c.tensor } };
}

/** 1x1 convs on a plane too big for layout assignment (NCHW): under fp16 they stage B with word loads. */
function pointwiseConvs(): KernelNet {
  const net = new Network({ name: 'pointwiseConvs' });
  const x = input(net, 'x', [2, 3, 34, 34], 81);
  const w = (seed: number, n: number) => scaled(seed, n, 0.3);
  const c0 = x.t.conv({ name: 'pc0', outChannels: 8, kernel: [3, 3], padding: [1, 1], weights: w(82, 8 * 27), bias: w(83, 8) }).relu('pr0');
  const c1 = c0.conv({ name: 'pc1', outChannels: 24, kernel: [1, 1], weights: w(84, 24 * 8), bias: w(85, 24) }).relu('pr1');
  const c2 = c1.conv({ name: 'pc2', outChannels: 8, kernel: [1, 1], weights: w(86, 8 * 24), bias: w(87, 8) });
  net.markOutput(c2.add(c0, 'pskip').relu('pr2').conv({ name: 'pc3', outChannels: 4, kernel: [1, 1], weights: w(88, 32) }), 'y');
  return { name: 'pointwiseConvs', net, inputs: { x: x.tensor } };
}

/** Long-K layers of one image, for the split-K tactics (K cut into slices summed in the workspace). */
export function splitNet(): KernelNet {
  const net = new Network({ name: 'splitK' });
  const x = input(net, 'x', [1, 64, 5, 4], 71), v = input(net, 'v', [3, 300], 72);
  const c = x.t.conv({ name: 'sconv', outChannels: 40, kernel: [3, 3], padding: [1, 1], weights: weights(73, 40 * 64 * 9), bias: weights(74, 40) }).relu('srelu');
  net.markOutput(c.add(x.t.conv({ name: 'sconv1', outChannels: 40, kernel: [1, 1], weights: weights(75, 40 * 64) }), 'sadd'), 'conv');
  net.markOutput(v.t.fullyConnected({ name: 'sfc', outputs: 20, weights: weights(76, 20 * 300), bias: weights(77, 20) }).tanh('stanh'), 'fc');
  return { name: 'splitK', net, inputs: { x: x.tensor, v: v.tensor } };
}

/**
 * Convs for the CUDA layout (lowerNetwork(net, 3, 'cuda')): NHWC convs of 8k input channels
 * with 1x1, 3x3 strided, dilated 5x5 windows, a fused residual, an odd channel count and
 * pixel counts that leave partial tiles, a max pool and a global average pool inside the
 * region (PoolNhwc); the 3-channel stem stays NCHW.
 */
export function nhwcNet(): KernelNet {
  const net = new Network({ name: 'nhwcConvs' });
  const x = input(net, 'x', [2, 3, 9, 7], 91);
  const w = (seed: number, n: number) => scaled(seed, n, 0.3);
  const stem = x.t.conv({ name: 'nstem', outChannels: 16, kernel: [3, 3], padding: [1, 1], weights: w(92, 16 * 27), bias: w(93, 16) }).relu('nr0');
  const a = stem.conv({ name: 'na', outChannels: 32, kernel: [3, 3], padding: [1, 1], weights: w(94, 32 * 16 * 9), bias: w(95, 32) }).relu('nr1');
  const b = a.conv({ name: 'nb', outChannels: 16, kernel: [1, 1], weights: w(96, 16 * 32) }).add(stem, 'nskip').relu('nr2');
  const c = b.conv({ name: 'nc', outChannels: 24, kernel: [3, 3], strides: [2, 2], padding: [1, 1], weights: w(97, 24 * 16 * 9), bias: w(98, 24) }).clip(0, 6, 'nr3');
  const p = c.maxPool({ name: 'npool', kernel: [3, 3], strides: [1, 1], padding: [1, 1] });
  const d = p.conv({ name: 'nd', outChannels: 13, kernel: [5, 5], dilations: [2, 2], padding: [4, 4], weights: w(99, 13 * 24 * 25), bias: w(100, 13) });
  net.markOutput(d.avgPool({ name: 'ngap', kernel: [5, 4] }), 'y');
  return { name: 'nhwcConvs', net, inputs: { x: x.tensor } };
}

export function kernelNets(): KernelNet[] {
  return [pointwise(), movement(), convPool(), gemms(), encoderOps(), invertedResidual(), pointwiseConvs()];
}
