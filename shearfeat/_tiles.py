"""How an input is cut for the transform: large images in overlapping tiles
(overlap-save), so memory does not grow with them, and many small images in blocks that
share one transform plan, so per-call costs do not dominate.

The measures are per-pixel functions of the coefficients, and a coefficient only sees
the image within the support of its filter.  So a large image is padded once by
reflection, cut into FFT-friendly windows (:mod:`shearfeat._plan` chooses them) that
overlap by twice a margin wider than the filters' support, each window is transformed
periodically (the wrap-around stays inside the margin) and only its core is kept.  The
filters are built once for the window shape; memory depends on the window, not on the
image.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from . import _plan
from ._input import check_min_contrast
from ._params import resolve_params
from ._system import cached_system
from ._workers import executor

def prepare(shape, kind, *, preset, mode, dtype, params, pivot_scales=None):
    """The system a measure runs on, and how to tile the image (None: in one piece).

    In ``"reflect"`` mode an image whose call would not fit the memory limit is tiled
    as :func:`shearfeat._plan.choose` says (``pivot_scales``: an edge call's, whose
    memory it counts); the window system gets the parameters resolved for the whole
    image (presets that scale with the image must not rescale with the window).
    """
    if mode == "reflect":
        resolved = resolve_params(shape, kind, preset, **params)
        tiling = _plan.choose(shape, kind, resolved, dtype, pivot_scales)
        if tiling is not None:
            (win_r, _, _), (win_c, _, _) = tiling[0]
            system = cached_system((win_r, win_c), kind, mode="periodic", dtype=dtype,
                                   **asdict(resolved))
            return system, tiling
    return cached_system(shape, kind, preset=preset, mode=mode, dtype=dtype, **params), None


def run(system, tiling, work, maps, n_outputs):
    """``maps(system, work, None)``, or over the tiles of ``tiling`` when there are some
    (see :func:`in_tiles`)."""
    if tiling is None:
        return maps(system, work, None)
    tiles, margin = tiling
    return in_tiles(work, system, maps, n_outputs, margin, tiles)


def in_tiles(work, system, maps, n_outputs, margin, tiles):
    """Run ``maps(system, window, core)`` over the windows of ``tiles`` and assemble its
    ``n_outputs`` per-pixel maps for the whole image.  ``core``, ``((r0, r1), (c0,
    c1))`` in the window, is the part of it that is kept: the maps need be right only
    there (see :func:`shearfeat._stream.active_region`)."""
    (win_r, starts_r, core_r), (win_c, starts_c, core_c) = tiles
    padded = np.pad(work, margin, mode="symmetric")
    # Windows reach ``margin`` pixels before their core; pad the far ends to the window.
    extra_r = max(0, starts_r[-1] + win_r - padded.shape[0])
    extra_c = max(0, starts_c[-1] + win_c - padded.shape[1])
    if extra_r or extra_c:
        padded = np.pad(padded, ((0, extra_r), (0, extra_c)), mode="symmetric")
    outputs = [np.empty(work.shape, work.dtype) for _ in range(n_outputs)]
    for r0 in starts_r:
        for c0 in starts_c:
            window = np.ascontiguousarray(padded[r0:r0 + win_r, c0:c0 + win_c])
            rows = min(core_r, work.shape[0] - r0)
            cols = min(core_c, work.shape[1] - c0)
            core = (margin, margin + rows), (margin, margin + cols)
            results = maps(system, window, core)
            for out, result in zip(outputs, results):
                out[r0:r0 + rows, c0:c0 + cols] = result[margin:margin + rows,
                                                         margin:margin + cols]
    return outputs


def _outside_zeroed(maps, core):
    """``maps`` (..., M, N) with every pixel outside ``core`` set to 0 (in place)."""
    (r0, r1), (c0, c1) = core
    maps[..., :r0, :] = 0
    maps[..., r1:, :] = 0
    maps[..., :, :c0] = 0
    maps[..., :, c1:] = 0
    return maps


#: Work memory of one block of small images (see :func:`measure_block`).
BLOCK_BYTES = 32 * 2 ** 20


def images_per_block(system) -> int:
    """How many images of ``system``'s shape one block transforms together."""
    return max(1, int(BLOCK_BYTES // system.memory_estimate()["work"]))


#: Images with a value beyond this magnitude are scaled by a power of two before their
#: range and mean are taken, which would otherwise overflow float64.
HUGE = 2.0 ** 1000


def _ranges(block):
    """Per-image intensity range and mean (in float64) after multiplying each image by
    the power of two also returned: 1, except for images with values beyond
    :data:`HUGE`, which are brought to at most 1 in magnitude (powers of two scale
    exactly, so these images are measured like any other)."""
    lo = block.min(axis=(1, 2)).astype(np.float64)
    hi = block.max(axis=(1, 2)).astype(np.float64)
    peak = np.maximum(np.abs(lo), np.abs(hi))
    scales = np.ones_like(peak)
    huge = peak > HUGE
    with np.errstate(under="ignore"):         # 2 ** -1024 is subnormal, and still exact
        scales[huge] = np.exp2(-np.ceil(np.log2(peak[huge])))
    with np.errstate(over="ignore"):          # huge images: recomputed below
        means = block.mean(axis=(1, 2), dtype=np.float64)
    for i in np.flatnonzero(huge):
        means[i] = (block[i].astype(np.float64) * scales[i]).mean()
    return hi * scales - lo * scales, means, scales


#: Elements normalised at a time (a float64 temporary of 8 MiB, not one of the image).
NORMALISE_CHUNK = 2 ** 20


def normalise_into(out, images, means, divisors, flat, scales=None):
    """``out[i] = (images[i] * scales[i] - means[i]) / divisors[i]``, computed in float64
    a chunk at a time (whole images, or rows of one large image), and 0 for ``flat``
    images.  ``scales`` defaults to ones."""
    if scales is None:
        scales = np.ones(images.shape[0])
    count, rows, cols = images.shape
    per_image = max(1, NORMALISE_CHUNK // (rows * cols))
    row_step = rows if per_image > 1 else max(1, NORMALISE_CHUNK // cols)
    for i0 in range(0, count, per_image):
        i = slice(i0, i0 + per_image)
        for r0 in range(0, rows, row_step):
            r = slice(r0, r0 + row_step)
            part = images[i, r].astype(np.float64)
            part *= scales[i, None, None]
            part -= means[i, None, None]
            part /= divisors[i, None, None]
            part[flat[i]] = 0.0
            out[i, r] = part


def measure_block(system, tiling, block, min_contrast, default, maps, n_outputs, threads,
                  core=None):
    """Run a measure over a (B, M, N) block of images; ``maps(system, work, beta,
    threads, core)`` computes its ``n_outputs`` maps from normalised images (right at
    least on ``core`` of a tile's window, see :func:`in_tiles`).  ``core``, ``((r0, r1),
    (c0, c1))``, is the part of each untiled image that the caller keeps (a Dask chunk's
    core): the maps are computed there and are 0 elsewhere (default: everywhere).

    Every image is normalised to zero mean and unit range, so that the relative
    ``default`` minimal contrast applies.  An absolute ``min_contrast`` instead divides
    every image by one common range (the first non-flat image's): the measures depend
    on the image and beta only through their ratio, so this equals image-by-image
    normalisation up to rounding and lets one beta serve the whole block.  Untiled
    images go through the transform in blocks of :func:`images_per_block` (the last
    one padded with flat images, so that one plan serves all); several blocks run in
    parallel, one thread each, which for small images beats splitting each block's
    rows (whose threads meet three times per orientation).  Tiled images go one by one.

    Returns
    -------
    outputs : list of (B, M, N) ndarray
    divisors : (B,) float64 ndarray
        What each image was divided by, in its own intensity units (1 for flat images).
    flat : (B,) bool ndarray
        Images of zero range: their maps are whatever flat input gives; the caller
        fixes them.
    """
    count = block.shape[0]
    spans, means, scales = _ranges(block)
    flat = spans == 0.0
    if min_contrast is None:
        beta = default
        divisors = np.where(flat, 1.0, spans)          # in the scaled images' units
    else:
        # One common range in intensity units (a range beyond float64 is taken as the
        # largest float: min_contrast cannot be that large anyway).
        common = float(min(spans[~flat][0] / scales[~flat][0], np.finfo(np.float64).max)) \
            if (~flat).any() else 1.0
        beta = check_min_contrast(min_contrast, common)
        divisors = common * scales
    outputs = [np.empty(block.shape, block.dtype) for _ in range(n_outputs)]
    size = 1 if tiling is not None else min(count, images_per_block(system))
    starts = range(0, count, size)
    workers = min(threads, len(starts)) if tiling is None else 1

    def run_blocks(mine, threads):
        work = np.zeros((size,) + block.shape[1:], block.dtype)

        def window_maps(system, window, core):
            return maps(system, window, beta, threads, core)

        for start in mine:
            n = min(size, count - start)
            window = slice(start, start + n)
            normalise_into(work[:n], block[window], means[window], divisors[window],
                           flat[window], scales[window])
            work[n:] = 0.0
            if tiling is None:
                results = maps(system, work, beta, threads, core)
                if core is not None:
                    results = [_outside_zeroed(result, core) for result in results]
            else:
                results = [r[None] for r in run(system, tiling, work[0], window_maps,
                                                n_outputs)]
            for out, result in zip(outputs, results):
                out[start:start + n] = result[:n]

    if workers <= 1:
        run_blocks(starts, threads)
    else:
        futures = [executor().submit(run_blocks, starts[w::workers], 1)
                   for w in range(workers)]
        for future in futures:
            future.result()
    with np.errstate(over="ignore"):                 # a range beyond float64: inf heights
        return outputs, divisors / scales, flat
