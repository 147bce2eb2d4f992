"""The SymFD blob measure, and blob detection."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, spatial

from . import _kernels, _tiles
from ._result import MeasureResult
from ._filters import TABLE_STEPS, disk_scale_response, scale_calibration
from ._fill import masked_input, outside_cleared
from ._input import as_image, check_choice, polarity_sign, resolve_threads
from ._strength import references
from ._stream import active_region, crop_block, stream
from ._workers import run_rows, workspace

#: Default minimal contrast, as a fraction of the image's intensity range.
BLOB_MIN_CONTRAST = 1 / 50
#: Default threshold of :meth:`BlobResult.detect` on the peak height, as a fraction of the
#: image's range: chosen on the VGG cells 1-25 and checked on 51-100 (see ``detect``).
DETECT_THRESHOLD = 0.1
#: Default threshold of :meth:`BlobResult.detect` on the measure (``on="measure"``).
DETECT_MEASURE_THRESHOLD = 0.3
#: The peaks' shape tests (see :func:`shearfeat._kernels.blob_peaks`): the largest ratio
#: of the Hessian's eigenvalues, and of the odd answer to the even one, at the same scale
#: and an octave coarser.  Chosen on the VGG cells 1-25 and grids of packed disks.
PEAK_EDGE_RATIO = 3.0
PEAK_ODD_RATIO = 2.0
PEAK_PARTNER_RATIO = 2.5
#: ... and how far below zero any rotation's answer may be, as a share of the mean (the
#: gap between four bright blobs answers brightly at the rotations whose diagonal side
#: lobes meet them, darkly at the others).
PEAK_OPPOSITE_SHARE = 0.25
#: How :meth:`BlobResult.detect` resolves peaks into blobs, finest scale first: a peak
#: with at least two others of at least ``SPLIT_SHARE`` of its height within
#: ``SPLIT_REACH`` of its radius is a group of blobs, and is dropped; otherwise it
#: replaces the finer peaks there.  A peak within ``SAME_SCALE_REACH`` of its radius of
#: a higher one of its scale is dropped.
SPLIT_SHARE = 0.5
SPLIT_REACH = 1.2
SAME_SCALE_REACH = 1.5
#: Rounds of :meth:`BlobResult.detect`'s correction of the diameters for the neighbours
#: (see there), and the most it may scale a diameter by (or its inverse).  On 5 x 5
#: grids of disks of 8, 12 and 16 px with noise 0.05: 1.25 diameters apart the
#: diameters come out 0.83-0.90 of true without it, 0.87-0.96 after one round and
#: 0.90-1.02 after two; 1.5 apart 0.91-0.95, then 0.95-1.00; 2.5 apart 1.00-1.04, then
#: 0.98-1.01.
DEBLEND_ROUNDS = 2
DEBLEND_LIMIT = 1.5


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
    peak_height : (M, N) ndarray
        Where the blob response peaks in space and scale (see Notes of
        :func:`shearfeat.blobs`): the height of the disk that fits the peak, signed, as a
        fraction of the image's intensity range (so, like the measure, invariant to
        ``image -> a * image + b``, a > 0); 0 elsewhere.  Unlike the measure it holds in
        crowds; :meth:`detect` resolves these peaks into blobs.
    peak_diameter : (M, N) ndarray
        Diameter in pixels of that disk; 0 where ``peak_height`` is 0.
    peak_scale : (M, N) ndarray
        Index of the scale of that peak (0 the coarsest); -1 where there is none.
    """

    measure: np.ndarray
    diameter: np.ndarray
    height: np.ndarray
    peak_height: np.ndarray
    peak_diameter: np.ndarray
    peak_scale: np.ndarray

    _what = "blob"

    def detect(self, threshold=None, *, on="peaks", with_strength=False, deblend=None):
        """Blob centres and diameters.

        With ``on="peaks"`` (the default) blobs come from the space-scale peaks of
        ``peak_height`` above ``threshold``, resolved finest scale first: a peak that
        holds at least two others of at least half its height within 1.2 of its radius
        is a group (touching cells, a cluster of spots) and gives way to them; otherwise
        it is one blob, and the finer peaks within that reach are its parts.  A peak
        within 1.5 radii of a higher one of its own scale is dropped.  Blobs packed 1.25
        diameters apart and more are found one by one.  With ``on="measure"``, each
        8-connected region where ``measure > threshold`` is one blob (the SymFD
        detection, for isolated blobs).  A blob's centre is its peak's pixel, or on the
        measure its largest value, refined to sub-pixel by a parabola through its
        neighbours along each axis (a centroid would drift: around a large blob the
        measure is a broad plateau that any slope in the background tilts); its
        diameter and strength are the map's values there.

        Neighbours bias a blob's diameter: a blob in a crowd sits in its neighbours'
        negative surround, which pulls its best scale finer (1.25 diameters apart, the
        map's diameters are 10-17 % small).  With ``deblend`` the diameters are corrected
        for that: the blobs found are drawn as disks of their diameters and heights on a
        flat background, that picture is measured the same way, and each diameter is
        scaled by how much its own disk's came out changed there (at most
        :data:`DEBLEND_LIMIT` times either way), :data:`DEBLEND_ROUNDS` times.  An
        isolated blob keeps its diameter; each round costs one more blob measure of the
        image's size.  The centres and the strengths are not changed.

        Parameters
        ----------
        threshold : float, optional
            In [0, 1).  On the peaks: the smallest blob height, as a fraction of the
            image's intensity range; default 0.1, chosen on the VGG cells 1-25 (F1
            0.856 there, within 0.002 of it from 0.06 to 0.14) and checked on 51-100
            (F1 0.850).  On the measure: default 0.3.  Neither map depends on
            contrast, so neither does the threshold.
        on : {"peaks", "measure"}
            Which map to detect blobs on.
        with_strength : bool
            Also return each blob's strength: its ``|peak_height|`` or its measure.
        deblend : bool, optional
            Correct the diameters for the neighbours (above).  Default: where the result
            knows how it was measured, that is for the results of :func:`shearfeat.blobs`
            (not for results built from maps, nor those of :mod:`shearfeat.dask`).

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
        array([[40. , 50. , 20.1]])
        """
        check_choice(on, "on", ("peaks", "measure"))
        settings = getattr(self, "_settings", None)
        if deblend is None:
            deblend = settings is not None
        elif not isinstance(deblend, (bool, np.bool_)):
            raise TypeError(f"deblend must be True, False or None, got {deblend!r}")
        elif deblend and settings is None:
            raise ValueError("deblend=True needs a result of shearfeat.blobs(), which knows "
                             "how it was measured; this one was built from maps (or by "
                             "shearfeat.dask): pass deblend=False")
        if threshold is None:
            threshold = DETECT_THRESHOLD if on == "peaks" else DETECT_MEASURE_THRESHOLD
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
                or not 0.0 <= float(threshold) < 1.0:
            raise ValueError(f"threshold must be a number in [0, 1), got {threshold!r}")
        if on == "peaks":
            values = np.abs(np.asarray(self.peak_height, np.float64))
            diameter = np.asarray(self.peak_diameter, np.float64)
            peaks = _resolve_peaks(values, diameter, np.asarray(self.peak_scale),
                                   float(threshold))
        else:
            values = np.asarray(self.measure, np.float64)
            diameter = np.asarray(self.diameter, np.float64)
            labels, count = ndimage.label(values > threshold, structure=np.ones((3, 3), bool))
            peaks = np.array(ndimage.maximum_position(values, labels, np.arange(1, count + 1)),
                             dtype=np.int64).reshape(-1, 2)
        if len(peaks) == 0:
            empty = np.zeros((0, 3))
            return (empty, np.zeros(0)) if with_strength else empty
        strength = values[peaks[:, 0], peaks[:, 1]]
        offsets = [np.zeros(len(peaks)), np.zeros(len(peaks))]
        padded = np.pad(values, 1, mode="edge")
        for axis in (0, 1) if on == "measure" else ():
            step = np.eye(2, dtype=np.int64)[axis]
            left = padded[tuple((peaks + 1 - step).T)]
            right = padded[tuple((peaks + 1 + step).T)]
            curve = left - 2 * strength + right
            with np.errstate(divide="ignore", invalid="ignore"):
                offset = np.where(curve < 0, (left - right) / (2 * curve), 0.0)
            offsets.append(np.clip(offset, -0.5, 0.5))
        table = np.stack([peaks[:, 0] + offsets[0], peaks[:, 1] + offsets[1],
                          diameter[peaks[:, 0], peaks[:, 1]]], axis=1)
        if deblend:
            heights = (np.asarray(self.peak_height, np.float64) * settings.span
                       if on == "peaks" else np.asarray(self.height, np.float64))
            heights = heights[peaks[:, 0], peaks[:, 1]]
            table[:, 2] = _deblended_diameters(table, peaks, heights, settings,
                                               "peak_diameter" if on == "peaks" else "diameter")
        order = np.argsort(-strength, kind="stable")
        return (table[order], strength[order]) if with_strength else table[order]


