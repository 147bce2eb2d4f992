"""Streaming the coefficients of a system past the measure kernels.

One forward FFT of the (padded) image, then for each orientation: multiply by that
orientation's pair spectra, one batched inverse FFT, one kernel call that folds the maps
into the running per-pixel state.  With several threads, workers take the orientations
one at a time and each keeps its own state, merged at the end (:func:`stream`).  One
orientation's complex maps exist at a time per worker; the kernels keep only the real
pivot responses that the orientation fit needs.
"""

from __future__ import annotations

import threading

import numpy as np

from . import _env, _fft, _kernels
from ._workers import executor, run_rows, workspace

PIVOT_SCALES = ("all", "lowest", "highest")

def pivot_mask(pivot_scales, n_scales) -> np.ndarray:
    """Boolean mask of the scales the pivot search may choose."""
    mask = np.zeros(n_scales, dtype=np.bool_)
    if pivot_scales == "all":
        mask[:] = True
    elif pivot_scales == "lowest":
        mask[0] = True
    elif pivot_scales == "highest":
        mask[-1] = True
    else:
        raise ValueError(f"pivot_scales must be one of {PIVOT_SCALES}, got {pivot_scales!r}")
    return mask


def workers(system, threads, pivot_scales=None) -> int:
    """How many workers :func:`stream` deals a system's groups to on ``threads`` threads:
    one per thread, at most one per group, and no more than fit in the memory limit
    (each has its own FFT buffers and state; the results do not depend on it);
    ``pivot_scales``: an edge call's (see ``ShearletSystem.memory_estimate``)."""
    count = max(1, min(int(threads), system._pair_groups))
    limit = _env.memory_limit()
    while count > 1 and system.memory_estimate(count, pivot_scales)["total"] > limit:
        count -= 1
    return count


def group_order(system, in_order):
    """The order in which the workers of :func:`stream` take the groups: the index order
    if ``in_order`` (each worker must then fold its groups in order, for the merge), else
    the costliest first, so that the last groups taken are short and the workers finish
    together.  A group costs its column transforms (about two thirds of a 2-D FFT, less
    the zero columns a pruned group skips), plus its row transforms, its multiply and
    its kernel (together about half a 2-D FFT, measured at 512 x 512)."""
    columns = system._nonzero_columns
    if in_order:
        return list(range(len(columns)))
    n_cols = system.transform_shape[1]
    costs = [0.5 + (1.0 if c is None else sum(b - a for a, b in c) / n_cols)
             for c in columns]
    return sorted(range(len(costs)), key=lambda f: (-costs[f], f))


