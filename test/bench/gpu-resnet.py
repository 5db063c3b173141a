"""The GPU model checks and the ResNet-50 benchmark, PyTorch's half (run on the device).

  python3 test/bench/gpu-resnet.py prepare WORKDIR
      exports torchvision's ResNet-50 (seeded random weights) to WORKDIR/resnet50.onnx,
      writes seeded inputs for every checked model (../shared/models and resnet50) and
      onnxruntime's outputs for them, and WORKDIR/manifest.json for test/bench/gpu-models.ts.
  python3 test/bench/gpu-resnet.py bench WORKDIR
      times ResNet-50 fp16 in PyTorch eager (channels_last) and torch.compile at batch 1
      and 256 on this GPU, reads kiln's figures ($OUT/gpu-models.json) and prints ratios
      to $OUT/gpu-resnet.json.

Timing as kiln's: median over runs of wall-clock per forward with the input already on
the GPU (fp16, channels_last for PyTorch; f32 NCHW for kiln, whose first conv reads it),
each run synchronized; plus CUDA-event time per forward at batch 256 (throughput).
"""
import importlib.util
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# ../shared/models, or a copy where the device machine has none (KILN_MODELS=.dev/models).
SHARED = os.environ.get("KILN_MODELS", os.path.join(ROOT, "..", "shared", "models"))
OUT = os.environ.get("OUT", os.path.join(ROOT, "bench-results"))

# model, file, batch, extra dims: what gpu-models.ts checks against onnxruntime.
CHECKS = [
    ("lenet", os.path.join(SHARED, "lenet.onnx"), 4, {}),
    ("squeezenet1_1", os.path.join(SHARED, "squeezenet1_1.onnx"), 2, {}),
    ("mobilenet_v2", os.path.join(SHARED, "mobilenet_v2.onnx"), 2, {}),
    ("encoder", os.path.join(SHARED, "encoder.onnx"), 2, {"seq": 16}),
    ("resnet50", None, 2, {}),
]


def resnet50():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.resnet50().eval()


def prepare(work):
    import onnxruntime as ort
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "resnet50.onnx")
    if not os.path.exists(path):
        args = dict(input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=17)
        try:  # the TorchScript exporter, as ../shared/tools/make-models.py used
            torch.onnx.export(resnet50(), torch.randn(1, 3, 224, 224), path, dynamo=False, **args)
        except TypeError:
            torch.onnx.export(resnet50(), torch.randn(1, 3, 224, 224), path, **args)
    manifest = []
    for name, file, batch, dims in CHECKS:
        file = file or path
        sess = ort.InferenceSession(file, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        shape = [batch if d == "batch" else dims.get(d, d) for d in inp.shape]
        rng = np.random.default_rng(7)
        if "int64" in inp.type:
            x = rng.integers(0, 1000, size=shape, dtype=np.int64)
        else:
            x = rng.uniform(-1, 1, size=shape).astype(np.float32)
        y = sess.run(None, {inp.name: x})[0].astype(np.float32)
        xin, yout = os.path.join(work, f"{name}-in.bin"), os.path.join(work, f"{name}-ref.bin")
        x.tofile(xin)
        y.tofile(yout)
        manifest.append({"name": name, "file": os.path.abspath(file), "batch": batch, "dims": {"batch": batch, **dims},
                         "input": inp.name, "inputShape": shape, "inputDtype": "i64" if x.dtype == np.int64 else "f32",
                         "inputFile": xin, "referenceFile": yout, "outputShape": list(y.shape)})
        print(f"prepared {name}: input {shape}, onnxruntime output {list(y.shape)}", flush=True)
    json.dump(manifest, open(os.path.join(work, "manifest.json"), "w"), indent=1)


def timed(fn, runs):
    """gpu-bench.py's median wall-clock per call, each call synchronized."""
    spec = importlib.util.spec_from_file_location("gpu_bench", os.path.join(HERE, "gpu-bench.py"))
    bench_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_module)
    return bench_module.timed(lambda: (fn(), torch.cuda.synchronize()), runs)


def event_ms(fn, runs):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    start.record()
    for _ in range(runs):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / runs


def bench(work):
    dev = torch.device("cuda")
    model = resnet50().to(dev).half().to(memory_format=torch.channels_last)
    rows = []
    compiled = torch.compile(model)
    for batch in (1, 256):
        x = torch.randn(batch, 3, 224, 224, device=dev).half().to(memory_format=torch.channels_last)
        runs = 200 if batch == 1 else 30
        for name, m in (("torch eager fp16 channels_last", model), ("torch.compile fp16 channels_last", compiled)):
            with torch.no_grad():
                t0 = time.perf_counter()
                m(x)
                torch.cuda.synchronize()
                first = (time.perf_counter() - t0) * 1000
                ms = timed(lambda: m(x), runs)
                ev = event_ms(lambda: m(x), runs)
            rows.append({"engine": name, "batch": batch, "wallMs": round(ms, 4), "gpuMs": round(ev, 4),
                         "imagesPerS": round(batch / (min(ms, ev) / 1000)), "firstCallMs": round(first, 1)})
            print(json.dumps(rows[-1]), flush=True)
    kiln_path = os.path.join(OUT, "gpu-models.json")
    ratios = []
    if os.path.exists(kiln_path):
        kiln = json.load(open(kiln_path)).get("timings", [])
        for k in kiln:
            for r in rows:
                if r["batch"] == k["batch"]:
                    ratios.append({"kiln": k["engine"], "torch": r["engine"], "batch": k["batch"],
                                   "wallSpeedup": round(r["wallMs"] / k["wallMs"], 3),
                                   "gpuSpeedup": round(r["gpuMs"] / k["gpuMs"], 3) if k.get("gpuMs") else None})
        for q in ratios:
            print(f"batch {q['batch']}: {q['kiln']} vs {q['torch']}: {q['wallSpeedup']}x wall, {q['gpuSpeedup']}x GPU time (>1: kiln faster)")
    os.makedirs(OUT, exist_ok=True)
    json.dump({"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "timings": rows, "ratios": ratios},
              open(os.path.join(OUT, "gpu-resnet.json"), "w"), indent=1)


if __name__ == "__main__":
    {"prepare": prepare, "bench": bench}[sys.argv[1]](sys.argv[2])
