"""Time per image pixel of edges, ridges and blobs from 512 x 512 to 4096 x 4096.

Large images are tiled under the memory limit (``$SHEARFEAT_MEMORY_LIMIT``); tiles cost
their margins, so the time per pixel may grow with the image.  This prints, for each
measure and side, the best of ``--repeat`` warm calls (the first call of a shape builds
its filters and plans and is not counted), the time per pixel, its ratio to that at
512 x 512, and the peak RSS of the process that measured it (each size runs in its own
process).  Compare versions by running it from each checkout, one after the other.

Run from the repository root:

    SHEARFEAT_MEMORY_LIMIT=1.5e9 python benchmarks/bench_scale.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_CHILD = """
import json, resource, sys, time
import numpy as np
from skimage import data, transform
import shearfeat as sf
measure, side, threads, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
image = transform.resize(data.camera().astype(np.float32), (side, side)).astype(np.float32)
f = getattr(sf, measure)
f(image, threads=threads)
times = []
for _ in range(repeat):
    start = time.perf_counter()
    f(image, threads=threads)
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": min(times),
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--measures", nargs="+", default=["edges", "ridges", "blobs"])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", help="Also write the table here.")
    args = parser.parse_args()
    rows = []
    print(f"memory limit {os.environ.get('SHEARFEAT_MEMORY_LIMIT', 'default')}, "
          f"{args.threads} thread(s), best of {args.repeat}")
    print(f"{'measure':8} {'side':>5} {'seconds':>8} {'ns/pixel':>9} {'vs 512':>7} "
          f"{'peak GB':>8}")
    for measure in args.measures:
        base = None
        for side in args.sides:
            done = subprocess.run([sys.executable, "-c", _CHILD, measure, str(side),
                                   str(args.threads), str(args.repeat)],
                                  capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            per_pixel = result["seconds"] / side ** 2 * 1e9
            base = base or per_pixel
            rows.append(dict(measure=measure, side=side, **result, ns_per_pixel=per_pixel,
                             ratio=per_pixel / base))
            print(f"{measure:8} {side:5d} {result['seconds']:8.2f} {per_pixel:9.1f} "
                  f"{per_pixel / base:7.2f} {result['peak'] / 1e9:8.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
