"""Score shearfeat and the classic detectors on three annotated benchmarks, in one run.

    python -m benchmarks.quality --data ../shared/data [--bench bsds drive cells robust]
        [--split tune aside] [--limit N] [--match distance|bsds] [--levels 33]
        [--fov-margin PX] [--jobs 2] [--json out.json]

Protocols: ``benchmarks/quality/scoring.py`` and ``../shared/data/README.md``.  Tuning is
done on the ``tune`` part of each split (BSDS train, DRIVE 21-30, cells 1-50); the
``aside`` part (BSDS val, DRIVE 31-40, cells 51-100) shows whether a default generalises.
The data is read where it lies and never copied.  Times are ms per image in one thread
(``--jobs`` runs images in parallel processes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import get_context

import numpy as np


def _bsds_one(task):
    from . import methods, robust, scoring
    method, grey, truths, levels, match, perturbation, seed = task
    fn = {**methods.BSDS_GRADED, **methods.BSDS_BINARY}[method]
    grey = robust.perturb(perturbation, grey, seed)
    start = time.perf_counter()
    out = fn(grey)
    seconds = time.perf_counter() - start
    if method in methods.BSDS_BINARY:
        # thinned to one pixel like every thresholded map of the protocol
        counts = scoring.boundary_counts(scoring.thin(out.astype(bool)), truths, match)[None]
    else:
        counts = scoring.graded_counts(out, truths, levels, match)
    return counts, seconds


def run_bsds(args, split, pool):
    from . import data, methods, scoring
    images = list(data.bsds(args.data, split, args.limit))
    levels = scoring.thresholds(args.levels)
    rows = []
    for method in _selected({**methods.BSDS_GRADED, **methods.BSDS_BINARY}, args):
        results = pool.map(_bsds_one, [(method, g, t, levels, args.match, "clean", i)
                                       for i, (_, g, t) in enumerate(images)])
        counts = [c for c, _ in results]
        ms = 1000 * sum(s for _, s in results) / len(results)
        if method in methods.BSDS_BINARY:
            p, r, f = scoring.prf(sum(c[0] for c in counts))
            figures = {"F": f, "P": p, "R": r}
        else:
            ods, ois, ap, best = scoring.ods_ois_ap(counts)
            figures = {"ODS": ods, "OIS": ois, "AP": ap, "t*": float(levels[best])}
        rows.append(_row("bsds", split, method, figures, ms, len(images)))
    return rows


def run_robust(args, split, pool):
    """BSDS500 under each perturbation of :mod:`.robust`, three ways (see there)."""
    from . import data, robust, scoring
    images = list(data.bsds(args.data, split, args.limit))
    levels = scoring.thresholds(args.levels)
    methods = [m for m in robust.GRADED + robust.BINARY
               if not args.methods or any(k in m for k in args.methods)]
    rows = []
    for method in methods:
        clean = None
        for perturbation in robust.PERTURBATIONS:
            results = pool.map(_bsds_one, [(method, g, t, levels, args.match, perturbation, i)
                                           for i, (_, g, t) in enumerate(images)])
            counts = np.array([c for c, _ in results])
            ms = 1000 * sum(s for _, s in results) / len(results)
            if method in robust.BINARY:
                figures = {"F": scoring.prf(counts[:, 0].sum(axis=0))[2]}
            else:
                ods, _, _, best = scoring.ods_ois_ap(counts)
                at_clean = best if clean is None else clean["t"]
                figures = {"ODS": ods,
                           "F@clean": scoring.prf(counts[:, at_clean].sum(axis=0))[2],
                           "t": at_clean}
            if clean is None:
                clean = dict(figures)
            for key in ("ODS", "F@clean", "F"):
                if key in figures:
                    figures[f"{key} kept"] = figures[key] / clean[key] if clean[key] else 0.0
            figures.pop("t", None)
            rows.append(_row("robust", split, f"{method} | {perturbation}", figures, ms,
                             len(images)))
            print_row(rows[-1])
    return rows


def _drive_one(task):
    from . import methods
    method, green = task
    start = time.perf_counter()
    score = methods.DRIVE[method](green)
    return score, time.perf_counter() - start


def run_drive(args, split, pool):
    from . import data, methods, scoring
    images = list(data.drive(args.data, split, args.limit, args.fov_margin))
    rows = []
    for method in _selected(methods.DRIVE, args):
        results = pool.map(_drive_one, [(method, g) for _, g, _, _ in images])
        scores = np.concatenate([s[fov] for (s, _), (_, _, _, fov) in zip(results, images)])
        labels = np.concatenate([v[fov] for _, _, v, fov in images])
        ms = 1000 * sum(s for _, s in results) / len(results)
        rows.append(_row("drive", split, method,
                         {"AUC": scoring.pooled_auc(scores, labels)}, ms, len(images)))
    return rows


def _cells_one(task):
    from . import methods, scoring
    method, blue, centres = task
    make, grid = methods.CELLS[method]
    start = time.perf_counter()
    detect = make(blue)
    first = detect(grid[len(grid) // 2])
    seconds = time.perf_counter() - start
    del first
    return [scoring.cell_counts(detect(t), centres) for t in grid], seconds


def run_cells(args, split, pool):
    from . import data, methods, scoring
    images = list(data.cells(args.data, split, args.limit))
    half = len(images) // 2
    rows = []
    for method in _selected(methods.CELLS, args):
        grid = methods.CELLS[method][1]
        results = pool.map(_cells_one, [(method, b, c) for _, b, c in images])
        counts = np.array([c for c, _ in results])              # (images, levels, 3)
        chooser = [scoring.cell_f1(c)[2] for c in counts[:half].sum(axis=0)]
        best = int(np.argmax(chooser))
        p, r, f = scoring.cell_f1(counts[half:, best].sum(axis=0))
        ms = 1000 * sum(s for _, s in results) / len(results)
        rows.append(_row("cells", split, method,
                         {"F1": f, "P": p, "R": r, "t": float(grid[best]),
                          "F1 first half": chooser[best]}, ms, len(images)))
    return rows


def _selected(registry, args):
    return [m for m in registry if not args.methods or any(k in m for k in args.methods)]


def _row(bench, split, method, figures, ms, n):
    return {"benchmark": bench, "split": split, "method": method, "images": n,
            "figures": {k: round(float(v), 4) for k, v in figures.items()},
            "ms_per_image": round(ms, 1)}


def print_header():
    print(f"{'benchmark':<10} {'split':<6} {'method':<44} {'n':>4} {'ms/img':>8}  figures")


def print_row(r):
    figures = "  ".join(f"{k} {v:.3f}" for k, v in r["figures"].items())
    print(f"{r['benchmark']:<10} {r['split']:<6} {r['method']:<44} {r['images']:>4} "
          f"{r['ms_per_image']:>8.1f}  {figures}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the folder of ../shared/data")
    parser.add_argument("--bench", nargs="+", default=["bsds", "drive", "cells"],
                        choices=["bsds", "drive", "cells", "robust"],
                        help="robust: BSDS500 under contrast, gamma, illumination, noise "
                             "and JPEG changes (benchmarks/quality/robust.py)")
    parser.add_argument("--split", nargs="+", default=["tune", "aside"],
                        choices=["tune", "aside"])
    parser.add_argument("--limit", type=int, help="at most this many images per split")
    parser.add_argument("--match", default="distance", choices=["distance", "bsds"],
                        help="BSDS matching: the exact correspondence or a distance test")
    parser.add_argument("--levels", type=int, default=33, help="BSDS threshold levels")
    parser.add_argument("--fov-margin", type=int, metavar="PX",
                        help="DRIVE: give every method the green channel extended beyond "
                             "the field of view less PX pixels (shearfeat.fill_outside; "
                             "6 takes off the black pixels and bright rim the masks hold)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes")
    parser.add_argument("--methods", nargs="*", help="only methods whose name has one of these")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.levels < 1 or (args.limit is not None and args.limit < 1) \
            or (args.fov_margin is not None and args.fov_margin < 0):
        parser.error("--jobs, --levels and --limit must be positive, --fov-margin >= 0")
    os.environ["SHEARFEAT_NUM_THREADS"] = "1"                  # one thread per process
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rows = []
    print_header()
    with get_context("fork").Pool(args.jobs) as pool:
        for bench in args.bench:
            for split in args.split:
                new = {"bsds": run_bsds, "drive": run_drive, "cells": run_cells,
                       "robust": run_robust}[bench](args, split, pool)
                if bench != "robust":                 # robust prints as it goes
                    for r in new:
                        print_row(r)
                rows += new
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
