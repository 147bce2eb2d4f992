"""``extract()``: many images in, one feature stack out."""

from __future__ import annotations

import inspect
import numbers
import threading
from itertools import chain

import numpy as np

from . import _fft, _kernels
from ._fill import AUTO, check_margin, check_mask, field_of_view, fill_outside, is_auto
from ._input import as_image, check_choice, resolve_threads
from ._workers import executor
from ._system import MODES, cached_system
from .blobs import blob_maps, blobs
from .edges import edge_maps, edges
from .ridges import ridge_maps, ridges

#: Measure features and the channels each contributes, in order.
CHANNELS = {
    "edges": ("edges", "edges_cos2", "edges_sin2", "edges_strength"),
    "ridges": ("ridges", "ridges_cos2", "ridges_sin2", "ridges_width", "ridges_strength"),
    "blobs": ("blobs", "blobs_diameter"),
}
#: Keyword arguments each measure takes besides its system's parameters.
_OPTIONS = {"edges": {"min_contrast", "pivot_scales"},
            "ridges": {"min_contrast", "pivot_scales", "polarity"},
            "blobs": {"min_contrast", "polarity", "min_diameter", "max_diameter"}}


def _route(features, params):
    """Split ``params`` among the measures: each gets the ones it takes."""
    from dataclasses import fields

    from ._params import BlobParams, ShearletParams
    system = {"edges": ShearletParams, "ridges": ShearletParams, "blobs": BlobParams}
    routed = {}
    for feature in features:
        accepted = _OPTIONS[feature] | {f.name for f in fields(system[feature])}
        routed[feature] = {k: v for k, v in params.items() if k in accepted}
    unused = sorted(set(params) - set().union(*(routed[f] for f in features)))
    if unused:
        raise TypeError(f"parameter(s) {unused} are not taken by any of the features "
                        f"{features}")
    return routed
COEFFICIENTS = "coefficients"


def _check_features(features):
    if isinstance(features, str):
        features = (features,)
    try:
        features = tuple(features)
    except TypeError:
        raise TypeError(f"features must be {COEFFICIENTS!r} or a sequence of "
                        f"{tuple(CHANNELS)}, got {features!r}") from None
    valid = tuple(CHANNELS) + (COEFFICIENTS,)
    unknown = [f for f in features if f not in valid]
    if unknown or not features:
        raise ValueError(f"features must be {COEFFICIENTS!r} or a sequence of "
                         f"{tuple(CHANNELS)}; got {features!r} (valid names: {valid})")
    if COEFFICIENTS in features and len(features) > 1:
        raise ValueError(f"{COEFFICIENTS!r} cannot be combined with measure features, "
                         f"got {features!r}")
    if len(set(features)) != len(features):
        raise ValueError(f"features must not repeat, got {features!r}")
    return features


def feature_names(features=("edges", "ridges")) -> tuple:
    """Names of the channels :func:`extract` returns for ``features``, in order.

    ``NAME`` is the measure in [0, 1]; ``NAME_cos2`` and ``NAME_sin2`` are
    ``cos(2 theta)`` and ``sin(2 theta)`` of the tangent angle (continuous across
    0/180 degrees; 0 where the angle is undefined: for ridges where the measure is 0,
    for edges where the strength is); ``ridges_width`` and ``blobs_diameter``
    are in pixels (0 where the measure is 0); ``NAME_strength`` is the result's
    contrast-aware ``strength`` in [0, 1] (the ridges' covers each ridge's width).

    >>> feature_names(("edges",))
    ('edges', 'edges_cos2', 'edges_sin2', 'edges_strength')
    """
    features = _check_features(features)
    if features == (COEFFICIENTS,):
        raise ValueError("coefficient channels are the system's filters; see "
                         "ShearletSystem.angles and .scales")
    return tuple(chain.from_iterable(CHANNELS[f] for f in features))


