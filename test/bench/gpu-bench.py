"""PyTorch reference timings for SampleMNIST's LeNet on the same GPU kiln ran on.

Runs the shipped Fashion-MNIST weights in eager PyTorch (fp32 and fp16, and fp32
replayed as a CUDA graph) at batch 1 and 256, timing what a kiln run does: copy
the input in from pinned memory, run the network, copy the probabilities out and
wait. Checks fp32 against samples/mnist/expected-probs.npy, then reads kiln's
results ($OUT/gpu-mnist.json, from test/bench/gpu-mnist.ts) and prints the ratios.
Usage: python3 test/bench/gpu-bench.py [repoRoot]
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
OUT = os.environ.get("OUT", os.path.join(ROOT, "bench-results"))
SCALE, SHIFT = 1.0 / (255.0 * 0.3530), -0.2860 / 0.3530


def lenet(w, x):
    x = x * SCALE + SHIFT
    x = F.max_pool2d(F.conv2d(x, w["conv1.weight"], w["conv1.bias"]), 2, 2)
    x = F.max_pool2d(F.conv2d(x, w["conv2.weight"], w["conv2.bias"]), 2, 2)
    x = F.relu(F.linear(x.flatten(1), w["fc1.weight"], w["fc1.bias"]))
    return torch.softmax(F.linear(x, w["fc2.weight"], w["fc2.bias"]), dim=1)


def timed(fn, runs):
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    wall = []
    for _ in range(runs):
        s = time.perf_counter()
        fn()
        wall.append((time.perf_counter() - s) * 1000)
    return statistics.median(wall)


def main():
    dev = torch.device("cuda")
    weights = {k: v.to(dev) for k, v in load_file(os.path.join(ROOT, "samples/mnist/lenet-fashion.safetensors")).items()}
    images = np.load(os.path.join(ROOT, "samples/mnist/test-images.npy")).astype(np.float32)
    expected = np.load(os.path.join(ROOT, "samples/mnist/expected-probs.npy"))
    with torch.no_grad():
        got = lenet(weights, torch.from_numpy(images).reshape(-1, 1, 28, 28).to(dev)).cpu().numpy()
    err = float(np.abs(got - expected).max())
    print(f"torch fp32 vs expected-probs.npy: max abs diff {err:.2e}")

    rows = []
    for batch in (1, 256):
        host = torch.from_numpy(np.resize(images, (batch, 1, 28, 28))).pin_memory()
        out_host = torch.empty((batch, 10), pin_memory=True)
        for name, dtype in (("torch eager fp32", torch.float32), ("torch eager fp16", torch.float16)):
            w = {k: v.to(dtype) for k, v in weights.items()}

            def step():
                with torch.no_grad():
                    y = lenet(w, host.to(dev, non_blocking=True).to(dtype))
                    out_host.copy_(y.float(), non_blocking=True)
                torch.cuda.synchronize()

            ms = timed(step, 1000 if batch == 1 else 200)
            rows.append({"engine": name, "batch": batch, "wallMs": round(ms, 4), "imagesPerS": round(batch / (ms / 1000))})
        # fp32 as a CUDA graph: the closest PyTorch analogue of kiln's graph replay.
        static_in = torch.empty((batch, 1, 28, 28), device=dev)
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s), torch.no_grad():
            for _ in range(3):
                lenet(weights, static_in)
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g), torch.no_grad():
            static_out = lenet(weights, static_in)

        def graph_step():
            static_in.copy_(host, non_blocking=True)
            g.replay()
            out_host.copy_(static_out, non_blocking=True)
            torch.cuda.synchronize()

        ms = timed(graph_step, 1000 if batch == 1 else 200)
        rows.append({"engine": "torch cuda graph fp32", "batch": batch, "wallMs": round(ms, 4), "imagesPerS": round(batch / (ms / 1000))})
    for r in rows:
        print(json.dumps(r))

    kiln_path = os.path.join(OUT, "gpu-mnist.json")
    ratios = []
    if os.path.exists(kiln_path):
        kiln = [t for t in json.load(open(kiln_path)).get("timings", []) if t["engine"].startswith("kiln cuda")]
        for k in kiln:
            for r in rows:
                if r["batch"] == k["batch"]:
                    ratios.append({"kiln": k["engine"], "torch": r["engine"], "batch": k["batch"],
                                   "speedup": round(r["wallMs"] / k["wallMs"], 2)})
        for q in ratios:
            print(f"batch {q['batch']}: {q['kiln']} is {q['speedup']}x {q['torch']} (wall-clock per run)")
    os.makedirs(OUT, exist_ok=True)
    json.dump({"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "maxAbsDiff": err, "timings": rows, "ratios": ratios},
              open(os.path.join(OUT, "gpu-bench.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
