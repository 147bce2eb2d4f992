"""Time edges, ridges and blobs against the FFT floor on the 512 x 512 camera image.

The FFT floor is what any FFT implementation of the transform must pay: one forward FFT
and K inverse FFTs (K = 70 for edges, 140 for ridges, 88 for blobs), with the same planned pyFFTW
transforms at the size the transform really uses (the image in ``periodic`` mode, the
padded image in ``reflect`` mode).  Ratios measured in one run are what to compare; the
machine is shared and absolute times are noisy.

Run from the repository root:  python benchmarks/bench_measures.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from skimage import data

import shearfeat as sf
from shearfeat import _fft
from shearfeat._system import cached_system


def timed(func, repeat):
    func()                                   # warm up: compile, plan, build caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_filled = set()


def floor_sample(system, threads):
    """One timing of the FFT floor: 1 forward + K inverse FFTs with the measure's own
    plans (same batch size; K need not be a multiple of it, so the inverses are timed
    whole and scaled by K / (batch * calls))."""
    batch = system._pairs.shape[1]
    plans = _fft.get_plans(system.transform_shape, batch, system.complex_dtype, threads)
    if id(plans) not in _filled:               # random data, not denormals or zeros
        rng = np.random.default_rng(0)
        plans.image[...] = rng.random(plans.image.shape)
        plans.products[...] = rng.random(plans.products.shape)
        _filled.add(id(plans))
    executes = system.n_filters / batch
    calls = int(np.ceil(executes))
    start = time.perf_counter()
    plans.forward()
    forward = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(calls):
        plans.inverse()
    return forward + (time.perf_counter() - start) * executes / calls


def fft_floor(system, threads, repeat):
    """Median of ``repeat`` floor timings (after a warm-up)."""
    floor_sample(system, threads)
    return statistics.median(floor_sample(system, threads) for _ in range(repeat))


def paired(func, system, threads, repeat):
    """Median measure time, median floor time and median of their ratios, the two timed
    alternately so that the machine's slow spells hit both alike."""
    func()
    floor_sample(system, threads)
    times, floors = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
        floors.append(floor_sample(system, threads))
    ratios = [t / f for t, f in zip(times, floors)]
    return statistics.median(times), statistics.median(floors), statistics.median(ratios)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--measures-only", action="store_true",
                        help="skip construction, the peers and thin")
    parser.add_argument("--mode", choices=("periodic", "reflect"), action="append",
                        help="border mode(s) to time (default: both)")
    parser.add_argument("--measure", choices=("edges", "ridges", "blobs"), action="append",
                        help="measure(s) to time (default: all three)")
    args = parser.parse_args()
    image = data.camera().astype(np.float32)
    cores = os.cpu_count()
    print(f"camera {image.shape} float32; {platform.processor() or platform.machine()}, "
          f"{cores} cores; FFT effort {_fft.default_effort(image.shape)}")

    modes = args.mode or ["periodic", "reflect"]
    if not args.measures_only:
        construction(image)

    print("\nmeasure time vs FFT floor (median of %d, milliseconds; ratio: median of the "
          "ratios of alternate timings)" % args.repeat)
    print(f"  {'measure':7s} {'mode':8s} {'thr':>3s} {'size':>10s} {'measure':>9s} "
          f"{'floor':>8s} {'ratio':>6s}")
    for name, func, kind in (("edges", sf.edges, "edge"), ("ridges", sf.ridges, "ridge"),
                             ("blobs", sf.blobs, "blob")):
        if args.measure and name not in args.measure:
            continue
        for mode in modes:
            system = cached_system(image.shape, kind, mode=mode)
            for threads in sorted({1, cores}):
                measure, floor, ratio = paired(
                    lambda: func(image, mode=mode, threads=threads), system, threads,
                    args.repeat)
                size = "x".join(map(str, system.transform_shape))
                print(f"  {name:7s} {mode:8s} {threads:3d} {size:>10s} {measure * 1e3:9.1f} "
                      f"{floor * 1e3:8.1f} {ratio:6.2f}")
    if not args.measures_only:
        peers(image, cores, args.repeat)


def construction(image):
    print("\nconstruction (cold, seconds)")
    for kind in ("edge", "ridge", "blob"):
        for mode in ("periodic", "reflect"):
            start = time.perf_counter()
            system = sf.ShearletSystem(image.shape, kind, mode=mode)
            system._pairs                     # the spectra the measures use, built lazily
            print(f"  {kind:5s} {mode:8s} {time.perf_counter() - start:6.2f} s  "
                  f"transform {system.transform_shape}, K={system.n_filters}, "
                  f"filters {system.nbytes / 2**20:.0f} MiB")



def peers(image, cores, repeat):
    print("\npeers in the same run (scikit-image, 1 thread, same image)")
    from skimage import feature, filters
    edge_floor = fft_floor(cached_system(image.shape, "edge"), 1, repeat)
    for label, func in (
            ("canny(sigma=2)", lambda: feature.canny(image, sigma=2)),
            ("sato(sigmas 1..4, black_ridges)", lambda: filters.sato(image, sigmas=range(1, 5))),
            ("frangi(sigmas 1..4)", lambda: filters.frangi(image, sigmas=range(1, 5))),
            ("blob_log(sigma 1.4..23, 9 sigmas)", lambda: feature.blob_log(
                image / 255, min_sigma=1.4, max_sigma=23, num_sigma=9, threshold=0.05)),
            ("blob_dog(sigma 1.4..23)", lambda: feature.blob_dog(
                image / 255, min_sigma=1.4, max_sigma=23, threshold=0.05)),
            ("shearfeat.edges (reflect)", lambda: sf.edges(image, threads=1)),
            ("shearfeat.ridges (reflect)", lambda: sf.ridges(image, threads=1)),
            ("shearfeat.blobs (reflect, 4-64 px)", lambda: sf.blobs(image, threads=1))):
        seconds = timed(func, repeat)
        print(f"  {label:34s} {seconds * 1e3:8.1f} ms  ({seconds / edge_floor:.2f} x the "
              f"edge FFT floor)")

    print("\nthin (non-maximum suppression + hysteresis) on those results, reflect mode")
    for name, func, kind in (("edges", sf.edges, "edge"), ("ridges", sf.ridges, "ridge")):
        system = cached_system(image.shape, kind)
        for threads in sorted({1, cores}):
            result = func(image, threads=threads)
            measure = timed(lambda: func(image, threads=threads), repeat)
            thinning = timed(lambda: sf.thin(result, threads=threads), repeat)
            floor = fft_floor(system, threads, repeat)
            print(f"  thin({name}) threads {threads}: {thinning * 1e3:6.1f} ms, "
                  f"{name} + thin = {(measure + thinning) / floor:.2f} x FFT floor")


if __name__ == "__main__":
    main()
