"""Thin outputs: edges and ridge centre lines one pixel wide (non-maximum suppression
along the normal of the feature, then hysteresis between two thresholds), binary
(:func:`thin`) or graded (:func:`graded_thin`)."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import ndimage

from . import _kernels
from ._input import resolve_threads
from ._workers import run_rows
from .edges import EdgeResult
from .ridges import RidgeResult

#: Default hysteresis thresholds on the strength, per result type: (low, high).  The
#: edges' were chosen on BSDS500 with the benchmark's own one-to-one correspondence
#: (``benchmarks/quality --match bsds``) for the surround-suppressed strength, F of
#: ``thin(edges(img))`` on the whole of train (200 images): (0.15, 0.33), the defaults
#: before the suppression, 0.575; (0.12, 0.28) 0.607; (0.1, 0.25) 0.606; (0.12, 0.25)
#: 0.605; (0.08, 0.25) 0.604; (0.1, 0.22) 0.599; (0.08, 0.2) 0.590.  On val (100 images,
#: held aside) (0.1, 0.25) scores 0.604 (P 0.538, R 0.687; ``canny(sigma=2)`` 0.568).
#: (0.12, 0.28) keeps less under the illumination ramp (``--bench robust``, first 25
#: train images, fraction of the clean F kept: 0.958 against 0.993 at (0.1, 0.25) and
#: 0.980 for ``canny(sigma=2)``); (0.1, 0.25) keeps more than Canny under every
#: perturbation there (gamma 2.2 0.912 against 0.861, noise 0.05 / 0.10 0.998 / 0.977
#: against 0.990 / 0.958, JPEG 20 1.003 against 0.997).  Before the suppression (0.15,
#: 0.33) scored 0.590 / 0.589 on train / val.
DEFAULT_THRESHOLDS = {EdgeResult: (0.1, 0.25), RidgeResult: (0.1, 0.3)}

#: Default ``high / low`` of :func:`graded_thin`, chosen on BSDS500 with the boundary
#: benchmark's own correspondence (``benchmarks/quality --match bsds``), first 12 images
#: of train: ODS of the suppressed strength 0.538, of ``graded_thin`` at ratio 1.5
#: 0.546, 2.5 0.552, 4 0.553, 8 0.551; held aside (val, first 12), ratio 3: 0.514 ->
#: 0.526.  Past about 3 a chain passes on its level to fainter pixels than boundaries
#: usually fade to.
DEFAULT_RATIO = 3.0


def _check_threshold(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def thin(result, *, low=None, high=None, threads=None) -> np.ndarray:
    """One-pixel-wide binary map of the edges or ridge centre lines of a result.

    Like Canny's last two steps: a pixel is kept when it is a maximum across the feature
    (along the normal of its orientation, interpolated bilinearly) of the edges'
    ``strength`` or of the ridges' ``measure`` (a ridge's strength covers its width), and
    it is connected (8-neighbourhood) through such maxima whose ``strength`` is at least
    ``low`` to one whose strength is at least ``high``.  Strength ranks strong boundaries above faint texture and, like the
    measure, does not depend on ``image -> a * image + b``, so neither do the thresholds.

    Parameters
    ----------
    result : EdgeResult or RidgeResult
        What :func:`shearfeat.edges` or :func:`shearfeat.ridges` returned (a result built
        by hand without ``strength`` is thresholded on its measure).
    low, high : float, optional
        Hysteresis thresholds on the strength, ``0 <= low <= high <= 1``.  Default for
        edges 0.1 and 0.25, chosen on BSDS500 (F = 0.606 on train and 0.604 on val
        against human boundaries with the benchmark's one-to-one correspondence, where
        ``canny(sigma=2)`` scores 0.570 and 0.568; see :data:`DEFAULT_THRESHOLDS`); for
        ridges 0.1 and 0.3.
    threads : int, optional
        Threads for the suppression kernel; default ``$SHEARFEAT_NUM_THREADS`` or all
        cores.

    Returns
    -------
    (M, N) bool ndarray

    Examples
    --------
    >>> import numpy as np, shearfeat as sf
    >>> image = np.zeros((64, 64), np.float32)
    >>> image[16:48, 16:48] = 1                      # a bright square
    >>> mask = sf.thin(sf.edges(image))
    >>> bool(mask[32, 15]), bool(mask[32, 20]), int(mask.sum()) >= 4 * 30
    (True, False, True)
    """
    if not isinstance(result, (EdgeResult, RidgeResult)):
        raise TypeError("result must be an EdgeResult or RidgeResult (what shearfeat.edges "
                        f"or shearfeat.ridges returned), got {type(result).__name__}")
    default_low, default_high = DEFAULT_THRESHOLDS[type(result)]
    low = default_low if low is None else _check_threshold(low, "low")
    high = default_high if high is None else _check_threshold(high, "high")
    if low > high:
        raise ValueError(f"low must not exceed high, got low={low} and high={high}")
    strength, maxima = _maxima(result, threads)
    weak = maxima & (strength >= low)
    strong = maxima & (strength >= high)
    labels, count = ndimage.label(weak, structure=np.ones((3, 3), bool))
    if count == 0:
        return weak
    keep = np.zeros(count + 1, bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels]


def graded_thin(result, *, ratio=DEFAULT_RATIO, threads=None) -> np.ndarray:
    """One-pixel-wide graded map of the edges or ridge centre lines of a result: every
    threshold of it is a :func:`thin` with hysteresis.

    On the maxima that :func:`thin` keeps, the map is the largest threshold ``t`` at
    which ``thin(result, low=t / ratio, high=t)`` keeps the pixel, so that
    ``graded_thin(result) >= t`` *is* that binary map (up to float32 rounding at
    ``t``), and 0 elsewhere.  A pixel of a long boundary thus ranks with the strongest
    part of its chain as long as it is at least ``1 / ratio`` of it, where the maxima of
    the strength alone (``result.strength`` times the suppression) rank each pixel by
    its own contrast and break a boundary into fragments wherever it fades.  It is the
    soft map to threshold or rank when what counts is whole boundaries: on BSDS500, with
    the benchmark's own correspondence, its ODS on the first 20 images of train / val is
    0.609 / 0.567 against 0.594 / 0.551 for the suppressed strength (see
    :data:`DEFAULT_RATIO`).

    Parameters
    ----------
    result : EdgeResult or RidgeResult
        What :func:`shearfeat.edges` or :func:`shearfeat.ridges` returned.
    ratio : float, optional
        ``high / low`` of the hysteresis at every threshold, at least 1; 1 gives the
        suppressed strength itself.  Default 3 (:data:`DEFAULT_RATIO`).
    threads : int, optional
        Threads for the suppression kernel; default ``$SHEARFEAT_NUM_THREADS`` or all
        cores.  The hysteresis itself runs in one.

    Returns
    -------
    (M, N) float32 ndarray
        In [0, 1]; 0 off the maxima.

    Examples
    --------
    >>> import numpy as np, shearfeat as sf
    >>> image = np.zeros((64, 64), np.float32)
    >>> image[16:48, 16:48] = 1                      # a bright square
    >>> result = sf.edges(image)
    >>> graded = sf.graded_thin(result)
    >>> bool(np.array_equal(graded >= 0.3, sf.thin(result, low=0.1, high=0.3)))
    True
    """
    if not isinstance(result, (EdgeResult, RidgeResult)):
        raise TypeError("result must be an EdgeResult or RidgeResult (what shearfeat.edges "
                        f"or shearfeat.ridges returned), got {type(result).__name__}")
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) \
            or not 1.0 <= float(ratio) < math.inf:
        raise ValueError(f"ratio must be a finite number >= 1, got {ratio!r}")
    strength, maxima = _maxima(result, threads)
    values = np.where(maxima, strength, 0).astype(np.float32)
    graded = np.empty_like(values)
    _kernels.hysteresis_levels(values, float(ratio), graded)
    return graded


def _maxima(result, threads):
    """The strength that thresholds apply to, and the maxima across the feature: of
    the edges' strength (defined wherever the contrast is, the measure is not), of the
    ridges' measure (their strength spreads across the width)."""
    strength = np.ascontiguousarray(result.strength)
    along = strength if isinstance(result, EdgeResult) else np.ascontiguousarray(result.measure)
    orientation = np.ascontiguousarray(result.orientation, dtype=along.dtype)
    maxima = np.empty(along.shape, np.bool_)
    run_rows(_kernels.nonmax_suppress, along.shape[0], resolve_threads(threads), along,
             orientation, maxima)
    return strength, maxima