def _as_batch(images, as_gray=False):
    """A (B, M, N) float array from an array or an iterable of same-shaped images.

    With ``as_gray``, a 4-D array is a stack of RGB(A) images, a 3-D array whose last
    axis has 3 or 4 entries is one RGB(A) image, and each image of an iterable may be
    grey or RGB(A)."""
    if not isinstance(as_gray, (bool, np.bool_)):
        raise TypeError(f"as_gray must be True or False, got {as_gray!r}")
    if as_gray and isinstance(images, np.ndarray) and (
            images.ndim == 4 or (images.ndim == 3 and images.shape[-1] in (3, 4))):
        images = list(images) if images.ndim == 4 else [images]
    if isinstance(images, np.ndarray):
        if images.ndim == 2:
            return as_image(images)[None]
        if images.ndim == 3:
            if images.shape[0] == 0:
                raise ValueError("images is empty (shape {})".format(images.shape))
            # The checks of as_image, once for the whole block: the first image carries
            # the type checks, the finiteness check covers all of them.
            first = as_image(images[0], name="images[0]")
            block = np.ascontiguousarray(images, dtype=first.dtype)
            if not np.isfinite(block).all():
                bad = int(np.argmin(np.isfinite(block).all(axis=(1, 2))))
                as_image(images[bad], name=f"images[{bad}]")      # raises, naming it
            return block
        raise ValueError(f"images must be (M, N), (B, M, N) or a sequence of (M, N) "
                         f"images, got an array of shape {images.shape}")
    try:
        iterator = iter(images)
    except TypeError:
        raise TypeError(f"images must be an array or an iterable of images, got "
                        f"{type(images).__name__}") from None
    batch, shape = [], None
    for i, image in enumerate(iterator):
        image = as_image(image, as_gray=as_gray, name=f"images[{i}]")
        if shape is None:
            shape = image.shape
        elif image.shape != shape:
            raise ValueError(f"images[0] has shape {shape} but images[{i}] has shape "
                             f"{image.shape}; extract needs one shape per call: group the "
                             "images by shape (or resize them)")
        batch.append(image)
    if not batch:
        raise ValueError("images is empty")
    dtype = np.result_type(*[b.dtype for b in batch])
    return np.stack(batch).astype(dtype, copy=False)


def extract(images, *, features=("edges", "ridges"), preset="default", mode="reflect",
            kind="edge", as_gray=False, mask=None, mask_margin=0, batch_size=None,
            threads=None, out=None, **params) -> np.ndarray:
    """Feature stacks of many images of one shape, for pipelines.

    Parameters
    ----------
    images : (M, N) or (B, M, N) array_like, or iterable of (M, N) arrays
        Grey-level images of one shape (an iterator is consumed once).
    features : sequence of {"edges", "ridges", "blobs"}, or "coefficients"
        Measure channels (see :func:`feature_names`), or the raw complex coefficients.
    preset : {"default", "coshrem", "small"}
        Parameter set of the shearlet system (``"small"`` is CoShNet's 20-filter bank).
    mode : {"reflect", "periodic"}
        Border handling.
    kind : {"edge", "ridge", "blob"}
        For ``"coefficients"``: which system's filters (the measures choose their own).
    as_gray : bool
        Convert RGB(A) images to luminance instead of rejecting them: each image of an
        iterable, every image of a (B, M, N, 3 or 4) array, or a single (M, N, 3 or 4)
        array (which then counts as one image, not as a stack of three).
    mask : (M, N) or (B, M, N) array_like of bool, or "auto", optional
        For measure features: the field of view (True inside) of every image, or of
        each; ``"auto"``: each image's own :func:`field_of_view` (for a dark surround).
        Each image is filled beyond it first (:func:`fill_outside`), so that its border
        reads as no feature, and every channel is 0 outside it.
    mask_margin : int
        Pixels taken off the inside of the mask before the filling (see
        :func:`fill_outside`).
    batch_size : int, optional
        For ``"coefficients"``, images transformed together (default: the largest power
        of two whose coefficients fit in 4 MiB; what is left over runs in blocks of
        decreasing powers of two, so that every block fills its FFT plan); for measures,
        images per step (default 1024), which share one FFT plan and one call of each
        kernel in blocks of about 32 MiB of work memory.  Results do not depend on it
        beyond float rounding.
    threads : int, optional
        Threads; default ``$SHEARFEAT_NUM_THREADS`` or all cores.  Results do not
        depend on it.
    out : ndarray, optional
        Where to write the result: a C-contiguous array of the shape and dtype that would
        be returned, e.g. the result of the previous mini-batch.  Writing into memory
        that is already mapped saves the page faults of a fresh array: for results
        larger than the C library reuses (32 MiB with glibc), about half the time of
        the FFTs for 32 x 32 images.
    **params
        Keyword arguments of the measures (``min_contrast``, ``polarity``,
        ``max_diameter``, ...) and overrides of the preset's parameters; each measure
        gets those it takes.  For ``"coefficients"``, overrides of the system's
        parameters.

    Returns
    -------
    (B, C, M, N) float32 ndarray
        For measure features, channels in the order of :func:`feature_names`.
    (B, K, M, N) complex64 ndarray
        For ``"coefficients"``: ``out[b] == ShearletSystem(...).transform(images[b])``.

    Examples
    --------
    >>> import numpy as np, shearfeat as sf
    >>> batch = np.random.default_rng(0).random((4, 32, 32))
    >>> sf.extract(batch, features=("edges",)).shape
    (4, 4, 32, 32)
    >>> sf.extract(batch, features="coefficients", preset="small").shape
    (4, 20, 32, 32)
    """
    features = _check_features(features)
    check_choice(mode, "mode", MODES)
    check_choice(kind, "kind", ("edge", "ridge", "blob"))
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, numbers.Integral) or batch_size < 1):
        raise ValueError(f"batch_size must be None or a positive integer, got {batch_size!r}")
    threads = resolve_threads(threads)
    if features == (COEFFICIENTS,):
        if mask is not None:
            raise ValueError("mask applies to measure features; for coefficients, fill the "
                             "images first (shearfeat.fill_outside)")
        return _coefficients(_as_batch(images, as_gray), kind, preset, mode, batch_size, threads,
                             params, out)
    routed = _route(features, params)
    batch = _as_batch(images, as_gray)
    count = batch.shape[0]
    inside = _masks(mask, mask_margin, batch.shape)
    out = _output(out, (count, len(feature_names(features))) + batch.shape[1:], np.float32)
    step = batch_size or MEASURE_BATCH
    for start in range(0, count, step):
        part = batch[start:start + step]
        if inside is not None:
            fields = (np.stack([field_of_view(image) for image in part]) if inside is AUTO
                      else inside[np.minimum(np.arange(start, start + part.shape[0]),
                                             len(inside) - 1)])
            part = np.stack([fill_outside(image, field, margin=mask_margin)
                             for image, field in zip(part, fields)])
        channel = 0
        for feature in features:
            _fill(out[start:start + part.shape[0]], channel, feature,
                  _maps(feature, part, preset, mode, threads, routed[feature]))
            channel += len(CHANNELS[feature])
        if inside is not None:
            for i, field in enumerate(fields, start):
                out[i][:, ~field] = 0.0
    return out


