"""Graded, contrast-aware strength of a feature: the measure weighted by the feature's
contrast against the image's own.

The CoShREM / SymFD measures are invariant to contrast by design: a faint texture step and
a strong object boundary of the same shape measure the same.  People (and boundary
benchmarks) rank the strong one higher.  ``strength`` keeps the measure's localisation and
its test of shape, and multiplies it by a saturating function of the feature's contrast
``c`` (the step, ridge or blob height that the pivot coefficient gives, in intensity units)
relative to a reference contrast ``R`` of the image, by default its intensity range
(for edges, the range of its 5 x 5 box means: see :func:`strength_scale`)::

    strength = measure * min(1, (1 + half) * x / (x + half)),    x = |c| / R

The weight is 1 for a feature of the reference contrast (a step from the darkest to the
brightest value: strength equals measure there) and about ``(1 + half) / (2 half)`` of
it less at ``x = half``; it rises linearly below ``half`` (a faint feature is ranked by
its contrast) and saturates above it (strong features rank by their measure, so
that a boundary in a dark corner of an unevenly lit image is not ranked below a weaker one
in the light).  Both ``c`` and ``R`` scale with ``a`` under ``image -> a * image + b``
(a > 0), so strength is invariant to it, like the measure.

The contrast is also relative to the brightness around the feature (Weber's law, with
a floor): ``x`` is multiplied by the gain ``(0.5 + dark) / (b + dark)``, where ``b`` in
[0, 1] is the image smoothed by three passes of a box of ``width`` pixels
(:func:`local_brightness`, about a Gaussian of ``sqrt((width**2 - 1) / 4)``), above its
darkest value and over its range (:func:`brightness_gain`).  The gain is 1 on mid-grey
and ``(0.5 + dark) / dark`` in the darkest parts, so a step in shadow ranks nearer the
same step in the light, and gamma and uneven lighting, which scale contrasts by the
local brightness, move the ranking less.  Like the range, ``b`` is invariant to
``image -> a * image + b``.

Edges take the lighting: boxes of 49 pixels (about a Gaussian of 24.5) and ``dark`` =
0.2, a gain of 3.5 in the darkest parts and 0.58 in the brightest.  Illumination
changes slowly, objects' own shading and texture do not, so a wide average follows the
light without boosting the texture of every dark object.  On BSDS500 (edges,
strength + NMS, ODS, distance matching, 25 levels), before (a Gaussian of 4 pixels,
``dark`` 0.6) -> after: clean train / val 1-50 0.652 / 0.636 -> 0.655 / 0.632; the F
at the clean threshold (1-25) kept under gamma 2.2 0.885 / 0.949 -> 0.902 / 0.974 and
under the illumination ramp 0.922 / 0.917 -> 0.953 / 0.954 (``benchmarks/quality
--bench robust --limit 25``).  With the BSDS
correspondence, train / val 1-10: 0.559 / 0.500 -> 0.560 / 0.495.  ``dark`` 0.1 kept
more (gamma 0.913 / 0.985) but scored 0.630 clean on val; Gaussians of 16-48 pixels
were within 0.005 of each other, and the former 4-pixel gain with ``dark`` 0.02-0.05
(Weber's law near enough) scored 0.68 on train 11-30 and 0.59 on val 1-30: it ranks
texture in the shadows too high.  A lighting term over the image's mean brightness on
top of the 4-pixel gain scored within 0.002 of this clean, and kept less under the ramp
on train (0.926 on 50 images).

Edges last divide their strength by ``1 + 5 s``, ``s`` the strength around each pixel
(:func:`surround_suppressed`, boxes of 61 pixels): texture, where edges crowd, ranks
below an outline on a plainer ground.  With the BSDS correspondence on the whole val
split (100 images, 10 levels), ``graded_thin`` ODS 0.596 -> 0.605 (AP 0.577 -> 0.578),
strength + NMS 0.589 -> 0.591 (AP 0.550 -> 0.524).

Ridges keep the objects' scale: boxes of 9 pixels (about a Gaussian of 4.5) and
``dark`` = 0.6, a gain of 1.83 in the darkest parts and 0.69 in the brightest.  On
DRIVE the vessel AUC moved from 0.9204 / 0.9272 (relative to the range alone) to
0.9217 / 0.9276 with a Gaussian of 4 pixels (0.9216 / 0.9264 at ``dark`` 0.1), and is
0.922 / 0.928 with the boxes (0.926 / 0.931 once the oriented part is smoothed).

Edges replace ``measure`` above by ``floor * (1 - beta / c) + (1 - floor) * measure``
(``beta`` the minimal contrast, floor 0.3, 0 where ``c <= beta``): the measure is 0
wherever the phase-congruency test fails, which breaks object boundaries at corners,
junctions and blurred stretches into pieces; the BSDS correspondence, which matches
boundary pixels one to one, counts each gap.  With the floor those stretches keep 30 %
of their contrast's rank, and the measure still ranks a clean step above texture of the
same contrast.  On the first 10 images of BSDS500 train / val with the BSDS
correspondence (``benchmarks/quality --match bsds``), strength + NMS went from ODS
0.543 / 0.495 to 0.550 / 0.506 (Canny sigma 2: 0.570 / 0.503) and ``thin`` from F
0.513 / 0.488 to 0.551 / 0.505 (Canny's binary output, sigma 2: 0.564 / 0.483, sigma
3: 0.513 / 0.532).  Floors of 0.3 and 0.5, and ``half`` 0.15 and 0.3, scored within
0.003 of each other.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _kernels
from ._workers import run_rows

#: Box passes of :func:`local_brightness` (three give a smooth, bell-shaped kernel).
BOX_PASSES = 3


def brightness_reach(width) -> int:
    """Pixels on each side that :func:`local_brightness` with boxes of ``width`` reads."""
    return BOX_PASSES * (int(width) // 2)


def local_brightness(block, width, mode, threads=1):
    """(B, M, N) ``block`` smoothed over each image by :data:`BOX_PASSES` passes of a box of
    ``width`` (odd) pixels along each axis (borders as ``mode``: periodic, or reflected as
    scipy's ``"reflect"``): about a Gaussian of standard deviation
    ``sqrt(BOX_PASSES * (width**2 - 1) / 12)``, in time that does not grow with the width
    (running sums: :func:`shearfeat._kernels.box_smooth_along` on blocks of rows, then
    :func:`shearfeat._kernels.box_smooth_across` on blocks of columns, each on
    ``threads`` threads; the same bits on any count); it reads :func:`brightness_reach`
    pixels on each side."""
    width = int(width)
    if width < 1 or width % 2 == 0:
        raise ValueError(f"the brightness's box width must be odd and positive, got {width}")
    block = np.ascontiguousarray(block)
    out = np.empty_like(block)
    periodic = mode == "periodic"
    rows = block.reshape(-1, block.shape[-1])
    run_rows(_kernels.box_smooth_along, rows.shape[0], threads, rows, width // 2,
             BOX_PASSES, periodic, out.reshape(rows.shape))
    run_rows(lambda c0, c1: _kernels.box_smooth_across(
        out, width // 2, BOX_PASSES, periodic, np.empty((block.shape[1], c1 - c0),
                                                        block.dtype), c0, c1),
        block.shape[-1], threads)
    return out


#: Width (pixels, odd) of the box that the strengths' reference range and darkest value
#: are read through (:func:`strength_scale`).
RANGE_BOX = 5


#: The least share of the plain intensity range that the boxed range is taken as: an
#: image whose range lies in features a pixel or two wide (a line drawing, a 1-pixel
#: line on noise) keeps half of it, not the little the box leaves.
RANGE_FLOOR = 0.5


def box_mean(image, rows=None):
    """(M, N) float64 mean of ``image`` over a box of :data:`RANGE_BOX` pixels, borders
    reflected as scipy's ``"reflect"`` (numpy's ``"symmetric"``); with ``rows``, a
    ``(start, stop)`` pair, only those rows of it.  Each output is the sum of its box's
    pixels in a fixed order, so a window of the image (a chunk with
    :data:`RANGE_BOX` // 2 pixels of overlap, a strip of rows) gives the same values."""
    r = RANGE_BOX // 2
    image = np.asarray(image)
    n_rows = image.shape[0]
    start, stop = (0, n_rows) if rows is None else rows
    index = np.arange(start - r, stop + r)
    index = np.where(index < 0, -index - 1, index)              # numpy's "symmetric"
    index = np.where(index >= n_rows, 2 * n_rows - index - 1, index)
    padded = np.pad(image[np.clip(index, 0, n_rows - 1)].astype(np.float64),
                    ((0, 0), (r, r)), mode="symmetric")
    padded /= RANGE_BOX * RANGE_BOX                 # first: sums of huge values stay finite
    cols = image.shape[1]
    across = padded[:, :cols].copy()
    for k in range(1, RANGE_BOX):
        across += padded[:, k:k + cols]
    out = across[:stop - start].copy()
    for k in range(1, RANGE_BOX):
        out += across[k:k + stop - start]
    return out


def box_extremes(image, threads=1):
    """The smallest and largest :func:`box_mean` of the (M, N) ``image`` (at least
    :data:`RANGE_BOX` // 2 pixels along each axis), to the bit,
    without holding the box means (a Numba kernel, :func:`shearfeat._kernels.box_extremes`,
    on ``threads`` threads: each finds the extremes of its rows)."""
    image = np.ascontiguousarray(image)
    extremes = np.empty((image.shape[0], 2))
    run_rows(_kernels.box_extremes, image.shape[0], threads, image, RANGE_BOX, extremes)
    return extremes[:, 0].min(), extremes[:, 1].max()


def boxed_span(box_low, box_high, low, high):
    """The range of the box means, at least :data:`RANGE_FLOOR` of the plain range
    ``high - low`` (arrays or numbers; infinite where the plain range overflows)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.maximum(np.subtract(box_high, box_low, dtype=np.float64),
                          RANGE_FLOOR * np.subtract(high, low, dtype=np.float64))


def strength_scale(block, reference=None, low=None, *, boxed=True, threads=1):
    """(B,) float64 darkest values and reference contrasts of a strength: each image's
    minimum and its range, the range read through a box of :data:`RANGE_BOX` pixels
    where ``boxed`` (:func:`box_mean`; at least :data:`RANGE_FLOOR` of the plain one);
    or ``low`` and ``reference`` where given (those of a whole image, for its chunks).
    The box extremes run on ``threads`` threads.

    Edges read the range through the box: it keeps 0.72-0.98 of a photo's range
    (BSDS500 train 1-15), but keeps noise, JPEG ringing and single hot pixels from
    stretching it.  Under Gaussian noise of 0.05 (clipped to [0, 1]) the plain range of
    those images grows by 7-16 % and the boxed one by 0-4 % (JPEG 20: 2-7 % and 0-3 %).
    With the BSDS correspondence (``benchmarks/quality --bench robust --match bsds
    --limit 15 --levels 25``, ``graded_thin``), plain -> boxed: clean ODS 0.577 ->
    0.579, the F kept at the clean threshold under gamma 2.2 0.886 -> 0.895, the ramp
    0.967 -> 0.973, noise 0.05 0.991 -> 0.990, noise 0.10 0.976 -> 0.977, JPEG 20 0.980
    -> 0.985.  The darkest value through the box as well kept more under noise and JPEG
    (0.995, 0.987) but less under the ramp (0.950).  Ridges keep the plain range: their
    features are often a pixel or two wide, and a box would shrink the range under them
    (a 1-pixel line of 10 % contrast on noise of 1 % then grew branches of noise in
    :func:`shearfeat.thin`)."""
    if reference is None or low is None:
        lows = block.min(axis=(1, 2)).astype(np.float64)
        highs = block.max(axis=(1, 2)).astype(np.float64)
        if boxed:
            box_lows, box_highs = np.array([box_extremes(image, threads)
                                             for image in block]).T
            span = boxed_span(box_lows, box_highs, lows, highs)
        else:
            with np.errstate(over="ignore"):
                span = highs - lows
        spans = np.where(np.isfinite(span) & (span > 0), span, np.finfo(np.float64).max)
    if reference is not None:
        spans = references(block, reference)
    if low is not None:
        lows = lows_given(block, low)
    return lows, spans


def references(block, reference):
    """(B,) float64 reference contrasts: each image's intensity range, or ``reference``."""
    if reference is not None:
        if isinstance(reference, bool) or not isinstance(reference, numbers.Real) \
                or not np.isfinite(reference) or reference <= 0:
            raise ValueError(f"reference must be a positive finite number, got {reference!r}")
        return np.full(block.shape[0], float(reference))
    lo = block.min(axis=(1, 2)).astype(np.float64)
    hi = block.max(axis=(1, 2)).astype(np.float64)
    with np.errstate(over="ignore"):
        span = hi - lo
    return np.where(np.isfinite(span) & (span > 0), span, np.finfo(np.float64).max)


def lows_given(block, low):
    """(B,) float64 darkest values: ``low``, checked, for each image of ``block``."""
    if isinstance(low, bool) or not isinstance(low, numbers.Real) or not np.isfinite(low):
        raise ValueError(f"low must be a finite number, got {low!r}")
    return np.full(block.shape[0], float(low))


def brightness_gain(block, lows, reference, dark, width, mode, threads=1):
    """(B, M, N) gain ``(0.5 + dark) / (b + dark)`` of the contrast, in ``block``'s
    dtype: ``b`` is the local brightness, the image smoothed by boxes of ``width``
    pixels (:func:`local_brightness`, borders as ``mode``), above ``lows`` (B,) and over
    ``reference`` (B,), clipped to [0, 1] (see :func:`strength_scale`).  ``dark``, a
    fraction of the reference, keeps the darkest parts (and noise there) from gaining
    without bound; the gain is 1 on a mid-grey background."""
    gain = local_brightness(block, width, mode, threads)
    spans = np.ascontiguousarray(np.broadcast_to(
        np.asarray(reference, np.float64), block.shape[:1]))
    _kernels.brightness_to_gain(gain, np.ascontiguousarray(lows, np.float64), spans,
                                float(dark))
    return gain


def contrast_strength(measure, contrast, ratio, half, gain=None):
    """``measure * min(1, (1 + half) x / (x + half))`` with ``x = |contrast| * ratio`` per
    image (times ``gain``, (B, M, N), where given), written over ``contrast`` (B, M, N),
    which is returned.  ``contrast`` is in the units the image was normalised by and
    ``ratio`` (B,) is that unit over the reference contrast, so no intensity is ever
    divided by a huge reference."""
    x = contrast
    np.abs(x, out=x)
    with np.errstate(over="ignore", invalid="ignore"):
        ratio = np.nan_to_num(np.asarray(ratio, np.float64), posinf=np.finfo(x.dtype).max)
        x *= ratio.astype(x.dtype)[:, None, None]
        if gain is not None:
            x *= gain
        np.divide(x, x + x.dtype.type(half), out=x)
    x[np.isnan(x)] = 1.0                                   # inf / inf: saturated
    x *= x.dtype.type(1.0 + half)
    np.minimum(x, 1.0, out=x)
    x *= measure
    return x


def surround_suppressed(strength, width, weight, mode, threads=1):
    """In place, and returned: ``strength`` (B, M, N) over ``1 + weight * s``, where
    ``s`` is the strength around each pixel, ``strength`` smoothed by boxes of ``width``
    pixels (:func:`local_brightness`, borders as ``mode``).

    Divisive surround suppression (after the non-classical receptive field inhibition of
    Grigorescu, Petkov and Westenberg, IEEE TIP 12(7), 2003): an edge among many others
    (texture: grass, fur, foliage) ranks below the same edge on its own (an object's
    outline against a plainer background), and the order of edges within one
    neighbourhood is kept.  A lone straight step's strength is a band several pixels
    wide, so it keeps about 0.7 of its strength (0.69 in a 256 x 256 image, less in a
    small one, where its surround is mostly itself); 8-pixel stripes of half its contrast,
    24 pixels from it, take another 0.31 of what it keeps.  Strength stays in [0, 1] and, like the strength
    before it, invariant to ``image -> a * image + b``."""
    surround = local_brightness(strength, width, mode, threads)
    surround *= surround.dtype.type(weight)
    surround += surround.dtype.type(1.0)
    np.divide(strength, surround, out=strength)
    return strength

