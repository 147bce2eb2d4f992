"""Binary outputs: thin edges and ridge centre lines (non-maximum suppression along the
normal of the feature, then hysteresis between two thresholds)."""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage

from . import _kernels
from ._input import resolve_threads
from ._workers import run_rows
from .edges import EdgeResult
from .ridges import RidgeResult

#: Default hysteresis thresholds on the strength, per result type: (low, high).  The
#: edges' were chosen on BSDS500 train (``benchmarks/quality``); with the strength's
#: contrast floor and brightness gain, F on train 1-40 with distance matching / 1-10
#: with the BSDS correspondence: (0.15, 0.25) 0.610 / 0.562, (0.2, 0.25) 0.622 / 0.562,
#: (0.2, 0.3) 0.630 / 0.565, (0.25, 0.3) 0.637 / 0.552, (0.25, 0.35) 0.639 / 0.544.
#: (0.2, 0.3) scored a little higher on clean images (val: 0.611 / 0.501 against
#: 0.609 / 0.496) but kept less under the illumination ramp (``--bench robust``, 25
#: images, train / val: 0.972 / 0.980 of the clean F, against 1.000 / 1.001 at (0.2,
#: 0.25) and 0.976 / 0.998 for Canny's binary output), so (0.2, 0.25) stays.
DEFAULT_THRESHOLDS = {EdgeResult: (0.2, 0.25), RidgeResult: (0.1, 0.3)}


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
        edges 0.2 and 0.25, chosen on BSDS500 train (F = 0.62 against human boundaries;
        see :data:`DEFAULT_THRESHOLDS`); for ridges 0.1 and 0.3.
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
    strength = np.ascontiguousarray(result.strength)
    # edges: maxima of the strength (defined wherever the contrast is, the measure is
    # not); ridge centre lines: of the measure (their strength spreads across the width)
    along = strength if isinstance(result, EdgeResult) else np.ascontiguousarray(result.measure)
    orientation = np.ascontiguousarray(result.orientation, dtype=along.dtype)
    maxima = np.empty(along.shape, np.bool_)
    run_rows(_kernels.nonmax_suppress, along.shape[0], resolve_threads(threads), along,
             orientation, maxima)
    weak = maxima & (strength >= low)
    strong = maxima & (strength >= high)
    labels, count = ndimage.label(weak, structure=np.ones((3, 3), bool))
    if count == 0:
        return weak
    keep = np.zeros(count + 1, bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels]
