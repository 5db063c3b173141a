// SampleMNIST's network, rebuilt with kiln's DSL: the LeNet of TensorRT's sample,
// trained on Fashion-MNIST (see README.md here for how the weights were made).
import { Network, type WeightTensor } from '../../src/index.js';
import { SHIFT, SCALE } from './classes.js';

export const INPUT = 'data';
export const OUTPUT = 'prob';

/** Records the network; `weights` maps the names train.py wrote to tensors. */
export function defineMnistNetwork(weights: ReadonlyMap<string, WeightTensor>, batch: number | string = 1): Network {
  const net = new Network({ name: 'mnist', weights });
  const prob = net
    .input(INPUT, 'f32', [batch, 1, 28, 28])
    // Raw 0..255 pixels in, normalized as in training: x * SCALE + SHIFT.
    .scale({ name: 'scale', mode: 'uniform', scale: SCALE, shift: SHIFT })
    .conv({ name: 'conv1', outChannels: 20, kernel: [5, 5], weights: 'conv1.weight', bias: 'conv1.bias' })
    .maxPool({ name: 'pool1', kernel: [2, 2], strides: [2, 2] })
    .conv({ name: 'conv2', outChannels: 50, kernel: [5, 5], weights: 'conv2.weight', bias: 'conv2.bias' })
    .maxPool({ name: 'pool2', kernel: [2, 2], strides: [2, 2] })
    .fullyConnected({ name: 'fc1', outputs: 500, weights: 'fc1.weight', bias: 'fc1.bias' })
    .relu('relu1')
    .fullyConnected({ name: 'fc2', outputs: 10, weights: 'fc2.weight', bias: 'fc2.bias' })
    .softmax(1, 'softmax');
  net.markOutput(prob, OUTPUT);
  return net;
}
