"""Reading image files as grey arrays, and writing the maps shearfeat makes.

Every image file reaches the measures through :func:`read_image`, which turns each kind
of pixel into one grey level through a library's own conversion, not by counting
channels: Pillow's for its modes (palette, CMYK, YCbCr, LAB, HSV, 1-bit), tifffile's
for TIFF (whose photometric tag says what the samples are, at any bit depth).  Colour
then becomes luminance with :func:`shearfeat._input.as_image`'s weights, the same as
``as_gray=True`` in the Python API; alpha is ignored.

What shearfeat writes carries a marker in its metadata (a PNG text chunk, the TIFF
Software tag), so that :func:`is_shearfeat_output` can tell our outputs from a
user's own file that happens to be named like one.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ._input import as_image

#: The metadata key (PNG) and Software prefix (TIFF) of the files shearfeat writes.
MARKER = "shearfeat"
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: Formats :func:`read_image` reads, for messages.
READABLE = "PNG, JPEG, TIFF, BMP, GIF, WebP, PNM"


def read_image(path) -> np.ndarray:
    """Read an image file as one grey (M, N) array.

    Grey images keep their type (uint8, uint16, int32, float32); colour images become
    float32 luminance (ITU-R BT.709, alpha ignored).  Multi-frame files give their first
    frame.  16-bit colour PNGs are read at 8 bits (Pillow's limit); 16-bit and float
    colour TIFFs keep their precision.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    (M, N) ndarray

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        When ``path`` is no file.
    ValueError
        When the file is empty, not an image, damaged, or of a kind this cannot turn
        into grey levels; the message says which.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError("no such file")
    if path.is_dir():
        raise IsADirectoryError("is a folder; pass image files")
    with open(path, "rb") as handle:
        head = handle.read(16)
    if not head:
        raise ValueError("is empty (0 bytes), not an image")
    if head[:4] in _TIFF_MAGIC:
        return _read_tiff(path)
    return _read_pillow(path, head)


_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF",
               b"BM": "BMP"}


def _describe(head):
    if head.startswith(b"\x93NUMPY"):
        return ("it is a NumPy array (.npy): load it with numpy.load and pass it to "
                "shearfeat's functions from Python")
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive (a NumPy .npz, perhaps), not an image"
    for signature, name in _SIGNATURES.items():
        if head.startswith(signature):
            return f"it starts like a {name} file, so it is damaged or truncated"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return f"it starts with the text {head.decode('ascii')!r}"
    return f"it starts with the bytes {head[:8].hex(' ')}"


def _read_pillow(path, head):
    from PIL import Image, UnidentifiedImageError
    try:
        with warnings.catch_warnings():       # e.g. decompression-bomb warnings: see below
            warnings.simplefilter("ignore")
            image = Image.open(path)
    except UnidentifiedImageError:
        raise ValueError(f"is not an image file shearfeat can read ({READABLE}); "
                         f"{_describe(head)}") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read as an image ({exc})") from None
    with image:
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise ValueError(f"refused: {exc}") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ValueError(f"damaged or truncated image ({exc})") from None
        return _grey_from_pillow(image)


def _grey_from_pillow(image) -> np.ndarray:
    mode = image.mode
    if mode in ("L", "I", "F") or mode.startswith("I;16"):
        return np.array(image)
    if mode == "1":
        return np.array(image.convert("L"))
    if mode in ("LA", "La"):
        return np.array(image.getchannel("L"))
    if mode in ("RGB", "RGBA", "RGBa", "RGBX"):
        rgb = np.array(image)[..., :3]
    else:                                     # P, PA, CMYK, YCbCr, LAB, HSV, ...
        rgb = np.array(image.convert("RGB"))
    return as_image(rgb, as_gray=True)


def _read_tiff(path):
    import tifffile
    try:
        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages[0]
            data = page.asarray()
            photometric = page.photometric
            separate = page.planarconfig == tifffile.PLANARCONFIG.SEPARATE
            colormap = page.colormap
    except Exception as exc:                  # tifffile raises many kinds on bad files
        raise ValueError(f"cannot read as a TIFF image ({type(exc).__name__}: {exc})") \
            from None
    if separate and data.ndim == 3:
        data = np.moveaxis(data, 0, -1)
    kind = tifffile.PHOTOMETRIC
    if photometric in (kind.MINISBLACK, kind.MINISWHITE):
        grey = data if data.ndim == 2 else data[..., 0]          # extra samples: alpha
        if photometric == kind.MINISWHITE:
            grey = (np.iinfo(grey.dtype).max - grey if grey.dtype.kind in "ui"
                    else grey.max() - grey)
        return grey
    if photometric == kind.RGB and data.ndim == 3 and data.shape[-1] >= 3:
        return as_image(data[..., :3], as_gray=True)
    if photometric == kind.PALETTE and colormap is not None and data.ndim == 2:
        return as_image(np.moveaxis(colormap[:, data], 0, -1), as_gray=True)
    # CMYK, YCbCr, CIELab and the rest: Pillow's conversions, where it reads the file
    try:
        return _read_pillow(path, b"")
    except ValueError:
        raise ValueError(f"is a TIFF image with photometric {photometric.name} and "
                         f"{data.shape} samples, which shearfeat cannot turn into grey "
                         "levels") from None


def is_shearfeat_output(path) -> bool:
    """Whether ``path`` is a PNG or TIFF file that shearfeat wrote (by its metadata)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head[:4] in _TIFF_MAGIC:
            import tifffile
            with tifffile.TiffFile(path) as tiff:
                return str(tiff.pages[0].software or "").startswith(MARKER)
        from PIL import Image
        with Image.open(path) as image:
            return MARKER in getattr(image, "text", image.info)
    except Exception:                         # unreadable files are nobody's outputs
        return False


def _software():
    from . import __version__
    return f"{MARKER} {__version__}"


def write_png(path, data, what):
    """Write uint8 grey (M, N) or RGB (M, N, 3) ``data`` as a PNG marked as ours."""
    from PIL import Image, PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", _software())
    info.add_text(MARKER, what)
    Image.fromarray(np.ascontiguousarray(data)).save(path, format="PNG", pnginfo=info)


def write_tiff(path, data, what):
    """Write a float32 (M, N) map as a TIFF marked as ours."""
    import tifffile
    tifffile.imwrite(path, np.ascontiguousarray(data, np.float32),
                     software=f"{_software()} ({what})", photometric="minisblack")