def _resolve_peaks(height, diameter, scale, threshold):
    """(n, 2) pixels of the blobs that the peaks above ``threshold`` resolve into (see
    :meth:`BlobResult.detect`)."""
    where = np.argwhere(height > threshold)
    if len(where) == 0:
        return where.astype(np.int64)
    value = height[where[:, 0], where[:, 1]]
    radius = 0.5 * diameter[where[:, 0], where[:, 1]]
    level = scale[where[:, 0], where[:, 1]].astype(np.int64)
    order = np.lexsort((-value, -level))           # finest scale first, highest first
    where, value, radius, level = where[order], value[order], radius[order], level[order]
    reach = np.maximum(SPLIT_REACH, SAME_SCALE_REACH) * radius
    tree = spatial.cKDTree(where)
    kept = np.zeros(len(where), bool)
    for i in range(len(where)):
        near = np.asarray(tree.query_ball_point(where[i], reach[i]), dtype=np.int64)
        near = near[kept[near]]
        if near.size:
            distance = np.hypot(*(where[near] - where[i]).T)
            if np.any((level[near] == level[i]) & (distance < SAME_SCALE_REACH * radius[i])):
                continue
            inside = near[(level[near] > level[i]) & (distance < SPLIT_REACH * radius[i])]
            if np.count_nonzero(value[inside] >= SPLIT_SHARE * value[i]) >= 2:
                continue
            kept[inside] = False
        kept[i] = True
    return where[kept]



