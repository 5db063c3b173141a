"""Train SampleMNIST's LeNet on Fashion-MNIST and export what the TypeScript sample needs.

The network mirrors TensorRT's SampleMNIST exactly (raw 0..255 input, uniform scale
layer, two conv+maxpool stages *without* ReLU, fc1+ReLU, fc2, softmax) so the kiln
engine can be checked against torch layer for layer. Outputs (next to this file):
lenet-fashion.safetensors, test-images.npy, test-labels.npy, expected-probs.npy.

Run:  /usr/bin/python3 samples/mnist/train.py   (CPU only, reads the idx .gz files
directly; safetensors and npy are written with struct+json / numpy, no extra packages).
"""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
EPOCHS = 6
BATCH = 64
LR = 1e-3

# Fashion-MNIST training-set pixel mean/std (in 0..1 units). The engine sees raw
# 0..255 pixels, so normalization is folded into one affine "scale layer":
#   y = x * SCALE + SHIFT  ==  (x/255 - MEAN) / STD
MEAN = 0.2860
STD = 0.3530
SCALE = 1.0 / (255.0 * STD)
SHIFT = -MEAN / STD
N_SHIPPED = 500


def read_idx(path):
    """Parse an idx file (big-endian magic: 0x00 0x00 dtype ndim, then ndim u32 dims)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: expected idx u8 data, got magic {raw[:4].hex()}")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).copy()  # writable for torch
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} but has {data.size} bytes")
    return data.reshape(dims)


class LeNet(nn.Module):
    """SampleMNIST's LeNet; forward() takes raw pixels f32[N,1,28,28] in 0..255."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):
        # Same float32 arithmetic the engine's scale layer does: x*scale + shift.
        x = x * torch.tensor(SCALE, dtype=torch.float32) + torch.tensor(SHIFT, dtype=torch.float32)
        x = F.max_pool2d(self.conv1(x), 2, 2)
        x = F.max_pool2d(self.conv2(x), 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)  # logits; softmax applied at export / evaluation


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer: u64 LE header length, JSON header, packed data."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype="<f4")
        nbytes = arr.nbytes
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + nbytes]}
        blobs.append(arr.tobytes())
        offset += nbytes
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)  # pad so the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


@torch.no_grad()
def evaluate(model, images, labels):
    model.eval()
    correct = 0
    for i in range(0, len(images), 1000):
        x = torch.from_numpy(images[i : i + 1000]).float().unsqueeze(1)
        pred = model(x).argmax(1).numpy()
        correct += int((pred == labels[i : i + 1000]).sum())
    return correct / len(images)


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    train_x = read_idx(f"{DATA_DIR}/train-images-idx3-ubyte.gz")
    train_y = read_idx(f"{DATA_DIR}/train-labels-idx1-ubyte.gz").astype(np.int64)
    test_x = read_idx(f"{DATA_DIR}/t10k-images-idx3-ubyte.gz")
    test_y = read_idx(f"{DATA_DIR}/t10k-labels-idx1-ubyte.gz")
    print(f"train {train_x.shape}, test {test_x.shape}", flush=True)

    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    xs = torch.from_numpy(train_x).float().unsqueeze(1)
    ys = torch.from_numpy(train_y)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xs), generator=gen)
        total = 0.0
        for i in range(0, len(xs), BATCH):
            idx = perm[i : i + BATCH]
            loss = F.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        acc = evaluate(model, test_x, test_y)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / len(xs):.4f}, test acc {acc:.4f}, "
              f"{time.time() - t0:.0f}s", flush=True)

    acc = evaluate(model, test_x, test_y)
    model.eval()
    with torch.no_grad():
        shipped = torch.from_numpy(test_x[:N_SHIPPED]).float().unsqueeze(1)
        probs = F.softmax(model(shipped), dim=1).numpy().astype("<f4")
    acc500 = float((probs.argmax(1) == test_y[:N_SHIPPED]).mean())
    print(f"test accuracy (10000 images): {acc:.4f}")
    print(f"accuracy on the {N_SHIPPED} shipped images: {acc500:.4f}")

    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    names = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
             "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    metadata = {
        "dataset": "fashion-mnist",
        "test_accuracy": f"{acc:.4f}",
        "normalization": f"y = x * {SCALE!r} + {SHIFT!r} on raw 0..255 pixels "
                         f"(mean {MEAN}, std {STD})",
        "seed": str(SEED),
        "epochs": str(EPOCHS),
    }
    write_safetensors(f"{OUT_DIR}/lenet-fashion.safetensors", {n: sd[n] for n in names}, metadata)
    np.save(f"{OUT_DIR}/test-images.npy", np.ascontiguousarray(test_x[:N_SHIPPED], dtype=np.uint8))
    np.save(f"{OUT_DIR}/test-labels.npy", np.ascontiguousarray(test_y[:N_SHIPPED], dtype=np.uint8))
    np.save(f"{OUT_DIR}/expected-probs.npy", probs)
    print(f"wrote weights and test data to {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
