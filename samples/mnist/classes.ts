// Constants shared by the SampleMNIST sample and samples/mnist/train.py: the
// Fashion-MNIST class names (index = label) and the input normalization folded into
// the network's uniform scale layer. The expressions are the same as train.py's, so
// they evaluate to bit-identical doubles on both sides.

/** Fashion-MNIST labels 0..9 (Zalando Research, MIT license). */
export const CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
  'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;
export const CLASS_NAMES = CLASSES;

/** Training-set pixel mean and standard deviation, in 0..1 units. */
export const MEAN = 0.2860;
export const STD = 0.3530;

/**
 * The scale layer maps raw 0..255 pixels x to y = x * SCALE + SHIFT, which equals
 * (x / 255 - MEAN) / STD. SCALE = 0.011109259567849803, SHIFT = -0.8101983002832861.
 */
export const SCALE = 1.0 / (255.0 * STD);
export const SHIFT = -MEAN / STD;

/** Files written by train.py next to this module. */
export const WEIGHTS_FILE = 'lenet-fashion.safetensors';
export const TEST_IMAGES_FILE = 'test-images.npy';
export const TEST_LABELS_FILE = 'test-labels.npy';
export const EXPECTED_PROBS_FILE = 'expected-probs.npy';
