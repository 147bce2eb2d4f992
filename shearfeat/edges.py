"""The CoShREM edge measure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels, _tiles
from ._result import MeasureResult
from ._strength import (brightness_gain, contrast_strength, strength_scale,
                        surround_suppressed)
from ._fill import masked_input, outside_cleared
from ._input import as_image, resolve_threads
from ._stream import (active_region, crop_block, merge_best, pivot_mask, stream,
                      winner_states)
from ._workers import run_rows, workspace
from ._system import _neighbours, fit_geometry

#: Default minimal contrast, as a fraction of the image's intensity range.
EDGE_MIN_CONTRAST = 1 / 50
#: Step contrast, as a fraction of the image's range, where the strength's contrast weight
#: turns from linear to saturated (see :mod:`shearfeat._strength`).  Chosen on BSDS500
#: train: ODS of strength + NMS 0.609 at 0.1, 0.616 at 0.3 (30 images, pivot "lowest").
EDGE_STRENGTH_HALF = 0.3
#: Share of the edge strength that the contrast gives alone, where the phase-congruency
#: test fails (measure 0) yet the pivot's contrast exceeds the minimal one: corners,
#: junctions and blurred boundaries, where the measure breaks lines into pieces.  Chosen
#: on BSDS500 train with the BSDS correspondence (see :mod:`shearfeat._strength`).
EDGE_STRENGTH_FLOOR = 0.3
#: Brightness, as a fraction of the image's range, added to the local brightness that the
#: strength's contrast is relative to: ``(0.5 + dark) / (b + dark)`` scales the contrast
#: at local brightness b (see :func:`shearfeat._strength.brightness_gain`), so that a
#: step in shadow ranks with the same step in the light, and gamma and uneven lighting
#: move the ranking less.  Chosen on BSDS500 with the width below (see
#: :mod:`shearfeat._strength`): 0.1 kept more under gamma but ranked val lower clean.
EDGE_DARK_LEVEL = 0.2
#: Width in pixels of the boxes that give that local brightness (three passes, about a
#: Gaussian of 24.5 pixels: the lighting, not the objects' own shading; see
#: :func:`shearfeat._strength.local_brightness`).  Gaussians of 16-48 pixels scored
#: within 0.005 of each other on BSDS500; 4 pixels (the former gain) kept less under
#: gamma and the illumination ramp.
EDGE_BRIGHTNESS_WIDTH = 49
#: Width in pixels of the boxes (three passes, about a Gaussian of 30 pixels) over which
#: the strength around an edge is averaged, and the weight of that average in the
#: divisive surround suppression ``strength / (1 + weight * surround)``
#: (:func:`shearfeat._strength.surround_suppressed`): texture ranks below an outline.
#: Chosen on BSDS500 train 1-25 (``benchmarks/quality``, distance matching, 33 levels,
#: ``graded_thin``): ODS 0.647 without, 0.656 (AP 0.645 -> 0.671) with 61 and 5; widths
#: 31 / 97 gave 0.649 / 0.658 and weights 3 / 8 gave 0.653 / 0.652.  Subtracting the
#: surround instead (``strength - surround``) scored as high in ODS but cut AP on val.
EDGE_SURROUND_WIDTH = 61
EDGE_SURROUND_WEIGHT = 5.0


@dataclass(frozen=True, repr=False)
class EdgeResult(MeasureResult):
    """Edges of an image.

    Attributes
    ----------
    measure : (M, N) ndarray
        Edge measure in [0, 1]; an ideal step of contrast c gives ``1 - min_contrast / c``.
    orientation : (M, N) ndarray
        Tangent angle of the edge in degrees in [0, 180), matrix coordinates: 0 for a
        vertical edge (along the rows), 90 for a horizontal one: the angle of the
        strongest odd response.  NaN where ``strength`` is 0 (no contrast above the
        minimal one), since there the angle is undefined; defined wherever ``measure``
        is positive.
    strength : (M, N) ndarray
        Graded, contrast-aware edge map in [0, 1]: the step's contrast against the
        image's range (that of its 5 x 5 box means, so that noise and compression do not
        stretch it; at least half the plain range), ``w(x) = min(1, 1.3 x / (x + 0.3))``
        with x the contrast over that range times the brightness gain ``0.7 / (b + 0.2)`` (b the lighting in [0, 1],
        the image averaged over about 25 pixels: 1 on mid-grey, 3.5 in the darkest
        parts, 0.58 in the brightest), times
        ``0.3 * (1 - min_contrast / c) + 0.7 * measure`` (c the contrast; see
        :mod:`shearfeat._strength`).  A strong object boundary ranks above faint
        texture of the same shape, a step in shadow ranks nearer the same step in the
        light, and a boundary whose measure breaks at a corner, a junction or a blur
        keeps 30 % of its contrast's rank there instead of a gap.  That product is
        last divided by ``1 + 5 s``, ``s`` its own mean around the pixel (over about 30
        pixels: divisive surround suppression, see
        :func:`shearfeat._strength.surround_suppressed`), so that an edge amid texture
        ranks below the same edge on a plainer ground; a lone straight step keeps about
        0.7 of it.
        Invariant to ``image -> a * image + b`` (a > 0) like the measure; what
        :func:`thin` suppresses and thresholds and the CLI's PNGs show.
    """

    measure: np.ndarray
    orientation: np.ndarray
    strength: np.ndarray = None

    _what = "edge"


def edges(image, *, min_contrast=None, pivot_scales="lowest", mode="reflect",
          preset="default", as_gray=False, mask=None, mask_margin=0, threads=None,
          **params) -> EdgeResult:
    """Detect edges with complex shearlets (the CoShREM edge measure).

    At every pixel the measure looks for the orientation and scale whose odd (edge-like)
    coefficient is largest, then checks that the odd responses agree across scales and
    that the even (ridge-like) responses an octave coarser are small: a phase-congruency
    test that depends on the shape of the feature, not on its contrast.

    Parameters
    ----------
    image : (M, N) array_like
        Grey-level image, at least 3 x 3; RGB(A) only with ``as_gray=True``.
    min_contrast : float, optional
        Contrast (in image intensity units) below which a step is not an edge.  Default:
        1/50 of the image's intensity range, which makes the measure invariant to
        ``image -> a * image + b`` (a > 0).
    pivot_scales : {"lowest", "all", "highest"}
        Scales among which the pivot (strongest odd response) is chosen; ``"lowest"``
        (default) ignores fine scales and so fine noise and texture.  Chosen on BSDS500
        train (``benchmarks/quality``): strength + NMS scored ODS 0.616 with
        ``"lowest"``, 0.589 with ``"all"`` (the first release's default), 0.570 with
        ``"highest"``.
    mode : {"reflect", "periodic"}
        Border handling: reflection padding (default) or circular convolution (as the
        CoShREM toolbox).
    preset : {"default", "coshrem", "small"}
        Parameter set of the shearlet system; see :class:`ShearletSystem`.
    as_gray : bool
        Convert an RGB(A) image to luminance instead of rejecting it.
    mask : (M, N) array_like of bool, or "auto", optional
        Field of view: True inside; ``"auto"``: the image's :func:`field_of_view` (for
        an aperture with a dark surround).  The image is filled beyond it first
        (:func:`fill_outside`), so that its border reads as no edge, and every map is
        0 (the orientation NaN) outside it.
    mask_margin : int
        Pixels taken off the inside of ``mask`` before the filling (for masks that take in
        a rim or some of the surround; see :func:`fill_outside`).
    threads : int, optional
        Threads for the FFTs and the kernels; default ``$SHEARFEAT_NUM_THREADS`` or all
        cores.  Results do not depend on it.
    **params
        Overrides of the preset's system parameters (``wavelet_width``, ``octaves``, ...).

    Returns
    -------
    EdgeResult
        ``measure`` and ``strength`` in [0, 1] and ``orientation`` in degrees, float32 for
        any input except float64, which stays float64.

    References
    ----------
    .. [1] R. Reisenhofer, J. Kiefer, E. J. King, "Shearlet-based detection of flame
       fronts", Experiments in Fluids 57 (2016). :doi:`10.1007/s00348-015-2089-z`
    .. [2] R. Reisenhofer, E. J. King, "Edge, Ridge, and Blob Detection with Symmetric
       Molecules", SIAM J. Imaging Sci. 12(4) (2019). :doi:`10.1137/19M1240861`

    Examples
    --------
    >>> import numpy as np, shearfeat as sf
    >>> image = np.zeros((64, 64), np.float32)
    >>> image[:, 32:] = 1.0                      # a vertical step between columns 31 and 32
    >>> e = sf.edges(image)
    >>> int(e.measure[32].argmax()), round(float(e.orientation[32, 31])) % 180
    (31, 0)

    Angles are modulo 180 degrees: a vertical edge may read 0 or, by rounding,
    179.99998.
    """
    image, inside = masked_input(as_image(image, as_gray=as_gray), mask, mask_margin)
    maps = edge_maps(image[None], min_contrast=min_contrast, pivot_scales=pivot_scales,
                     mode=mode, preset=preset, threads=resolve_threads(threads),
                     params=params)
    return EdgeResult(*outside_cleared(EdgeResult, (m[0] for m in maps), inside))


def edge_maps(block, *, min_contrast, pivot_scales, mode, preset, threads, params,
              reference=None, low=None, core=None, surround=True):
    """Edge measure, orientation and strength of a (B, M, N) block of images, each
    (B, M, N); ``reference`` and ``low``: the range and darkest value the strength's
    contrast and brightness are relative to (default: each image's own); ``core``: the
    part of each image that is kept (see ``_tiles.measure_block``); ``surround``: False
    leaves the strength before its surround suppression (for chunks, which suppress it
    once their neighbours' strength is known)."""
    system, tiling = _tiles.prepare(block.shape[1:], "edge", preset=preset, mode=mode,
                                    dtype=block.dtype, params=params,
                                    pivot_scales=pivot_scales)
    system.check_measurable()
    pivot = pivot_mask(pivot_scales, system.n_measure_scales)
    (measure, orientation, pivot_response, shape_share), divisors, flat = \
        _tiles.measure_block(system, tiling, block, min_contrast, EDGE_MIN_CONTRAST,
                             lambda s, w, beta, t, part: _edge_maps(
                                 s, w, beta, pivot, t, part, pivot_scales), 4, threads, core)
    measure[flat] = 0.0
    orientation[flat] = np.nan
    shape_share[flat] = 0.0
    # the pivot response is the step's contrast over the divisor (see EdgeResult)
    lows, spans = strength_scale(block, reference, low, threads=threads)
    with np.errstate(over="ignore", under="ignore"):
        ratio = divisors / spans
    gain = brightness_gain(block, lows, spans, EDGE_DARK_LEVEL, EDGE_BRIGHTNESS_WIDTH, mode,
                           threads)
    strength = contrast_strength(shape_share, pivot_response, ratio, EDGE_STRENGTH_HALF,
                                 gain)
    if surround:
        surround_suppressed(strength, EDGE_SURROUND_WIDTH, EDGE_SURROUND_WEIGHT, mode,
                            threads)
    return measure, orientation, strength


def _edge_maps(system, work, beta, pivot, threads, core=None, pivot_scales=None):
    """Measure, orientation, pivot response and the strength's shape share of one
    normalised (M, N) image or a (B, M, N) block (of a tile's window, right on its
    ``core``: see ``_stream.active_region``).

    The shape share is ``floor * (1 - beta / p) + (1 - floor) * measure`` where the
    pivot response p exceeds beta (0 elsewhere): the measure, with a floor that the
    contrast alone gives, which like the measure fades to 0 at the minimal contrast
    (computed by the orientation kernel, which visits those pixels anyway)."""
    table = system.orientation_table
    n_o, S = system.n_orientations, system.n_measure_scales
    count = None if work.ndim == 2 else work.shape[0]
    period, cols = system.transform_shape
    n_rows = period * (count or 1)
    shape = (n_rows, cols)
    dtype = system.dtype
    left_slot, right_slot = _neighbours(table.duplicate, n_o, 2 * n_o)
    slope_start, slope_stop, horizontal_to, sign = fit_geometry(table, 2 * n_o)
    dir_r = np.ascontiguousarray(table.direction[:, 0])
    dir_c = np.ascontiguousarray(table.direction[:, 1])

    # odd responses at the pivot scales only, which the orientation fit reads (one slice
    # per orientation, whoever folds it); a winner's slot, and its scale's place there
    codes = np.arange(2 * n_o * S)                    # winner codes: slot * S + scale
    slot_of = (codes // S).astype(np.int32)
    rank_of = (np.cumsum(pivot) - 1).astype(np.int32)[codes % S]
    stack, orientation = workspace("edges", [(n_rows, n_o, int(pivot.sum()), cols), shape],
                                   [dtype, dtype])
    beta = dtype.type(beta)
    active, _, _ = active_region(system, count or 1, core=core)   # all columns: edge_update

    def new_states(n_workers):
        """Each worker's best pivot, the winner (slot * S + pivot scale) and the measure
        there."""
        return winner_states("edge state", n_workers, shape, dtype)

    def fold(f, coeffs, state):
        _kernels.edge_update(coeffs, f, pivot, beta, dir_r, dir_c, stack, *state, period,
                             active, 0, n_rows)

    best_p, winner, measure = stream(
        system, work, threads, fold, new_states,
        lambda state, other: merge_best(state, other, n_o, threads, per_slot=S),
        pivot_scales=pivot_scales)
    share, = workspace("edge share", [shape], [dtype])
    run_rows(_kernels.edge_orientation, n_rows, threads, measure, best_p, winner,
             slot_of, rank_of, stack, dir_r, dir_c, left_slot, right_slot, slope_start,
             slope_stop, horizontal_to, sign, beta, dtype.type(EDGE_STRENGTH_FLOOR),
             dtype.type(1.0 - EDGE_STRENGTH_FLOOR), period, active, orientation, share)
    return tuple(crop_block(system, a, count)
                 for a in (measure, orientation, best_p, share))
