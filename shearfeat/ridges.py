"""The CoShREM ridge measure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels, _tiles
from ._result import MeasureResult
from ._strength import brightness_gain, contrast_strength, strength_scale
from ._fill import masked_input, outside_cleared
from ._input import as_image, polarity_sign, resolve_threads
from ._stream import (active_region, crop_block, merge_best, pivot_mask, stream,
                      winner_states)
from ._workers import run_rows, workspace
from ._system import _neighbours, fit_geometry

#: Default minimal contrast, as a fraction of the image's intensity range.
RIDGE_MIN_CONTRAST = 1 / 30
#: Ridge height, as a fraction of the image's range, where the strength's contrast weight
#: turns from linear to saturated (see :mod:`shearfeat._strength`).  On DRIVE 21-30 the
#: vessel AUC of the strength moved by < 0.003 between 0.03 and 0.3.
RIDGE_STRENGTH_HALF = 0.1
#: The oriented response's share of the strength (the spread centre lines have the
#: rest).  On DRIVE 21-30 (dark vessels) the strength's pooled AUC was 0.920 at 0.25,
#: 0.920 at 0.35, 0.916 at 0.5 and 0.764 at 0 (31-40: 0.927 at 0.25 and 0.5); weighting
#: the finer filters more moved it by less than 0.001.
ORIENTED_SHARE = 0.25
#: Smooth the oriented part by ``[1, 2, 1] / 4`` across and along (about a Gaussian of
#: 0.7 pixels) before it is added: it is a maximum over filters pixel by pixel, so it is
#: noisy where the spread centre lines are not.  DRIVE (dark vessels), pooled AUC 21-30 /
#: 31-40: 0.9217 / 0.9276 without, 0.9263 / 0.9309 with; a Gaussian of 1 pixel gave
#: 0.9263 / 0.9301, of 1.5 pixels 0.9220 / 0.9250, and smoothing the whole strength by
#: 0.7 pixels 0.9266 / 0.9293, but it spreads the centre lines beyond the ridges.
ORIENTED_SMOOTHING = True
#: Brightness, as a fraction of the image's range, added to the local brightness that the
#: strength's heights are relative to (as :data:`shearfeat.edges.EDGE_DARK_LEVEL`).  On
#: DRIVE (dark vessels) the strength's pooled AUC went from 0.9204 / 0.9272 (21-30 /
#: 31-40; heights relative to the range alone) to 0.9217 / 0.9276 at 0.6, and 0.9216 /
#: 0.9264 at 0.1.
RIDGE_DARK_LEVEL = 0.6
#: Width in pixels of the boxes that give that local brightness (three passes, about a
#: Gaussian of 4.5 pixels; see :func:`shearfeat._strength.local_brightness`).
RIDGE_BRIGHTNESS_WIDTH = 9


@dataclass(frozen=True, repr=False)
class RidgeResult(MeasureResult):
    """Ridges (lines) of an image.

    Attributes
    ----------
    measure : (M, N) ndarray
        Ridge measure in [0, 1]; an ideal box ridge of height h gives
        ``1 - min_contrast / |h|`` on its centre line.
    orientation : (M, N) ndarray
        Tangent angle in degrees in [0, 180): 0 for a vertical ridge, 90 for a
        horizontal one.  NaN where ``measure`` is 0.
    width : (M, N) ndarray
        Width of the ridge in pixels (the positive lobe of the matching filter); 0 where
        ``measure`` is 0.
    height : (M, N) ndarray
        Signed height of the ridge above its surroundings, in image intensity units
        (positive: bright ridge); 0 where ``measure`` is 0.
    strength : (M, N) ndarray
        Graded ridge map in [0, 1] that covers each ridge across its width: 3/4 of one
        part and 1/4 of another, each weighted ``min(1, 1.1 x / (x + 0.1))`` by a height
        ``x`` over the image's range, scaled by the brightness gain ``1.1 / (b + 0.6)``
        at local brightness b in [0, 1], the image averaged over about 5 pixels (see
        :mod:`shearfeat._strength`).  The first: on a
        centre line (a maximum of the measure across the ridge) the measure, ``x`` the
        pivot's height, spread over the ``width`` pixels across it.  The second, the
        oriented response: ``x`` the largest height of a ridge of the kept polarity
        that any on-origin filter sees at the pixel, smoothed by ``[1, 2, 1] / 4``
        across and along; it grades a vessel's whole width and the thin, faint ridges
        the measure misses (DRIVE 21-30, dark vessels: pooled AUC 0.926, against 0.764
        for the first part alone).
        Invariant to ``image -> a * image + b`` (a > 0).
    """

    measure: np.ndarray
    orientation: np.ndarray
    width: np.ndarray
    height: np.ndarray
    strength: np.ndarray = None

    _what = "ridge"


def ridges(image, *, polarity="bright", min_contrast=None, pivot_scales="all",
           mode="reflect", preset="default", as_gray=False, mask=None, mask_margin=0,
           threads=None, **params) -> RidgeResult:
    """Detect ridges (bright or dark lines) with complex shearlets (CoShREM).

    At every pixel the measure finds the orientation, scale and parity (odd or even
    width) whose even coefficient is largest in magnitude, infers the ridge's width and
    height from it, and checks that the even responses of the finer scales match what a
    ridge of that width and height would give while the odd (edge-like) responses an
    octave coarser are small.

    Parameters
    ----------
    image : (M, N) array_like
        Grey-level image, at least 3 x 3; RGB(A) only with ``as_gray=True``.
    polarity : {"bright", "dark", "both"}
        Keep ridges brighter than their surroundings, darker, or both.
    min_contrast : float, optional
        Ridge height (in intensity units) below which nothing counts.  Default: 1/30 of
        the image's intensity range, which makes the measure invariant to
        ``image -> a * image + b`` (a > 0).
    pivot_scales : {"all", "lowest", "highest"}
        Scales among which the pivot is chosen.
    mode : {"reflect", "periodic"}
        Border handling: reflection padding (default) or circular convolution.
    preset : {"default", "coshrem", "small"}
        Parameter set of the shearlet system.
    as_gray : bool
        Convert an RGB(A) image to luminance instead of rejecting it.
    mask : (M, N) array_like of bool, or "auto", optional
        Field of view: True inside; ``"auto"``: the image's :func:`field_of_view` (for
        an aperture with a dark surround).  The image is filled beyond it first
        (:func:`fill_outside`), so that its border reads as no ridge, and every map is
        0 (the orientation NaN) outside it.
    mask_margin : int
        Pixels taken off the inside of ``mask`` before the filling (for masks that take in
        a rim or some of the surround; see :func:`fill_outside`).
    threads : int, optional
        Threads for the FFTs and the kernels; default ``$SHEARFEAT_NUM_THREADS`` or all
        cores.  Results do not depend on it.
    **params
        Overrides of the preset's system parameters.

    Returns
    -------
    RidgeResult
        ``measure``, ``orientation``, ``width``, ``height`` and ``strength``, float32 for
        any input except float64, which stays float64.

    See Also
    --------
    fill_outside : for an image seen through a field of view (a fundus photo), whose
        border would read as a ridge beside it: fill the outside first.

    References
    ----------
    .. [1] R. Reisenhofer, E. J. King, "Edge, Ridge, and Blob Detection with Symmetric
       Molecules", SIAM J. Imaging Sci. 12(4) (2019). :doi:`10.1137/19M1240861`

    Examples
    --------
    >>> import numpy as np, shearfeat as sf
    >>> image = np.zeros((64, 64), np.float32)
    >>> image[:, 30:35] = 1.0                    # a bright vertical line 5 pixels wide
    >>> r = sf.ridges(image)
    >>> int(r.measure[32].argmax()), float(r.width[32, 32]), round(float(r.height[32, 32]), 1)
    (32, 5.0, 1.0)
    """
    image, inside = masked_input(as_image(image, as_gray=as_gray), mask, mask_margin)
    maps = ridge_maps(image[None], min_contrast=min_contrast, pivot_scales=pivot_scales,
                      polarity=polarity, mode=mode, preset=preset,
                      threads=resolve_threads(threads), params=params)
    return RidgeResult(*outside_cleared(RidgeResult, (m[0] for m in maps), inside))


def ridge_maps(block, *, min_contrast, pivot_scales, polarity, mode, preset, threads,
               params, reference=None, low=None, core=None):
    """Ridge measure, orientation, width, height and strength of a (B, M, N) block of
    images, each (B, M, N); ``reference`` and ``low``: the range and darkest value the
    strength's heights and brightness are relative to (default: each image's own);
    ``core``: the part of each image that is kept (see ``_tiles.measure_block``; the
    maps are computed a little beyond it, as far as the strength reads: see
    :func:`_spread_reach`)."""
    keep = polarity_sign(polarity)
    system, tiling = _tiles.prepare(block.shape[1:], "ridge", preset=preset, mode=mode,
                                    dtype=block.dtype, params=params)
    system.check_measurable()
    pivot = pivot_mask(pivot_scales, system.n_measure_scales)
    if core is not None:
        reach = _spread_reach(system)
        core = tuple((max(0, a - reach), min(n, b + reach))
                     for (a, b), n in zip(core, block.shape[1:]))
    (measure, orientation, width, height, response, oriented), divisors, flat = \
        _tiles.measure_block(
            system, tiling, block, min_contrast, RIDGE_MIN_CONTRAST,
            lambda s, w, beta, t, part: _ridge_maps(s, w, beta, pivot, keep, t, part),
            6, threads, core)
    height *= divisors[:, None, None].astype(height.dtype)
    for array in (measure, width, height, response, oriented):
        array[flat] = 0.0
    orientation[flat] = np.nan
    lows, spans = strength_scale(block, reference, low, boxed=False)
    with np.errstate(over="ignore", under="ignore"):
        ratio = divisors / spans
    gain = brightness_gain(block, lows, spans, RIDGE_DARK_LEVEL, RIDGE_BRIGHTNESS_WIDTH,
                           mode, threads)
    strength = ridge_strength(measure, orientation, width, response, oriented, ratio,
                              threads, gain, periodic=mode == "periodic")
    return measure, orientation, width, height, strength


def _spread_reach(system):
    """Pixels around a pixel whose maps its strength reads: the non-maximum test looks
    one pixel across, and a centre line spreads half the widest ridge width the system
    measures across itself (see ``_kernels.spread_across``), and the oriented response
    is smoothed over one more (``_kernels.binomial_smooth``)."""
    return int(np.ceil(system.ridge_widths.max() / 2)) + 3


def ridge_strength(measure, orientation, width, response, oriented, ratio, threads,
                   gain=None, periodic=False):
    """(B, M, N) strength from the maps of a block: ``response`` is the signed pivot
    height at every pixel and ``oriented`` the oriented response, both in units of the
    divisor (both overwritten), ``ratio`` (B,) the divisor over the reference contrast,
    ``gain`` (B, M, N) the brightness gain of the heights (none: 1); ``periodic``: the
    borders of the oriented part's smoothing (:data:`ORIENTED_SMOOTHING`)."""
    centre = contrast_strength(measure, response, ratio, RIDGE_STRENGTH_HALF, gain)
    strength = np.empty_like(centre)
    maxima = np.empty(measure.shape[1:], np.bool_)
    for i in range(measure.shape[0]):    # spread from the centre lines across the width
        run_rows(_kernels.nonmax_suppress, maxima.shape[0], threads, measure[i],
                 orientation[i], maxima)
        centre[i][~maxima] = 0.0
        _kernels.spread_across(centre[i], orientation[i], width[i], strength[i])
    graded = contrast_strength(np.ones_like(strength), oriented, ratio, RIDGE_STRENGTH_HALF,
                               gain)
    if ORIENTED_SMOOTHING:
        _kernels.binomial_smooth(graded, periodic, np.empty(graded.shape[1:], graded.dtype))
    strength *= strength.dtype.type(1.0 - ORIENTED_SHARE)
    graded *= graded.dtype.type(ORIENTED_SHARE)
    strength += graded
    return strength


