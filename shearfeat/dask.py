"""Dask: the measures on 2-D images of any size, and feature stacks of collections, on
the threaded scheduler or a ``distributed`` cluster.

Install it with ``pip install 'shearfeat[dask]'``; ``import shearfeat`` never imports
Dask.

* :func:`edges`, :func:`ridges` and :func:`blobs` take a 2-D ``dask.array`` and return the
  same result dataclasses as the in-memory functions, holding lazy dask arrays.  Each
  chunk is measured with a margin around it, the same one the in-memory tiling uses
  (:func:`shearfeat._plan.margin`), read from its neighbours or reflected at the image's
  borders; the results equal the in-memory call on the same image to the tiling
  tolerance (a few 1e-3 of the measure, where near ties between orientations flip).
* :func:`extract` takes a (B, M, N) dask array chunked along B and returns a lazy
  (B, C, M, N) stack, one task per chunk, exactly equal to :func:`shearfeat.extract`.

What the tasks carry is the image chunk and plain parameters; filter banks and FFT plans
are built in each worker process (and cached there), never pickled.  Every task runs
on one thread (``threads=1``): a worker with T threads runs T tasks at once, so a node
is never oversubscribed.  The default ``min_contrast`` is relative to the intensity
range of the *whole* image, which costs one pass over it (a min and a max) before the
graph is built.
"""

from __future__ import annotations

import inspect

from dataclasses import asdict

import numpy as np

try:
    import dask.array as da
except ImportError as exc:                       # pragma: no cover - needs a bare install
    raise ImportError("shearfeat.dask needs Dask, which is not installed: "
                      "pip install 'shearfeat[dask]'") from exc

from . import _plan
from ._filters import fast_length
from ._input import check_choice, polarity_sign
from ._params import resolve_params
from ._strength import (RANGE_BOX, box_mean, boxed_span, brightness_reach,
                        surround_suppressed)
from .blobs import BLOB_MIN_CONTRAST, BlobResult, blob_maps
from .edges import (EDGE_BRIGHTNESS_WIDTH, EDGE_MIN_CONTRAST, EDGE_SURROUND_WEIGHT,
                    EDGE_SURROUND_WIDTH, EdgeResult, edge_maps)
from .extract import _check_features, feature_names
from .extract import extract as _extract
from .ridges import RIDGE_BRIGHTNESS_WIDTH, RIDGE_MIN_CONTRAST, RidgeResult, ridge_maps

__all__ = ["blobs", "edges", "extract", "ridges"]

_MEASURES = {
    "edge": (edge_maps, EdgeResult, EDGE_MIN_CONTRAST, {"pivot_scales": "all"}),
    "ridge": (ridge_maps, RidgeResult, RIDGE_MIN_CONTRAST,
              {"pivot_scales": "all", "polarity": "bright"}),
    "blob": (blob_maps, BlobResult, BLOB_MIN_CONTRAST, {"polarity": "bright"}),
}
#: Pixels the strength's local brightness reads around each pixel, per measure.
_BRIGHTNESS_REACH = {"edge": brightness_reach(EDGE_BRIGHTNESS_WIDTH),
                     "ridge": brightness_reach(RIDGE_BRIGHTNESS_WIDTH), "blob": 0}
#: Pixels the edge strength's surround suppression reads around each pixel (of strength).
_SURROUND_REACH = brightness_reach(EDGE_SURROUND_WIDTH)


def _suppressed(strength):
    """The surround suppression of one overlapped chunk of edge strength (see
    :func:`shearfeat._strength.surround_suppressed`)."""
    return surround_suppressed(np.array(strength)[None], EDGE_SURROUND_WIDTH,
                               EDGE_SURROUND_WEIGHT, "reflect")[0]


