"""What the measure results share."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

#: The dtypes a result's maps may have (what the measures return).
RESULT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class MeasureResult:
    """Base of the frozen result dataclasses: checked fields, and a one-line summary
    instead of the arrays.

    The result classes are public, so a user can build one from maps of their own (to
    thin a measure they edited, say).  Every field must then be a 2-D float32 or
    float64 array, all of one shape and one dtype: the kernels that read results
    (:func:`shearfeat.thin`) index every field with the measure's shape and type, and
    check nothing themselves.  A ``strength`` left out (None) is the measure itself: such
    a result ranks its features by shape alone.  Anything array-like with ``shape``, ``ndim`` and
    ``dtype`` (a dask array, say) is kept as it is; anything else goes through
    :func:`numpy.asarray`.
    """

    #: What a pixel with a positive measure is, for the summary.
    _what = "feature"

    def __post_init__(self):
        name = type(self).__name__
        reference = None
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None and field.name == "strength":
                value = self.measure
                object.__setattr__(self, field.name, value)
            if not all(hasattr(value, a) for a in ("shape", "ndim", "dtype")):
                try:
                    value = np.asarray(value)
                except Exception as exc:
                    raise TypeError(f"{name}.{field.name} must be a 2-D array, got "
                                    f"{type(value).__name__} ({exc})") from None
                object.__setattr__(self, field.name, value)
            if value.ndim != 2:
                raise ValueError(f"{name}.{field.name} must be 2-D (rows, cols), got shape "
                                 f"{tuple(value.shape)}")
            if np.dtype(value.dtype) not in RESULT_DTYPES:
                raise TypeError(f"{name}.{field.name} must be float32 or float64, got "
                                f"{value.dtype}")
            if reference is None:
                reference = field.name, tuple(value.shape), np.dtype(value.dtype)
            elif tuple(value.shape) != reference[1]:
                raise ValueError(f"{name}.{field.name} has shape {tuple(value.shape)} but "
                                 f"{name}.{reference[0]} has shape {reference[1]}; every "
                                 "field must have the measure's shape")
            elif np.dtype(value.dtype) != reference[2]:
                raise TypeError(f"{name}.{field.name} is {value.dtype} but "
                                f"{name}.{reference[0]} is {reference[2]}; every field "
                                "must have one dtype")

    def __repr__(self):
        m = self.measure
        return (f"{type(self).__name__}(shape={m.shape}, dtype={m.dtype}, "
                f"measure max={float(m.max()):.3f}, {self._what} pixels="
                f"{int((m > 0).sum())})")
