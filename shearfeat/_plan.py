"""The tiling plan: how far a measure's filters reach (its margin), and which windows a
large image is cut into so that one measure call fits the memory limit.

In-memory tiling (:mod:`shearfeat._tiles`) and Dask's ``map_overlap``
(:mod:`shearfeat.dask`) both take their margin from :func:`margin`, so the two agree.
A window is transformed periodically and only its core is kept: its margin, wider than
the measure's padding on each side (:data:`MARGIN_REACHES`), keeps the wrap-around out
of the core.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict

import numpy as np

from . import _env
from ._filters import fast_length
from ._system import ShearletSystem, measure_radius


#: A margin in reaches (:func:`shearfeat._system.measure_radius`) per measure.  The reach
#: cuts the odd parts' slow ``t**-3`` tails at 1 % of their mass, and a window's core
#: sees what lies beyond its margin wrapped around from the window's far side, so the
#: margin is wider.  Edges keep twice the reach: on the camera photo tiled into 320 px
#: windows, the 99th percentile of their measure's difference from the whole image is
#: 4.2e-3 at 2 reaches, 5.3e-3 at 1.5 and 6.1e-3 at 1.  Ridges and blobs read those
#: tails less (ridges' pivots are even, blobs' odd partners only veto): on 1000-1100 px
#: natural images (camera, retina, Hubble field) tiled into 640 px
#: (ridges) or 800 px (blobs) windows, the 99.9th percentile of the measure's difference
#: from the whole image is 9.0e-3, 6.6e-3, 5.6e-4 (ridges) and 1.2e-3 (Hubble blobs) at
#: 1.5 reaches, against 7.1e-3, 4.8e-3, 5.4e-4 and 0.9e-3 at 2, and the same blobs are
#: detected.  Their windows' margins are thus a quarter narrower than twice the reach.
MARGIN_REACHES = {"edge": 2.0, "ridge": 1.5, "blob": 1.5}


def margin(resolved, kind) -> int:
    """Pixels a tile (or a Dask chunk) needs on each side of its core for the measure of
    ``kind`` with the resolved parameters ``resolved``: :data:`MARGIN_REACHES` times the
    measure's reach."""
    return int(math.ceil(MARGIN_REACHES[kind] * measure_radius(resolved, kind)))


#: Workers a tile leaves room for (see :func:`tile_size`).
TILE_WORKERS = 2


def tile_size(kind, resolved, dtype, pivot_scales=None) -> int:
    """Largest square transform side whose measure call fits the memory limit.

    ``$SHEARFEAT_TILE_SIZE`` sets it directly; otherwise it follows from
    ``$SHEARFEAT_MEMORY_LIMIT`` (default: :func:`shearfeat._env.default_memory_limit`) and the bytes per transform pixel that
    :meth:`ShearletSystem.memory_estimate` reports for :data:`TILE_WORKERS` workers
    (about 0.39 kB for edges pivoting over their lowest scale, the default, 0.55 kB
    over all, 1.0 kB for ridges, 0.95 kB for blobs with the default parameters, in
    float32; ``pivot_scales``: an edge call's, None for the most it may keep).
    The size does not depend on the call's thread count, and neither do the results;
    a call never runs more workers than fit in the limit (see ``_stream.workers``).
    """
    size = _env.tile_size()
    if size is not None:
        return size
    per_pixel = _bytes_per_pixel(kind, resolved, np.dtype(dtype).str, pivot_scales)
    side = max(64, int((_env.memory_limit() / per_pixel) ** 0.5))
    while fast_length(side) != side:
        side -= 1
    return side


@functools.lru_cache(maxsize=64)
def _bytes_per_pixel(kind, resolved, dtype, pivot_scales=None):
    """Bytes per transform pixel of a measure call (a probe system, never built)."""
    probe = ShearletSystem((64, 64), kind, mode="periodic", dtype=dtype, **asdict(resolved))
    return probe.memory_estimate(TILE_WORKERS, pivot_scales)["total"] / 64 ** 2


#: Smallest core (kept part) of a window, in pixels.
MIN_CORE = 16


class NoRoomError(ValueError):
    """The filters' margin leaves a window of the allowed size no core."""


def _axis_windows(n, margin, window):
    """Window length, core starts and core length along one axis of length ``n`` for
    windows of at most ``window`` pixels (one window when the axis fits whole)."""
    whole = fast_length(n + 2 * margin)
    if whole <= window:
        return whole, [0], n
    while fast_length(window) != window:
        window -= 1
    core = window - 2 * margin
    if core < MIN_CORE:
        raise NoRoomError(f"tile size {window} leaves no room inside a {margin}-pixel "
                          "margin; raise SHEARFEAT_TILE_SIZE")
    starts = list(range(0, n - core, core)) + [n - core]
    return window, sorted(set(starts)), core


