"""Throughput of shearfeat.extract() on many small images.

Prints images per second on 32 x 32 images (Fashion-MNIST padded), at 1 thread and at
all cores, in one run:

* the 20 complex coefficients of the CoShNet bank (preset "small"): shearfeat's batched
  path, periodic and reflect, into new arrays and (``out=``) into the previous
  mini-batch's array, beside the FFTs alone (the floor) and the straightforward batched
  ``torch.fft`` implementation of the same filters on the CPU (how the published
  CoShNet code computes them);
* the edges + ridges feature stack (preset "coshrem": the measures compare scales an
  octave apart, which the 2-scale "small" bank does not have), batched, against calling
  ``edges`` and ``ridges`` image by image (what extract did before it ran blocks).

Images are processed in chunks (a pipeline's mini-batches): 70,000 images' coefficients
would take 11 GB at once.  The coefficient rows are measured for each of ``--chunks``
(default 128 and 7000), because the comparison with torch depends on it: for a 7000-image
chunk torch faults in two fresh 1.1 GB tensors in 4 KiB pages per chunk (about 1.2 s of
its 1.8 s), while for chunks below glibc's 32 MiB mmap threshold it reuses freed heap
memory and computes its FFTs with MKL, which on an AVX-512 CPU is about twice as fast as
the AVX codelets of the FFTW that pyFFTW ships.

Run from the repository root:
    python benchmarks/bench_extract.py [--images 70000] [--measure-images 70000]
        [--chunks 128,7000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import shearfeat as sf


def rate(func, images, chunk, repeat):
    """Best images/s of ``func(chunk_of_images)`` over all chunks, of ``repeat`` runs."""
    func(images[:chunk])                                # plans, compilation, caches
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for first in range(0, len(images), chunk):
            func(images[first:first + chunk])
        best = min(best, time.perf_counter() - start)
    return len(images) / best


def torch_coefficients(threads):
    import torch
    torch.set_num_threads(threads)
    system = sf.ShearletSystem((32, 32), "edge", preset="small", mode="periodic")
    # the stored spectra carry the 1/(M N) that torch's ifft2 applies itself
    filters = torch.from_numpy(system.filters * np.float32(32 * 32))  # (20, 32, 32)

    def run(images):
        spectra = torch.fft.fft2(torch.from_numpy(images))[:, None] * filters[None]
        return torch.fft.ifft2(spectra)
    return run


def fft_floor(threads, block=25):
    """The FFTs alone of the periodic coefficients: per block of images, one forward and
    20 inverse FFTs per image with the plans extract uses, spread over the threads the
    same way (blocks in parallel when there are several threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from shearfeat import _fft
    system = sf.ShearletSystem((32, 32), "edge", preset="small", mode="periodic")

    def run_blocks(n_blocks):
        plans = _fft.get_plans((32, 32), block * system.n_filters, np.complex64, 1,
                               images=block)
        for _ in range(n_blocks):
            plans.forward()
            plans.inverse()

    def run(images):
        n_blocks = -(-len(images) // block)
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run_blocks, [n_blocks // threads] * threads))
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=70000)
    parser.add_argument("--measure-images", type=int, default=70000)
    parser.add_argument("--per-image", type=int, default=2000,
                        help="images for the image-by-image comparison")
    parser.add_argument("--chunks", default="128,7000",
                        type=lambda text: sorted({int(v) for v in text.split(",")}),
                        help="mini-batch sizes of the coefficient rows (comma-separated); "
                             "the measures use the largest")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count()
    chunk = max(args.chunks)
    rng = np.random.default_rng(0)
    images = rng.random((args.images, 32, 32)).astype(np.float32)
    print(f"{args.images} images of 32 x 32, float32, chunks of {args.chunks}; images/s")
    try:
        import torch
    except ImportError:
        torch = None
        print("torch not installed (pip install 'shearfeat[nn]'): no torch comparison")
    if torch is not None:                               # the same numbers, checked once
        few = images[:64]
        centred = few - few.mean(axis=(1, 2), keepdims=True)
        np.testing.assert_allclose(
            sf.extract(few, features="coefficients", preset="small", mode="periodic"),
            torch_coefficients(cores)(centred).numpy(), atol=1e-4)

    table = {}
    for threads in sorted({1, cores}):
        row = table.setdefault(threads, {})
        for size in args.chunks:
            row[f"coefficients periodic {size}"] = rate(
                lambda x: sf.extract(x, features="coefficients", preset="small",
                                     mode="periodic", threads=threads),
                images, size, args.repeat)
            reused = {}

            def into_previous(x, threads=threads, reused=reused):
                # a pipeline's loop: each mini-batch written over the previous one's array
                reused[len(x)] = sf.extract(x, features="coefficients", preset="small",
                                            mode="periodic", threads=threads,
                                            out=reused.get(len(x)))
            row[f"coefficients out= {size}"] = rate(into_previous, images, size,
                                                    args.repeat)
            if torch is not None:
                row[f"torch.fft {size}"] = rate(torch_coefficients(threads), images, size,
                                                args.repeat)
        row["coefficients reflect"] = rate(
            lambda x: sf.extract(x, features="coefficients", preset="small", mode="reflect",
                                 threads=threads), images, chunk, args.repeat)
        row["FFT floor (periodic)"] = rate(fft_floor(threads), images, chunk, args.repeat)
        measured = images[:args.measure_images]
        row["edges+ridges batched"] = rate(
            lambda x: sf.extract(x, features=("edges", "ridges"), preset="coshrem",
                                 threads=threads), measured, chunk, 1)

        def one_by_one(x):
            for image in x:
                sf.edges(image, preset="coshrem", threads=threads)
                sf.ridges(image, preset="coshrem", threads=threads)
        row["edges+ridges per image"] = rate(one_by_one, images[:args.per_image],
                                             args.per_image, 1)
    names = list(table[1])
    print(f"{'':30s}" + "".join(f"{f'{t} thread(s)':>14s}" for t in table))
    for name in names:
        print(f"{name:30s}" + "".join(f"{table[t][name]:14.0f}" for t in table))
    last = table[max(table)]
    for t in table:
        print(f"FFT floor / shearfeat periodic (chunk {chunk}), {t} thread(s): "
              f"{table[t]['FFT floor (periodic)'] / table[t][f'coefficients periodic {chunk}']:.2f}")
    if torch is not None:
        for size in args.chunks:
            for t in table:
                torch_rate = table[t][f"torch.fft {size}"]
                print(f"shearfeat periodic / torch, chunks of {size}, {t} thread(s): "
                      f"{table[t][f'coefficients periodic {size}'] / torch_rate:.2f} "
                      f"(new arrays), {table[t][f'coefficients out= {size}'] / torch_rate:.2f}"
                      " (out=)")
    print(f"edges+ridges batched / per image, {max(table)} threads: "
          f"{last['edges+ridges batched'] / last['edges+ridges per image']:.1f}")
    if len(table) > 1:
        for name in names:
            print(f"speed-up 1 -> {cores} threads, {name}: "
                  f"{table[cores][name] / table[1][name]:.2f}")


if __name__ == "__main__":
    main()