def stream(system, images, threads, fold, new_states=None, merge=None, pivot_scales=None):
    """Fold the coefficients of every group of the system's pair spectra (each
    orientation of an edge or ridge system, each scale of a blob system) into per-pixel
    state, and return the state.

    ``images`` is one (M, N) image or a (B, M, N) block of them, transformed by one plan.
    One forward FFT serves every group; the inverse FFT of a group skips the columns
    where its spectra are zero (``system._nonzero_columns``).  W = :func:`workers` workers
    (the calling thread and pool threads) take the groups one at a time, each the next in
    :func:`group_order` when it is done with the last, so that a worker that starts late
    or runs on a busier core takes fewer; each multiplies and
    inverse-transforms its groups with its own plans and calls ``fold(f, coeffs, state)``
    with its own state, where ``coeffs`` is the (n_pairs, B M', N') output of the
    batched inverse FFT on the transform grid (M', N'), the B images stacked along the
    rows (overwritten by the worker's next group).  ``new_states(W)`` returns the state
    arrays with a leading worker axis (or None: no state of its own); worker w's state
    is their slices ``[w]``.  Workers never meet until the end, where
    ``merge(state, other)`` folds the other workers' states into worker 0's, which is
    returned.  Splitting the groups rather than the rows of every step scales better:
    threads that meet three times per orientation spend that time waiting for each other.

    ``fold`` must write shared arrays only where group f owns them, and ``merge`` must
    give what one worker folding every group in order would, whichever groups each
    worker took: the results then depend neither on the number of threads nor on which
    worker took which group.  ``pivot_scales``: an edge call's, for the memory
    estimate that caps the workers (see :func:`workers`).
    """
    pairs = system._pairs
    phases = system._pair_phases
    nonzero = system._nonzero_rows
    columns = system._nonzero_columns
    block = images[None] if images.ndim == 2 else images
    count = block.shape[0]
    n_pairs = pairs.shape[1]
    n_rows = count * system.transform_shape[0]
    n_workers = workers(system, threads, pivot_scales)
    fft_threads = max(1, int(threads) // n_workers)
    order = iter(group_order(system, in_order=merge is not None))
    order_lock = threading.Lock()
    states = new_states(n_workers) if new_states is not None else None

    def own_plans():
        return _fft.get_plans(system.transform_shape, n_pairs * count, system.complex_dtype,
                              fft_threads, images=count, in_place=True)

    plans = own_plans()
    plans.image[...] = system.pad(block)
    spectrum = plans.forward().reshape(n_rows, -1)        # read-only from here on

    def work(w, plans):
        state = None if states is None else tuple(array[w] for array in states)
        products = plans.products.reshape(n_pairs, n_rows, -1)
        while True:
            with order_lock:
                f = next(order, None)
            if f is None:
                return state
            if phases is None:
                _kernels.multiply_rows(spectrum, pairs[f], nonzero[f], products, 0, n_rows)
            else:
                ramp_of, row_ramps, col_ramps = phases
                _kernels.multiply_ramped_rows(spectrum, pairs[f], ramp_of[f], row_ramps,
                                              col_ramps, nonzero[f], products, 0, n_rows)
            coeffs = plans.inverse() if columns[f] is None else plans.inverse_columns(columns[f])
            fold(f, coeffs.reshape(n_pairs, n_rows, -1), state)

    futures = [executor().submit(lambda w: work(w, own_plans()), w)
               for w in range(1, n_workers)]
    try:
        state = work(0, plans)
    finally:                     # no worker may outlive the call that owns its arrays
        others = [future.result() for future in futures]
    if merge is not None:
        for other in others:
            merge(state, other)
    return state


def winner_states(name, n_workers, shape, dtype):
    """Each of ``n_workers`` workers' edge or ridge state, unset: the best pivot value so
    far (0), the winner's code (-1: none) and the measure there (0), as (W,) + ``shape``
    work arrays (see :func:`merge_best`)."""
    best, winner, measure = workspace(name, [(n_workers,) + tuple(shape)] * 3,
                                      [dtype, np.int32, dtype])
    best.fill(0)
    winner.fill(-1)
    measure.fill(0)
    return best, winner, measure


def merge_best(state, other, n_o, threads, per_slot=1):
    """Fold another worker's state into ``state`` (both sequences of arrays that start
    with the best value and the winner's code, ``per_slot`` codes per slot): every array
    takes the other's value where the other wins (see ``_kernels.merge_mask``)."""
    take = np.empty(state[0].shape, np.bool_)

    def merge_rows(r0, r1):
        _kernels.merge_mask(state[0], state[1], other[0], other[1], n_o, per_slot, take,
                            r0, r1)
        for mine, theirs in zip(state, other):
            _kernels.copy_where(mine, theirs, take, r0, r1)

    run_rows(merge_rows, take.shape[0], threads)


def active_region(system, count, margin=1, core=None):
    """Where on ``count`` stacked transform grids the measure kernels compute: a row mask
    and a column range ``c0, c1`` covering the image and ``margin`` pixels around it
    (the edge orientation reads one pixel up and aside).  The rest is padding that is
    cropped away.  ``core``, ``((r0, r1), (c0, c1))`` on the transform grid, is the part
    of a tile's window that is kept (default: the system's image, inside its padding):
    a window's margins are transformed but never measured."""
    period, cols = system.transform_shape
    if core is None:
        (top, _), (left, _) = system.padding
        core = (top, top + system.shape[0]), (left, left + system.shape[1])
    (top, bottom), (left, right) = core
    rows = np.zeros(period, np.bool_)
    rows[max(0, top - margin):bottom + margin] = True
    c0, c1 = max(0, left - margin), min(cols, right + margin)
    return np.tile(rows, count), c0, c1


def crop_block(system, array, count):
    """The (count, M, N) images (or one (M, N) image when ``count`` is None) cropped
    from a (count M', N') array of stacked transform-grid maps, copied."""
    rows, cols = system.transform_shape
    cropped = system.crop(array.reshape(-1, rows, cols))
    return (cropped[0] if count is None else cropped).copy()


def normalise(image):
    """``(image - mean) / range`` in float64, cast back, and the range (0 if flat)."""
    lo = float(image.min())
    hi = float(image.max())
    span = hi - lo
    if span == 0.0:
        return None, 0.0
    work = (image.astype(np.float64) - image.mean(dtype=np.float64)) / span
    return work.astype(image.dtype), span
