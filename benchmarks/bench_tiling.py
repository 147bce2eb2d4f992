"""Time one measure on one large image, with its peak memory and how it was tiled.

Tiling trades work for memory; this shows what a shape costs under the memory limit in
force (``$SHEARFEAT_MEMORY_LIMIT``, default 1.5 GiB).  To compare with another version,
run the same line from its checkout (``PYTHONPATH=that/checkout``) right after; each
run is its own process, so the peak RSS is that shape's alone.

Run from the repository root, e.g.:

    python benchmarks/bench_tiling.py blobs 872 1000
    python benchmarks/bench_tiling.py ridges 4096 4096 --threads 2
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from skimage import data, transform

import shearfeat as sf

MEASURES = {"edges": (sf.edges, "edge"), "ridges": (sf.ridges, "ridge"),
            "blobs": (sf.blobs, "blob")}


def describe_plan(kind, shape):
    """How a shape is cut, in words (only for versions that have the memory plan)."""
    from shearfeat import _tiles
    try:
        system, tiling = _tiles.prepare(shape, kind, preset="default", mode="reflect",
                                        dtype=np.float32, params={})
    except TypeError:                         # an older version: no way to ask
        return "plan not reported by this version"
    if tiling is None:
        return f"untiled, transform {system.transform_shape}"
    (win_r, starts_r, _), (win_c, starts_c, _) = tiling[0]
    work = win_r * len(starts_r) * win_c * len(starts_c)
    return (f"{len(starts_r)} x {len(starts_c)} windows of {win_r} x {win_c}, "
            f"{work / (shape[0] * shape[1]):.2f}x the image's pixels transformed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measure", choices=tuple(MEASURES))
    parser.add_argument("rows", type=int)
    parser.add_argument("cols", type=int)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    measure, kind = MEASURES[args.measure]
    shape = (args.rows, args.cols)
    image = transform.resize(data.camera().astype(np.float32), shape).astype(np.float32)
    measure(image[:64, :64], threads=args.threads)           # compile, outside the timing
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = measure(image, threads=args.threads)
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{args.measure} {shape[0]} x {shape[1]}: best of {args.repeat} "
          f"{min(times):.2f} s, peak RSS {peak / 1e9:.2f} GB, measure max "
          f"{float(result.measure.max()):.3f}; {describe_plan(kind, shape)}")


if __name__ == "__main__":
    main()