def plan(shape, margin, limit):
    """Square windows of side ``limit`` for an image: ``None`` if it fits in one."""
    if max(fast_length(n + 2 * margin) for n in shape) <= limit:
        return None
    return [_axis_windows(n, margin, limit) for n in shape]


def _axis_costs(n, margin):
    """(window, transformed length) for every FFT-friendly window along one axis, from the
    smallest with a core to the one that holds the axis whole."""
    whole = fast_length(n + 2 * margin)
    costs, window = [], fast_length(2 * margin + MIN_CORE)
    while window < whole:
        _, starts, _ = _axis_windows(n, margin, window)
        costs.append((window, window * len(starts)))
        window = fast_length(window + 1)
    costs.append((whole, whole))
    return costs


@functools.lru_cache(maxsize=64)
def cheapest_plan(shape, margin, max_pixels):
    """The windows of at most ``max_pixels`` transform pixels (rows and columns chosen
    apart, so a window need not be square) that transform the fewest pixels in all, as
    ``(plan, transformed pixels)``; ``(None, None)`` if no window that small has a core."""
    rows, cols = (_axis_costs(n, margin) for n in shape)
    best = None
    for window_r, length_r in rows:
        fitting = [c for c in cols if c[0] * window_r <= max_pixels]
        if not fitting:
            break
        window_c, length_c = min(fitting, key=lambda c: c[1])
        if best is None or length_r * length_c < best[0]:
            best = length_r * length_c, window_r, window_c
    if best is None:
        return None, None
    work, window_r, window_c = best
    return [_axis_windows(shape[0], margin, window_r),
            _axis_windows(shape[1], margin, window_c)], work


#: An image whose untiled call needs at most this multiple of the memory limit is not
#: tiled when tiling would transform more than :data:`TILING_MAX_WORK` times its pixels:
#: the margins of such windows (1.5 to 2 filter reaches on every side) cost minutes to
#: save a few percent of memory, which the estimate is not precise enough to promise.
UNTILED_SLACK = 1.25
TILING_MAX_WORK = 2.0


def memory_plan(shape, kind, resolved, dtype, margin, pivot_scales=None):
    """Windows for an image under the memory limit, or None: untiled when the whole
    transform fits the limit (or nearly, see :data:`UNTILED_SLACK`), else the windows
    that transform the fewest pixels (:func:`cheapest_plan`); ``pivot_scales``: an
    edge call's (see :func:`tile_size`)."""
    per_pixel = _bytes_per_pixel(kind, resolved, np.dtype(dtype).str, pivot_scales)
    radius = measure_radius(resolved, kind)
    untiled = int(np.prod([fast_length(n + 2 * radius) for n in shape]))
    limit = _env.memory_limit()
    if untiled * per_pixel <= limit:
        return None
    tiles, work = cheapest_plan(tuple(shape), margin, int(limit // per_pixel))
    if tiles is None:
        raise NoRoomError("no window within the memory limit holds the filters' margin")
    if untiled * per_pixel <= UNTILED_SLACK * limit and work > TILING_MAX_WORK * untiled:
        return None
    return tiles


def _no_room(kind, resolved, margin):
    """The error for filters too wide for any window that fits in memory."""
    if kind == "blob":
        what = f"max_diameter={resolved.max_diameter:g}"
    else:
        what = (f"wavelet_width={resolved.wavelet_width:g}, "
                f"gaussian_width={resolved.gaussian_width:g}")
    return ValueError(
        f"the {kind} filters ({what}) reach {margin // 2} pixels, so a tile needs more than "
        f"{2 * margin + MIN_CORE} pixels a side, more than SHEARFEAT_MEMORY_LIMIT "
        f"({_env.memory_limit():,} bytes) or SHEARFEAT_TILE_SIZE allows: use narrower filters "
        "or raise the limit")


def choose(shape, kind, resolved, dtype, pivot_scales=None):
    """``(tiles, margin)`` for an image of ``shape`` in ``"reflect"`` mode, or None when it
    runs in one piece: :func:`memory_plan`, or with ``$SHEARFEAT_TILE_SIZE`` set, square
    windows of that side whenever the transform is larger (:func:`plan`)."""
    width = margin(resolved, kind)
    try:
        size = _env.tile_size()
        tiles = (plan(shape, width, size) if size is not None
                 else memory_plan(shape, kind, resolved, dtype, width, pivot_scales))
    except NoRoomError:
        raise _no_room(kind, resolved, width) from None
    return None if tiles is None else (tiles, width)
