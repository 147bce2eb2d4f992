"""shearfeat: stable, contrast-invariant image features with complex shearlets.

The public API:

* :class:`ShearletSystem`: a bank of complex shearlet filters and its transform;
* :func:`edges` and :func:`ridges`: the CoShREM measures, with orientation, width and
  height;
* :func:`blobs`: the SymFD blob measure, with diameter and height, and the blobs'
  space-scale peaks, which :meth:`BlobResult.detect` resolves into blobs (crowds
  included);
* :func:`thin`: one-pixel-wide binary edges and ridge centre lines, and
  :func:`graded_thin`, their graded map (each threshold a hysteresis);
* :func:`extract` and :func:`feature_names`: feature stacks of many images;
* :func:`fill_outside`: an image filled beyond a mask (a field of view), so that the
  mask's border reads as no feature, and :func:`field_of_view`, that mask estimated for
  an image with a dark surround;
* :func:`presets`, :func:`cache_info`, :func:`clear_cache`.

Modules beside it: :mod:`shearfeat.io` (image files in, marked outputs out),
:mod:`shearfeat.datasets`, and, with their extras, :mod:`shearfeat.dask` (chunked images
and collections), :mod:`shearfeat.store` (Zarr feature stores) and :mod:`shearfeat.nn`
(PyTorch).
"""

from ._params import PRESETS, BlobParams, ShearletParams
from ._system import ShearletSystem, cache_info, clear_cache
from .edges import EdgeResult, edges
from .ridges import RidgeResult, ridges
from .blobs import BlobResult, blobs
from ._thin import graded_thin, thin
from .extract import extract, feature_names
from ._fill import field_of_view, fill_outside

__version__ = "0.1.0.dev0"


def presets():
    """Names of the parameter presets: ``("default", "coshrem", "small")``."""
    return PRESETS


__all__ = [
    "BlobParams",
    "BlobResult",
    "EdgeResult",
    "RidgeResult",
    "ShearletParams",
    "ShearletSystem",
    "__version__",
    "blobs",
    "cache_info",
    "clear_cache",
    "edges",
    "extract",
    "feature_names",
    "field_of_view",
    "fill_outside",
    "graded_thin",
    "presets",
    "ridges",
    "thin",
]