def _masks(mask, margin, shape):
    """(1 or B, M, N) boolean fields of view for a batch of ``shape`` (B, M, N), with
    ``margin`` checked; :data:`AUTO` to estimate each; None without a mask."""
    margin = check_margin(margin, "mask_margin")
    if mask is None:
        if margin:
            raise ValueError(f"mask_margin={margin} needs a mask")
        return None
    if is_auto(mask):
        return AUTO
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[0] not in (1, shape[0]):
        raise ValueError(f"mask holds {mask.shape[0]} fields of view for {shape[0]} images; "
                         "pass one (M, N) mask for all of them, or one per image")
    if mask.ndim == 3:
        return check_mask(mask, (mask.shape[0],) + tuple(shape[1:]))
    return check_mask(mask, shape[1:])[None]


#: Images per step of a measure :func:`extract` (bounds the per-map intermediates).
MEASURE_BATCH = 1024
_BLOCK_MAPS = {"edges": edge_maps, "ridges": ridge_maps, "blobs": blob_maps}
_PUBLIC = {"edges": edges, "ridges": ridges, "blobs": blobs}


def _maps(feature, block, preset, mode, threads, kwargs):
    """The maps of one measure for a block of images: the public function's defaults,
    overridden by ``kwargs``; the rest of ``kwargs`` are system parameters."""
    options = {name: parameter.default for name, parameter in
               inspect.signature(_PUBLIC[feature]).parameters.items()
               if name in _OPTIONS[feature]}
    options.update((k, v) for k, v in kwargs.items() if k in _OPTIONS[feature])
    params = {k: v for k, v in kwargs.items() if k not in _OPTIONS[feature]}
    return _BLOCK_MAPS[feature](block, preset=preset, mode=mode, threads=threads,
                                params=params, **options)


def _fill(out, channel, feature, maps):
    """Write one measure's maps into its channels of ``out`` (B, C, M, N)."""
    out[:, channel] = maps[0]
    if feature == "blobs":
        out[:, channel + 1] = maps[1]
        return
    angle = np.radians(2.0 * maps[1].astype(np.float64))
    out[:, channel + 1] = np.nan_to_num(np.cos(angle))
    out[:, channel + 2] = np.nan_to_num(np.sin(angle))
    if feature == "edges":
        out[:, channel + 3] = maps[2]
    else:
        out[:, channel + 3] = maps[2]                   # width
        out[:, channel + 4] = maps[4]                   # strength