def _as_dask_image(image, name="image"):
    if not isinstance(image, da.Array):
        raise TypeError(f"{name} must be a dask array (dask.array.from_array, from_zarr, "
                        f"...), got {type(image).__name__}; for NumPy arrays use "
                        "shearfeat's in-memory functions")
    if image.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (rows, cols) dask array, got "
                         f"{image.ndim} dimensions (shape {image.shape})")
    if not (np.issubdtype(image.dtype, np.number) or image.dtype == bool) \
            or np.issubdtype(image.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {image.dtype}")
    if min(image.shape) < 3:
        raise ValueError(f"{name} must be at least 3x3 pixels, got shape {image.shape}")
    dtype = np.float64 if image.dtype == np.float64 else np.float32
    return image.astype(dtype)


def _chunk_maps(window, *, width, kind, options, params, min_contrast):
    """The maps of the core of one overlapped chunk: the window is padded on its far
    sides to an FFT-friendly shape (reflecting, as at an image border), transformed
    periodically, measured on its core only, and its margin cut off."""
    maps = _MEASURES[kind][0]
    if kind == "blob":                   # blob_maps takes the diameters by name
        params = dict(params)
        options = dict(options, min_diameter=params.pop("min_diameter"),
                       max_diameter=params.pop("max_diameter"))
    rows, cols = window.shape
    grown = np.pad(window, ((0, fast_length(rows) - rows), (0, fast_length(cols) - cols)),
                   mode="symmetric")
    core = (width, rows - width), (width, cols - width)     # the rest is cut off below
    out = maps(np.ascontiguousarray(grown)[None], min_contrast=min_contrast, mode="periodic",
               preset="default", threads=1, params=params, core=core, **options)
    return np.stack([m[0, width:rows - width, width:cols - width] for m in out])


def _measure(kind, image, *, min_contrast, mode, preset, params, options):
    image = _as_dask_image(image)
    check_choice(mode, "mode", ("reflect",))      # periodic borders need the whole image
    if {"mask", "mask_margin"} & set(params):
        raise TypeError("shearfeat.dask takes no mask: filling beyond one spreads across "
                        "chunks; fill the image first (shearfeat.fill_outside) and clear "
                        "the maps outside it (dask.array.where)")
    maps, result_type, default, defaults = _MEASURES[kind]
    resolved = resolve_params(image.shape, kind, preset, **params)
    # the filters' margin, or the strength's brightness where that reads further
    width = max(_plan.margin(resolved, kind), _BRIGHTNESS_REACH[kind])
    # (and the edge strength's surround suppression, a second overlap of the strength)
    needed = max(width, _SURROUND_REACH) if kind == "edge" else width
    smallest = min(min(c) for c in image.chunks)
    if smallest < needed:
        raise ValueError(
            f"image has chunks of {smallest} pixels, smaller than the {needed}-pixel margin "
            f"the {kind} measure reads around each; rechunk it to at least "
            f"{needed} pixels a side (image.rechunk({max(needed, 512)}), say)")
    # min_contrast and strength are relative to the whole image, as in memory
    low, high = da.compute(image.min(), image.max())
    span = float(high - low)
    if min_contrast is None:
        min_contrast = default * span
    if kind == "edge":           # the edge strength reads the range through a small box
        smooth = image.map_overlap(box_mean, depth=RANGE_BOX // 2, boundary="reflect",
                                   dtype=np.float64, meta=np.empty((0, 0), np.float64))
        box_low, box_high = da.compute(smooth.min(), smooth.max())
        span = float(boxed_span(box_low, box_high, low, high))
    if "reference" in inspect.signature(maps).parameters:     # strength, peak heights
        options = dict(options, reference=span if span > 0 else None)
    if "low" in inspect.signature(maps).parameters:           # the strength's brightness
        options = dict(options, low=float(low))
    if kind == "edge":                  # suppressed below, once the neighbours are known
        options = dict(options, surround=False)
    window = da.overlap.overlap(image, depth={0: width, 1: width},
                                boundary={0: "reflect", 1: "reflect"}, allow_rechunk=False)
    n_maps = len(result_type.__dataclass_fields__)
    stacked = window.map_blocks(
        _chunk_maps, width=width, kind=kind, options={**defaults, **options},
        params=asdict(resolved), min_contrast=min_contrast, dtype=image.dtype,
        meta=np.empty((0, 0, 0), image.dtype),   # no call on empty arrays to find it
        chunks=((n_maps,),) + image.chunks, new_axis=0, name=f"shearfeat-{kind}s")
    maps = [stacked[i] for i in range(n_maps)]
    if kind == "edge":
        maps[2] = maps[2].map_overlap(_suppressed, depth=_SURROUND_REACH, boundary="reflect",
                                      dtype=image.dtype, meta=np.empty((0, 0), image.dtype))
    return result_type(*maps)


def edges(image, *, min_contrast=None, pivot_scales="lowest", mode="reflect",
          preset="default", **params) -> EdgeResult:
    """:func:`shearfeat.edges` of a 2-D dask array, chunk by chunk.

    Parameters
    ----------
    image : (M, N) dask.array.Array
        Chunks of at least the measure's margin (100 pixels for the default edges; the
        error says how much) on each side; 512 to 4096 pixels are good sizes.
    min_contrast, pivot_scales, preset, **params
        As for :func:`shearfeat.edges`.
    mode : {"reflect"}
        Borders are reflected (periodic borders would need the whole image at once).

    Returns
    -------
    EdgeResult
        Holding lazy (M, N) dask arrays chunked like ``image``.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> import shearfeat.dask
    >>> image = np.zeros((600, 600), np.float32)
    >>> image[:, 300:] = 1
    >>> e = shearfeat.dask.edges(da.from_array(image, chunks=300))
    >>> int(e.measure[100].argmax().compute())
    299
    """
    return _measure("edge", image, min_contrast=min_contrast, mode=mode, preset=preset,
                    params=params, options={"pivot_scales": pivot_scales})


def ridges(image, *, polarity="bright", min_contrast=None, pivot_scales="all",
           mode="reflect", preset="default", **params) -> RidgeResult:
    """:func:`shearfeat.ridges` of a 2-D dask array, chunk by chunk (see :func:`edges`)."""
    polarity_sign(polarity)
    return _measure("ridge", image, min_contrast=min_contrast, mode=mode, preset=preset,
                    params=params, options={"pivot_scales": pivot_scales,
                                            "polarity": polarity})


def blobs(image, *, min_diameter=None, max_diameter=None, polarity="bright",
          min_contrast=None, mode="reflect", preset="default", **params) -> BlobResult:
    """:func:`shearfeat.blobs` of a 2-D dask array, chunk by chunk (see :func:`edges`).
    ``BlobResult.detect`` computes the whole measure: call it on ``result`` after
    :func:`dask.compute`, or on a region of it."""
    polarity_sign(polarity)
    params = dict(params, min_diameter=min_diameter, max_diameter=max_diameter)
    return _measure("blob", image, min_contrast=min_contrast, mode=mode, preset=preset,
                    params={k: v for k, v in params.items() if v is not None},
                    options={"polarity": polarity})


def _extract_chunk(block, masks=None, **kwargs):
    if masks is not None:
        kwargs["mask"] = masks
    return _extract(block, threads=1, **kwargs)


def extract(images, *, features=("edges", "ridges"), **kwargs):
    """:func:`shearfeat.extract` of a (B, M, N) dask array, one task per chunk of images.

    Parameters
    ----------
    images : (B, M, N) dask.array.Array
        Chunked along B only (each chunk holds whole images).
    features, **kwargs
        As for :func:`shearfeat.extract` (``threads`` and ``out`` excepted: each task
        runs on one thread and makes its own block).  A ``mask`` of one field of view
        per image, (B, M, N) (in memory or dask), goes with the images' chunks.

    Returns
    -------
    (B, C, M, N) dask.array.Array
        float32 for measure features, channels named by
        :func:`shearfeat.feature_names`; complex for ``"coefficients"`` (K channels).
        Equal to the in-memory result.
    """
    if not isinstance(images, da.Array):
        raise TypeError(f"images must be a (B, M, N) dask array, got "
                        f"{type(images).__name__}")
    if images.ndim != 3:
        raise ValueError(f"images must be a (B, M, N) dask array, got {images.ndim} "
                         f"dimensions (shape {images.shape})")
    if len(images.chunks[1]) > 1 or len(images.chunks[2]) > 1:
        raise ValueError("images must be chunked along B only (whole images in each "
                         f"chunk), got chunks {images.chunksize}; use "
                         "images.rechunk({1: -1, 2: -1})")
    for name in ("threads", "out"):
        if name in kwargs:
            raise TypeError(f"shearfeat.dask.extract takes no {name!r}: each task runs "
                            "on one thread and makes its own block")
    features = _check_features(features)
    if features == ("coefficients",):
        # the channel count and dtype, from one image's worth of work on the client
        probe = _extract(np.zeros((1,) + images.shape[1:], np.float32), features=features,
                         threads=1, **kwargs)
        channels, dtype = probe.shape[1], probe.dtype
        if images.dtype == np.float64:
            dtype = np.complex128
    else:
        channels, dtype = len(feature_names(features)), np.float32
    arrays = (images,)
    mask = kwargs.get("mask")
    if mask is not None and not isinstance(mask, str) and np.ndim(mask) == 3:
        if tuple(mask.shape) != images.shape:
            raise ValueError(f"mask must hold one field of view per image, of shape "
                             f"{images.shape}, got {tuple(mask.shape)}")
        arrays += (da.asarray(kwargs.pop("mask")).rechunk(images.chunks),)
    return da.map_blocks(_extract_chunk, *arrays, features=features, **kwargs, dtype=dtype,
                         meta=np.empty((0, 0, 0, 0), dtype),
                         chunks=(images.chunks[0], (channels,)) + images.chunks[1:],
                         new_axis=1, name="shearfeat-extract")