@dataclass(frozen=True)
class _BlobSettings:
    """How a :class:`BlobResult` was measured, for :meth:`BlobResult.detect` to measure a
    picture of its blobs the same way: the options of :func:`shearfeat.blobs`, the
    minimal contrast in intensity units and the image's range."""

    options: dict
    min_contrast: float
    span: float
    shape: tuple
    dtype: np.dtype


def _render_disks(shape, centres, diameters, heights, dtype):
    """(M, N) zero background with a disk of each height, diameter and (row, col) centre
    added, each pixel covered by the share of its 4 x 4 sub-pixels inside the disk."""
    image = np.zeros(shape, np.float64)
    sub = (np.arange(4) + 0.5) / 4 - 0.5
    for (row, col), diameter, height in zip(centres, diameters, heights):
        radius = 0.5 * diameter
        r0 = max(0, int(np.floor(row - radius - 1)))
        r1 = min(shape[0], int(np.ceil(row + radius + 2)))
        c0 = max(0, int(np.floor(col - radius - 1)))
        c1 = min(shape[1], int(np.ceil(col + radius + 2)))
        if r0 >= r1 or c0 >= c1:
            continue
        rr = (np.arange(r0, r1)[:, None] + sub[None, :] - row) ** 2        # (rows, 4)
        cc = (np.arange(c0, c1)[:, None] + sub[None, :] - col) ** 2        # (cols, 4)
        inside = rr[:, None, :, None] + cc[None, :, None, :] <= radius ** 2
        image[r0:r1, c0:c1] += height * inside.mean(axis=(2, 3))
    return image.astype(dtype)


