"""Throughput of shearfeat.extract() on many small images.

Prints images per second for the 20-filter CoShNet bank (preset "small") on 32 x 32
images: shearfeat's batched coefficients against the straightforward batched torch.fft
implementation of the same filters on the CPU (as the published CoShNet code computes
them), in the same run; and the edges + ridges feature stack.

Run from the repository root:  python benchmarks/bench_extract.py [--images 7000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import shearfeat as sf


def rate(func, count, repeat=3):
    func()
    best = min(_timed(func) for _ in range(repeat))
    return count / best


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=7000)
    args = parser.parse_args()
    threads = os.cpu_count()
    rng = np.random.default_rng(0)
    images = rng.random((args.images, 32, 32)).astype(np.float32)
    print(f"{args.images} images of 32 x 32, float32, {threads} threads")

    ours = rate(lambda: sf.extract(images, features="coefficients", preset="small",
                                   mode="periodic", threads=threads), args.images)
    print(f"  shearfeat coefficients (periodic)   {ours:10.0f} images/s")
    ours_reflect = rate(lambda: sf.extract(images, features="coefficients", preset="small",
                                           threads=threads), args.images)
    print(f"  shearfeat coefficients (reflect)    {ours_reflect:10.0f} images/s")
    try:
        import torch
    except ImportError:
        print("  torch not installed: pip install 'shearfeat[nn]' for the comparison")
    else:
        torch.set_num_threads(threads)
        system = sf.ShearletSystem((32, 32), "edge", preset="small", mode="periodic")
        # the stored spectra carry the 1/(M N) that torch's ifft2 applies itself
        filters = torch.from_numpy(system.filters * np.float32(32 * 32))  # (20, 32, 32)
        batch = torch.from_numpy(images)

        def torch_coefficients():
            spectra = torch.fft.fft2(batch)[:, None] * filters[None]
            return torch.fft.ifft2(spectra)

        expected = torch_coefficients().numpy()
        got = sf.extract(images[:64], features="coefficients", preset="small",
                         mode="periodic")
        centred = images[:64] - images[:64].mean(axis=(1, 2), keepdims=True)
        np.testing.assert_allclose(  # the same numbers (the mean does not matter)
            got, torch.fft.ifft2(torch.fft.fft2(torch.from_numpy(centred))[:, None]
                                 * filters[None]).numpy(), atol=1e-4)
        del expected
        theirs = rate(torch_coefficients, args.images)
        print(f"  torch.fft batched (same filters)    {theirs:10.0f} images/s")
        print(f"  ratio shearfeat / torch (periodic): {ours / theirs:.2f}")

    few = images[:200]
    measures = rate(lambda: sf.extract(few, features=("edges", "ridges"), preset="coshrem",
                                       threads=threads), len(few), repeat=1)
    print(f"  edges + ridges stack (coshrem)      {measures:10.0f} images/s "
          "(one image at a time)")


if __name__ == "__main__":
    main()
