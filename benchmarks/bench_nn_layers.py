"""Native complex tensors or stacked [re, im] real ops: which trains CoShNet faster?

Times forward + backward of a training step (batch 128, 32 x 32 inputs) for the tiny and
base models with each backend, and the shearlet feature module alone, on the CPU (and on
CUDA when there is one).  Both backends give the same numbers (checked here too).

Run from the repository root:  python benchmarks/bench_nn_layers.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.nn.functional as F

from bench_measures import timed          # benchmarks/ is on sys.path when run as a script
from shearfeat.nn import CoShNet


def step_time(model, x, y, repeat, device):
    """Median time of one training step (forward, backward, Adam)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimiser.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
    return timed(step, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("SHEARFEAT_NUM_THREADS", os.cpu_count())))
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available()
                                       else [])
    for device in devices:
        x = torch.randn(128, 32, 32, device=device)
        y = torch.randint(0, 10, (128,), device=device)
        print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
        model = CoShNet.tiny().to(device)
        start = time.perf_counter()
        for _ in range(args.repeat):
            with torch.no_grad():
                model.features(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
        features = (time.perf_counter() - start) / args.repeat
        print(f"  shearlet features of 128 images: {features * 1e3:.1f} ms")
        for name in ("tiny", "base"):
            results = {}
            outputs = {}
            for backend in ("real", "native"):
                torch.manual_seed(0)
                model = getattr(CoShNet, name)(backend=backend).to(device)
                with torch.no_grad():
                    outputs[backend] = model(x)
                results[backend] = step_time(model, x, y, args.repeat, device)
            same = torch.allclose(outputs["real"], outputs["native"], atol=1e-4)
            print(f"  {name:5s} training step: real {results['real'] * 1e3:7.1f} ms, native "
                  f"{results['native'] * 1e3:7.1f} ms (native / real "
                  f"{results['native'] / results['real']:.2f}); same outputs: {same}")


if __name__ == "__main__":
    main()