def _ridge_maps(system, work, beta, pivot, keep, threads, core=None):
    """The ridge maps of one normalised (M, N) image or a (B, M, N) block (of a tile's
    window, right on its ``core``: see ``_stream.active_region``)."""
    table = system.orientation_table
    n_o, S, d = system.n_orientations, system.n_measure_scales, system.measure_offset
    count = None if work.ndim == 2 else work.shape[0]
    period, cols = system.transform_shape
    n_rows = period * (count or 1)
    shape = (n_rows, cols)
    dtype = system.dtype
    left_slot, right_slot = _neighbours(table.duplicate, n_o, n_o)
    slope_start, slope_stop, horizontal_to, _ = fit_geometry(table, n_o)
    # Everything the measure needs from the tables depends on the parity and the pivot
    # scale only: look it up once here rather than per pixel.
    widths = np.ascontiguousarray(system.ridge_widths[d:].T)          # (2, S): W
    response = system.ridge_response[:, d:]
    expected = np.stack([response[widths[e]] for e in (0, 1)])         # (2, S, S): EC(W, s)
    inv_pivot = 1.0 / np.stack([np.diagonal(expected[e]) for e in (0, 1)])
    floor = beta * np.abs(expected).sum(axis=2)
    expected, inv_pivot, floor = (np.ascontiguousarray(a, dtype) for a in
                                  (expected, inv_pivot, floor))

    # |even responses| of every slot (one slice per orientation, whoever folds it)
    stack, orientation, height, width, response = workspace(
        "ridges", [(n_rows, n_o, 2 * S, cols)] + [shape] * 4, [dtype] * 5)
    active, c0, c1 = active_region(system, count or 1, core=core)

    def new_states(n_workers):
        """Each worker's best pivot magnitude, the winner ((slot * 4 + parity, plus 2 if
        negative) * S + pivot scale), the measure there, and the oriented response."""
        oriented, = workspace("ridge oriented", [(n_workers,) + shape], [dtype])
        oriented.fill(0)
        return winner_states("ridge state", n_workers, shape, dtype) + (oriented,)

    def fold(f, coeffs, state):
        _kernels.ridge_update(coeffs, f, pivot, expected, inv_pivot, floor, keep, stack,
                              *state, active, 0, n_rows)

    def merge(state, other):
        merge_best(state[:3], other[:3], n_o, threads, per_slot=4 * S)
        np.maximum(state[3], other[3], out=state[3])

    best_abs, winner, measure, oriented = stream(system, work, threads, fold, new_states,
                                                 merge)
    run_rows(_kernels.ridge_finish, n_rows, threads, measure, best_abs, winner,
             widths, inv_pivot, stack, left_slot, right_slot, slope_start, slope_stop,
             horizontal_to, keep, active, c0, c1, height, width, orientation, response)
    return tuple(crop_block(system, a, count)
                 for a in (measure, orientation, width, height, response, oriented))