def _deblended_diameters(table, peaks, heights, settings, field):
    """The diameters of ``table`` (n, 3) corrected for the neighbours (see
    :meth:`BlobResult.detect`): ``d <- found * d / fitted(d)``, where ``fitted`` is the
    diameter that the measure gives at each blob's pixel ``peaks`` (n, 2) in a picture of
    disks of diameters ``d`` and ``heights`` (intensity units); read at the best of the
    pixel's 3 x 3 neighbours where the picture's peak moved by one."""
    found = table[:, 2].copy()
    estimate = found.copy()
    valid = found > 0
    for _ in range(DEBLEND_ROUNDS):
        picture = _render_disks(settings.shape, table[:, :2], estimate, heights,
                                settings.dtype)
        again = blobs(picture, min_contrast=settings.min_contrast, **settings.options)
        fitted = _fitted_at(np.asarray(getattr(again, field), np.float64),
                            np.abs(np.asarray(again.peak_height if field == "peak_diameter"
                                              else again.measure, np.float64)), peaks)
        ok = valid & (fitted > 0)
        ratio = np.ones_like(estimate)
        ratio[ok] = np.clip(found[ok] / fitted[ok], 1.0 / DEBLEND_LIMIT, DEBLEND_LIMIT)
        estimate = np.where(ok, estimate * ratio, estimate)
        estimate = np.clip(estimate, found / DEBLEND_LIMIT, found * DEBLEND_LIMIT)
    return estimate


def _fitted_at(diameter, score, peaks):
    """(n,) ``diameter`` at each pixel of ``peaks`` (n, 2), or where it is 0 there, at the
    neighbour (of 3 x 3) with the largest ``score`` and a diameter; 0 if none has one."""
    rows, cols = diameter.shape
    out = diameter[peaks[:, 0], peaks[:, 1]].copy()
    for i in np.flatnonzero(~(out > 0)):
        r, c = peaks[i]
        window = np.s_[max(0, r - 1):min(rows, r + 2), max(0, c - 1):min(cols, c + 2)]
        near = np.where(diameter[window] > 0, score[window], -np.inf)
        if np.isfinite(near.max()):
            out[i] = diameter[window].flat[int(near.argmax())]
    return out


