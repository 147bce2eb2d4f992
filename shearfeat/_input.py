"""Validation and conversion of user input at the public boundary."""

from __future__ import annotations

import numbers
import os

import numpy as np

from . import _env

# ITU-R BT.709 luma weights, as skimage.color.rgb2gray uses.
_LUMA = np.array([0.2125, 0.7154, 0.0721])
MIN_SIZE = 3


def as_image(image, *, as_gray: bool = False, name: str = "image") -> np.ndarray:
    """Check an image and return it as a C-contiguous float32 or float64 2-D array.

    float64 stays float64; every other real type (bool, integers, float16, float32)
    becomes float32, RGB(A) images included.  RGB(A) images are converted to luminance
    (ITU-R BT.709 weights, alpha ignored) only when ``as_gray`` is true.  A masked array
    is accepted when nothing in it is masked.

    Raises
    ------
    TypeError
        For objects that are not numeric arrays, complex images, and an ``as_gray``
        that is not a bool.
    ValueError
        For empty, 1-D or >3-D arrays, RGB without ``as_gray``, images smaller than
        3 x 3, images that contain NaN or infinity, and masked arrays with masked
        pixels.
    """
    if not isinstance(as_gray, (bool, np.bool_)):
        raise TypeError(f"as_gray must be True or False, got {as_gray!r}")
    if isinstance(image, np.ma.MaskedArray):
        masked = int(np.ma.count_masked(image))
        if masked:
            raise ValueError(f"{name} is a masked array with {masked} masked pixel(s); the "
                             "measures use every pixel: fill them first, e.g. "
                             f"{name}.filled({name}.mean())")
        image = image.data
    try:
        array = np.asarray(image)
    except Exception as exc:  # ragged nested sequences and the like
        raise TypeError(f"{name} must be a 2-D numeric array, could not convert "
                        f"{type(image).__name__}: {exc}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got complex dtype {array.dtype}; "
                        "pass image.real or np.abs(image)")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        if not as_gray:
            raise ValueError(
                f"{name} has shape {array.shape}, which looks like an RGB(A) image; "
                "pass as_gray=True to convert it to luminance")
        # Luminance in the type the result will have: float64 stays float64, the rest
        # become float32 (as for grey images).
        luma_type = np.float64 if array.dtype == np.float64 else np.float32
        rgb = array[..., :3]
        if not np.isfinite(rgb).all():
            raise ValueError(f"{name} contains NaN or infinite value(s); replace them "
                             "first (np.nan_to_num, or inpainting)")
        array = np.tensordot(rgb.astype(luma_type), _LUMA.astype(luma_type),
                             axes=([-1], [0]))
    elif array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, cols), got shape {array.shape}")
    if min(array.shape) < MIN_SIZE:
        raise ValueError(f"{name} must be at least {MIN_SIZE}x{MIN_SIZE} pixels, "
                         f"got shape {array.shape}")
    dtype = np.float64 if array.dtype == np.float64 else np.float32
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); replace "
                         "them first (np.nan_to_num, or inpainting)")
    return np.ascontiguousarray(array, dtype=dtype)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError naming it."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


POLARITIES = ("bright", "dark", "both")


def polarity_sign(polarity) -> int:
    """Validate ``polarity`` and return what the kernels keep: 1 bright, -1 dark, 0 both."""
    check_choice(polarity, "polarity", POLARITIES)
    return {"bright": 1, "dark": -1, "both": 0}[polarity]


def check_min_contrast(value, image_range: float) -> float | None:
    """Convert ``min_contrast`` to units of the image range (``None``: relative default)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"min_contrast must be None or a finite number >= 0, got {value!r}")
    return float(value) / image_range


def resolve_threads(threads) -> int:
    """Thread count: ``threads``, else ``$SHEARFEAT_NUM_THREADS``, else all cores."""
    if threads is None:
        return _env.num_threads() or os.cpu_count() or 1
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) \
            or not 1 <= threads <= _env.MAX_THREADS:
        raise ValueError(f"threads must be None or an integer from 1 to {_env.MAX_THREADS}, "
                         f"got {threads!r}")
    return int(threads)