def _output(out, shape, dtype):
    """``out`` checked against the result's shape and dtype, or a new aligned array."""
    if out is None:
        return _fft.empty_aligned(shape, dtype)
    if not isinstance(out, np.ndarray) or out.shape != tuple(shape) or \
            out.dtype != np.dtype(dtype) or not out.flags.c_contiguous or \
            not out.flags.writeable:
        described = (f"a {out.dtype} array of shape {out.shape}"
                     if isinstance(out, np.ndarray) else type(out).__name__)
        raise ValueError(f"out must be a writeable C-contiguous {np.dtype(dtype)} array of "
                         f"shape {tuple(shape)}, got {described}")
    return out


def _coefficients(batch, kind, preset, mode, batch_size, threads, params, out):
    """Batched plain transform: per block of images, one forward FFT plan, one fused
    multiply by all filters, one batched inverse FFT of every (image, filter) pair.
    Workers (the calling thread and pool threads, one FFTW thread each) take the blocks
    one at a time, largest first, each with its own plans."""
    count = batch.shape[0]
    system = cached_system(batch.shape[1:], kind, preset=preset, mode=mode,
                           dtype=batch.dtype, **params)
    rows, cols = system.transform_shape
    if batch_size is None:
        per_image = system.n_filters * rows * cols * system.complex_dtype.itemsize
        batch_size = 1 << max(0, (COEFFICIENT_BLOCK_BYTES // per_image).bit_length() - 1)
    blocks = block_layout(count, batch_size)
    workers = min(threads, len(blocks))
    out = _output(out, (count, system.n_filters) + system.shape, system.complex_dtype)
    pending, lock = iter(blocks), threading.Lock()

    def next_block():
        with lock:
            return next(pending, None)
    fftw_threads = threads if workers == 1 else 1
    futures = [executor().submit(_coefficient_blocks, system, batch, out, next_block, 1)
               for _ in range(workers - 1)]
    try:
        _coefficient_blocks(system, batch, out, next_block, fftw_threads)
    finally:
        for future in futures:
            future.result()
    return out


def block_layout(count, size):
    """Blocks ``(start, length)`` covering ``count`` images: as many of ``size`` as fit,
    then the rest in blocks of decreasing powers of two.  Every block fills the plan of
    its length (a short last block in a full-size plan wasted up to half a block's FFTs
    per call), and a call plans at most ``log2(size) + 2`` block lengths.

    >>> block_layout(45, 16)
    [(0, 16), (16, 16), (32, 8), (40, 4), (44, 1)]
    """
    full = count // size * size
    blocks = [(start, size) for start in range(0, full, size)]
    start, rest = full, count - full
    while rest:
        length = 1 << (rest.bit_length() - 1)
        blocks.append((start, length))
        start, rest = start + length, rest - length
    return blocks


def _coefficient_blocks(system, batch, out, next_block, threads):
    """Fill ``out`` for the blocks ``next_block()`` hands out until it returns None (the
    calling thread's plans; ``threads`` FFTW threads)."""
    n_filters = system.n_filters
    rows, cols = system.transform_shape
    periodic = system.mode == "periodic"
    while (block := next_block()) is not None:
        start, b = block
        plans = _fft.get_plans(system.transform_shape, b * n_filters,
                               system.complex_dtype, threads, images=b)
        chunk = batch[start:start + b]
        # The filters are zero at DC: centring changes no coefficient, but keeps the
        # images' means from costing float32 precision in the FFTs.
        mean = chunk.mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(chunk.dtype)
        if periodic:                                  # one pass into the FFT input
            np.subtract(chunk, mean, out=plans.image)
        else:
            plans.image[...] = system.pad(chunk - mean)
        plans.forward()
        _kernels.multiply_filters(plans.spectrum.reshape(b * rows, cols), system.filters,
                                  plans.products.reshape(b, n_filters, rows, cols), 0,
                                  b * rows)
        target = out[start:start + b]
        if periodic and _fft.is_aligned(target):     # the inverse FFT writes the result
            plans.inverse(target.reshape(b * n_filters, rows, cols))
        else:
            target[...] = system.crop(plans.inverse().reshape(b, n_filters, rows, cols))


#: Coefficients of one block of images in :func:`extract` (the FFT buffers hold two).
COEFFICIENT_BLOCK_BYTES = 4 * 2 ** 20