def blobs(image, *, min_diameter=None, max_diameter=None, polarity="bright",
          min_contrast=None, mode="reflect", preset="default", as_gray=False, mask=None,
          mask_margin=0, threads=None, **params) -> BlobResult:
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
    mask : (M, N) array_like of bool, or "auto", optional
        Field of view: True inside; ``"auto"``: the image's :func:`field_of_view` (for
        an aperture with a dark surround).  The image is filled beyond it first
        (:func:`fill_outside`), so that its border reads as no blob, and every map is
        0 (``peak_scale`` -1) outside it: :meth:`BlobResult.detect` finds the blobs
        whose centres lie inside.
    mask_margin : int
        Pixels taken off the inside of ``mask`` before the filling (for masks that take in
        a rim or some of the surround; see :func:`fill_outside`).
    threads : int, optional
        Threads for the FFTs and the kernels; default ``$SHEARFEAT_NUM_THREADS`` or all
        cores.  Results do not depend on it.
    **params
        ``scales_per_octave`` (2) and ``rotations`` (4) of the blob system.

    Returns
    -------
    BlobResult
        ``measure``, ``diameter`` and ``height``, and the space-scale peaks
        ``peak_height``, ``peak_diameter`` and ``peak_scale``; float32 for any input
        except float64, which stays float64.  ``result.detect()`` lists the blobs.

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

    The peaks are what :meth:`BlobResult.detect` uses, because they hold in crowds.  At
    each scale the even responses are averaged over the rotations (about a rotation
    invariant Mexican hat: it answers a disk from its own scale, not its neighbours' at
    every rotation, as the measure's minimum over rotations does).  A pixel is a peak
    at the coarsest scale where this response, with the blob's sign, is larger than
    ``min_contrast``, at least that of its 8 neighbours and of the next finer scale,
    while the next coarser one has the same sign; and where it passes tests of shape:
    Lowe's edge test on its Hessian (ratio of curvatures below 3: a line or an edge is
    flat along itself), odd answers below 2 (same scale) and 2.5 (an octave coarser)
    times the even one (a disk's centre is symmetric, an edge's or a corner's side is
    not), and no rotation answering with the opposite sign by more than a quarter of the
    mean.  The
    peak's height is that of the disk that gives this response, over the image's
    range; its diameter comes from a parabola over the scales, calibrated on disks as
    the measure's.  Disks packed 1.25 diameters apart (centre to centre) are each
    found; the map's diameters there are 10-17 % small (their neighbours sit in the
    molecule's negative surround), and :meth:`BlobResult.detect` corrects them to within
    10 % (its ``deblend``).  Touching disks are not all found yet.

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
    (True, 16)
    """
    image, inside = masked_input(as_image(image, as_gray=as_gray), mask, mask_margin)
    maps = blob_maps(image[None], min_diameter=min_diameter, max_diameter=max_diameter,
                     min_contrast=min_contrast, polarity=polarity, mode=mode, preset=preset,
                     threads=resolve_threads(threads), params=params)
    result = BlobResult(*outside_cleared(BlobResult, (m[0] for m in maps), inside))
    # how it was measured, for detect() to measure a picture of its blobs the same way
    span = float(references(image[None], None)[0])
    object.__setattr__(result, "_settings", _BlobSettings(
        options=dict(params, min_diameter=min_diameter, max_diameter=max_diameter,
                     polarity=polarity, mode=mode, preset=preset, threads=threads),
        min_contrast=float(BLOB_MIN_CONTRAST * span if min_contrast is None else min_contrast),
        span=span, shape=image.shape, dtype=image.dtype))
    return result


def blob_maps(block, *, min_diameter, max_diameter, min_contrast, polarity, mode, preset,
              threads, params, core=None, reference=None):
    """The six blob maps of a (B, M, N) block of images (the fields of
    :class:`BlobResult`), each (B, M, N); ``core``: the part of each image that is kept
    (see ``_tiles.measure_block``); ``reference``: the intensity range the peak heights
    are relative to (default: each image's own)."""
    keep = polarity_sign(polarity)
    params = dict(params, min_diameter=min_diameter, max_diameter=max_diameter)
    system, tiling = _tiles.prepare(block.shape[1:], "blob", preset=preset, mode=mode,
                                    dtype=block.dtype, params=params)
    maps, divisors, flat = _tiles.measure_block(
        system, tiling, block, min_contrast, BLOB_MIN_CONTRAST,
        lambda s, w, beta, t, part: _blob_maps(s, w, beta, keep, t, part), 6, threads,
        core)
    measure, diameter, height, peak_height, peak_diameter, peak_scale = maps
    height *= divisors[:, None, None].astype(height.dtype)
    with np.errstate(over="ignore", under="ignore"):
        ratio = divisors / references(block, reference)
    peak_height *= ratio[:, None, None].astype(peak_height.dtype)
    for array in maps:
        array[flat] = 0.0
    peak_scale[flat] = -1.0
    return tuple(maps)


def _blob_maps(system, work, beta, keep, threads, core=None):
    """The six blob maps of one normalised (M, N) image or a (B, M, N) block (of a
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
    stack, odd_max, mean, *outputs = workspace(
        "blobs", [(n_rows, J, system.n_orientations // 2, cols)] + [(n_rows, J, cols)] * 2
        + [shape] * 6, [dtype] * 9)
    measure, diameter, height, peak_height, peak_diameter, peak_scale = outputs
    # One pixel around the kept part: the peaks compare each pixel with its neighbours.
    active, c0, c1 = active_region(system, count or 1, margin=1, core=core)

    def fold(s, coeffs, state):        # every scale writes its own slices: nothing to merge
        _kernels.blob_update(coeffs, s, stack, odd_max, mean, active, c0, c1, 0, n_rows)

    stream(system, work, threads, fold)
    run_rows(_kernels.blob_finish, n_rows, threads, stack, odd_max, response, delta0,
             float(TABLE_STEPS), cal_p, cal_u, float(beta), float(spo),
             float(system.blob_diameters[0]), keep, measure, diameter, height, active, c0,
             c1)
    run_rows(_kernels.blob_peaks, n_rows, threads, stack, mean, odd_max, cal_p, cal_u,
             float(response.max()), float(beta), float(spo),
             float(system.blob_diameters[0]), keep, PEAK_ODD_RATIO, PEAK_PARTNER_RATIO,
             PEAK_EDGE_RATIO, PEAK_OPPOSITE_SHARE, period,
             peak_height, peak_diameter, peak_scale, active, c0, c1)
    return tuple(crop_block(system, a, count) for a in outputs)
