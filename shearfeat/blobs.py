"""The SymFD blob measure, and blob detection."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from . import _kernels, _tiles
from ._result import MeasureResult
from ._filters import TABLE_STEPS, disk_scale_response, scale_calibration
from ._input import as_image, polarity_sign, resolve_threads
from ._stream import active_region, crop_block, stream
from ._workers import run_rows, workspace

#: Default minimal contrast, as a fraction of the image's intensity range.
BLOB_MIN_CONTRAST = 1 / 50
#: Default threshold of :meth:`BlobResult.detect` on the measure.
DETECT_THRESHOLD = 0.3


@dataclass(frozen=True, repr=False)
class BlobResult(MeasureResult):
    """Blobs (roundish spots) of an image.

    Attributes
    ----------
    measure : (M, N) ndarray
        Blob measure in [0, 1], largest at a blob's centre; a disk of contrast h
        measures about 0.75 (6 px) to 0.9 (60 px) at its centre with the default
        ``min_contrast``.
    diameter : (M, N) ndarray
        Diameter in pixels of the disk that fits the blob best; 0 where ``measure`` is 0.
    height : (M, N) ndarray
        Signed height of that disk above its surroundings, in image intensity units
        (positive: bright blob); 0 where ``measure`` is 0.
    """

    measure: np.ndarray
    diameter: np.ndarray
    height: np.ndarray

    _what = "blob"

    def detect(self, threshold=DETECT_THRESHOLD, *, with_strength=False):
        """Blob centres and diameters.

        Each 8-connected region where ``measure > threshold`` is one blob.  Its centre is
        the region's largest measure, refined to sub-pixel by a parabola through its
        neighbours along each axis (a centroid would drift: around a large blob the
        measure is a broad plateau that any slope in the background tilts); its diameter
        is the diameter there and its strength the measure there.

        Parameters
        ----------
        threshold : float
            In [0, 1).  The measure does not depend on contrast, so neither does the
            threshold.
        with_strength : bool
            Also return each blob's strength.

        Returns
        -------
        blobs : (n, 3) float64 ndarray
            ``row, col, diameter`` per blob, strongest first.  Unlike
            :func:`skimage.feature.blob_log`, whose third column is the Gaussian's sigma
            (a disk's radius is about ``sqrt(2) * sigma``), this is the diameter in pixels.
        strength : (n,) float64 ndarray
            Only with ``with_strength=True``.

        Examples
        --------
        >>> import numpy as np, shearfeat as sf
        >>> rows, cols = np.mgrid[:96, :96]
        >>> image = ((rows - 40) ** 2 + (cols - 50) ** 2 <= 10 ** 2).astype(np.float32)
        >>> sf.blobs(image).detect().round(1)          # a disk of diameter 21 at (40, 50)
        array([[40. , 50. , 21.1]])
        """
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
                or not 0.0 <= float(threshold) < 1.0:
            raise ValueError(f"threshold must be a number in [0, 1), got {threshold!r}")
        measure = np.asarray(self.measure, np.float64)
        labels, count = ndimage.label(measure > threshold, structure=np.ones((3, 3), bool))
        if count == 0:
            empty = np.zeros((0, 3))
            return (empty, np.zeros(0)) if with_strength else empty
        index = np.arange(1, count + 1)
        peaks = np.array(ndimage.maximum_position(measure, labels, index), dtype=np.int64)
        strength = measure[peaks[:, 0], peaks[:, 1]]
        padded = np.pad(measure, 1, mode="edge")
        offsets = []
        for axis in (0, 1):
            step = np.eye(2, dtype=np.int64)[axis]
            left = padded[tuple((peaks + 1 - step).T)]
            right = padded[tuple((peaks + 1 + step).T)]
            curve = left - 2 * strength + right
            with np.errstate(divide="ignore", invalid="ignore"):
                offset = np.where(curve < 0, (left - right) / (2 * curve), 0.0)
            offsets.append(np.clip(offset, -0.5, 0.5))
        table = np.stack([peaks[:, 0] + offsets[0], peaks[:, 1] + offsets[1],
                          np.asarray(self.diameter, np.float64)[peaks[:, 0], peaks[:, 1]]],
                         axis=1)
        order = np.argsort(-strength, kind="stable")
        return (table[order], strength[order]) if with_strength else table[order]


def blobs(image, *, min_diameter=None, max_diameter=None, polarity="bright",
          min_contrast=None, mode="reflect", preset="default", as_gray=False,
          threads=None, **params) -> BlobResult:
    """Detect blobs with symmetric molecules (SymFD).

    At every pixel the measure finds the scale and rotation whose even molecule (a
    product of two Mexican hats) answers most strongly, infers from the responses of the
    neighbouring scales the diameter and height of the disk that would give them, and
    checks that every rotation at every scale answers with the sign such a disk gives
    while the odd partners (edge detectors an octave coarser) stay silent: a centred
    disk passes, an edge, a line or the side of a disk does not.

    Parameters
    ----------
    image : (M, N) array_like
        Grey-level image, at least 3 x 3; RGB(A) only with ``as_gray=True``.
    min_diameter, max_diameter : float, optional
        Range of blob diameters in pixels; default 4 and 64 (``preset="default"``).
        Reported diameters reach half a scale step beyond (``2 ** (1/4)`` with two scales
        per octave); larger or smaller blobs are reported at those limits, or missed.
        The image is padded by about three times ``max_diameter``.
    polarity : {"bright", "dark", "both"}
        Keep blobs brighter than their surroundings, darker, or both.
    min_contrast : float, optional
        Blob height (in intensity units) below which nothing counts.  Default: 1/50 of
        the image's intensity range, which makes the measure invariant to
        ``image -> a * image + b`` (a > 0).
    mode : {"reflect", "periodic"}
        Border handling: reflection padding (default) or circular convolution.
    preset : {"default", "coshrem", "small"}
        Diameter range: 4-64 px, ``min(shape) / 128`` to ``/ 8``, or 2 px to
        ``min(shape) / 4``.
    as_gray : bool
        Convert an RGB(A) image to luminance instead of rejecting it.
    threads : int, optional
        Threads for the FFTs and the kernels; default ``$SHEARFEAT_NUM_THREADS`` or all
        cores.  Results do not depend on it.
    **params
        ``scales_per_octave`` (2) and ``rotations`` (4) of the blob system.

    Returns
    -------
    BlobResult
        ``measure``, ``diameter`` and ``height``, float32 for any input except float64,
        which stays float64.  ``result.detect()`` lists the blobs.

    Notes
    -----
    The measure follows the SymFD blob measure [1]_ with three choices of ours.  The model
    blob is a disk rather than a square: the molecule's response to a disk does not
    depend on its rotation, and real blobs are round.  And the sign test of every scale
    is the sign the model disk gives at that scale, since the finer scales of a large
    disk answer negatively.  And each scale's term is weighted by the model disk's
    response there, so that scales far from the blob's size, which see only its
    surroundings, do not count.  The model is an isolated disk: blobs packed closer
    than about two diameters sit in each other's surrounds and measure low.  An ideal
    disk measures ``1 - min_contrast / h`` minus
    what its own boundary gives the odd partners.

    References
    ----------
    .. [1] R. Reisenhofer, E. J. King, "Edge, Ridge, and Blob Detection with Symmetric
       Molecules", SIAM J. Imaging Sci. 12(4) (2019). :doi:`10.1137/19M1240861`

    Examples
    --------
    >>> import numpy as np, shearfeat as sf
    >>> rows, cols = np.mgrid[:96, :96]
    >>> image = ((rows - 48) ** 2 + (cols - 48) ** 2 <= 8 ** 2).astype(np.float32)
    >>> b = sf.blobs(image)
    >>> int(b.measure.argmax()) == 48 * 96 + 48, round(float(b.diameter[48, 48]))
    (True, 17)
    """
    image = as_image(image, as_gray=as_gray)
    maps = blob_maps(image[None], min_diameter=min_diameter, max_diameter=max_diameter,
                     min_contrast=min_contrast, polarity=polarity, mode=mode, preset=preset,
                     threads=resolve_threads(threads), params=params)
    return BlobResult(*(m[0] for m in maps))


def blob_maps(block, *, min_diameter, max_diameter, min_contrast, polarity, mode, preset,
              threads, params, core=None):
    """Blob measure, diameter and height of a (B, M, N) block of images, each (B, M, N);
    ``core``: the part of each image that is kept (see ``_tiles.measure_block``)."""
    keep = polarity_sign(polarity)
    params = dict(params, min_diameter=min_diameter, max_diameter=max_diameter)
    system, tiling = _tiles.prepare(block.shape[1:], "blob", preset=preset, mode=mode,
                                    dtype=block.dtype, params=params)
    (measure, diameter, height), divisors, flat = _tiles.measure_block(
        system, tiling, block, min_contrast, BLOB_MIN_CONTRAST,
        lambda s, w, beta, t, part: _blob_maps(s, w, beta, keep, t, part), 3, threads,
        core)
    height *= divisors[:, None, None].astype(height.dtype)
    for array in (measure, diameter, height):
        array[flat] = 0.0
    return measure, diameter, height


def _blob_maps(system, work, beta, keep, threads, core=None):
    """The three blob maps of one normalised (M, N) image or a (B, M, N) block (of a
    tile's window, right on its ``core``: see ``_stream.active_region``)."""
    count = None if work.ndim == 2 else work.shape[0]
    period, cols = system.transform_shape
    n_rows = period * (count or 1)
    shape = (n_rows, cols)
    dtype = system.dtype
    J = system.n_scales
    spo = system.params.scales_per_octave
    delta0, response = disk_scale_response(spo, J + 1)
    cal_p, cal_u = scale_calibration(spo)
    stack, odd_max, measure, diameter, height = workspace(
        "blobs", [(n_rows, J, system.n_orientations // 2, cols), (n_rows, J, cols)] + [shape] * 3,
        [dtype] * 5)
    active, c0, c1 = active_region(system, count or 1, margin=0, core=core)

    def fold(s, coeffs, state):        # every scale writes its own slices: nothing to merge
        _kernels.blob_update(coeffs, s, stack, odd_max, active, c0, c1, 0, n_rows)

    stream(system, work, threads, fold)
    run_rows(_kernels.blob_finish, n_rows, threads, stack, odd_max, response, delta0,
             float(TABLE_STEPS), cal_p, cal_u, float(beta), float(spo),
             float(system.blob_diameters[0]), keep, measure, diameter, height, active, c0,
             c1)
    return tuple(crop_block(system, a, count) for a in (measure, diameter, height))
