"""Images/s of ``extract`` into a Zarr store on a local Dask cluster, against the in-memory
``extract`` on the same machine, with the peak RSS of the client and of each worker.

Writes ``--images`` 512 x 512 PNGs (shifted copies of the camera image) to a temporary
folder, streams them into a store with :func:`shearfeat.store.extract_to_zarr` on a
``LocalCluster`` of ``--workers`` processes of one thread, then times the in-memory
:func:`shearfeat.extract` on ``--memory-images`` of them (all threads) for comparison.

Run from the repository root:  python benchmarks/bench_store.py --images 2000
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import imageio.v3 as iio
import numpy as np
from skimage import data


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--memory-images", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--features", default="edges,ridges")
    args = parser.parse_args()
    import distributed

    import shearfeat as sf
    from shearfeat.io import read_image
    from shearfeat.store import extract_to_zarr
    features = tuple(args.features.split(","))
    with tempfile.TemporaryDirectory(prefix="shearfeat-bench-") as folder:
        camera = data.camera()
        files = []
        for i in range(args.images):
            path = os.path.join(folder, f"img{i:05d}.png")
            iio.imwrite(path, np.roll(camera, 7 * i, axis=1))
            files.append(path)
        store = os.path.join(folder, "features.zarr")
        with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            extract_to_zarr(files[:args.workers * 2], store, features=features,
                            batch_size=args.batch, client=client)      # warm the workers
            before = peak_rss()
            start = time.perf_counter()
            summary = extract_to_zarr(files, store, features=features,
                                      batch_size=args.batch, client=client, overwrite=True)
            elapsed = time.perf_counter() - start
            workers = client.run(peak_rss)
        rate = summary["written"] / elapsed
        print(f"zarr on {args.workers} workers: {summary['written']} images in "
              f"{elapsed:.1f} s, {rate:.2f} images/s; stack {summary['shape']}")
        print(f"  peak RSS: client {peak_rss() / 1e9:.2f} GB (before the run "
              f"{before / 1e9:.2f}), workers "
              + ", ".join(f"{v / 1e9:.2f} GB" for v in workers.values()))
        images = [read_image(f) for f in files[:args.memory_images]]
        sf.extract(images[:2], features=features)
        start = time.perf_counter()
        sf.extract(images, features=features)
        memory_rate = len(images) / (time.perf_counter() - start)
        print(f"in-memory extract, {os.cpu_count()} threads: {memory_rate:.2f} images/s on "
              f"{len(images)} images; zarr/in-memory = {rate / memory_rate:.2f}")


if __name__ == "__main__":
    main()
