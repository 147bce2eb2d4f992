"""The fixed complex shearlet coefficients as a torch module."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._system import ShearletSystem


class ShearletFeatures(nn.Module):
    """Complex shearlet coefficients of a batch of images, with ``torch.fft``.

    The filters of a :class:`shearfeat.ShearletSystem` are held as buffers, so the
    module computes on whatever device it is moved to; it has no parameters.  The output
    equals ``shearfeat.extract(images, features="coefficients", ...)`` to float32
    rounding.  Nothing is cached between calls: features are computed per batch.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(rows, cols)``.
    preset : {"small", "default", "coshrem"}
        Parameter set; ``"small"`` is CoShNet's bank of 20 filters (2 scales x 10
        orientations).
    kind : {"edge", "ridge", "blob"}
    mode : {"reflect", "periodic"}
        Border handling, as in :class:`shearfeat.ShearletSystem`.
    **params
        Overrides of the preset's parameters.

    Examples
    --------
    >>> import torch
    >>> from shearfeat.nn import ShearletFeatures
    >>> features = ShearletFeatures((32, 32))
    >>> features(torch.rand(4, 32, 32)).shape
    torch.Size([4, 20, 32, 32])
    """

    def __init__(self, shape=(32, 32), *, preset="small", kind="edge", mode="reflect",
                 **params):
        super().__init__()
        system = ShearletSystem(tuple(shape), kind, preset=preset, mode=mode,
                                dtype=np.float32, **params)
        self.shape = system.shape
        self.transform_shape = system.transform_shape
        self.config = dict(shape=list(system.shape), preset=preset, kind=kind, mode=mode,
                           **params)
        self.register_buffer("filters", torch.from_numpy(np.ascontiguousarray(
            system.filters)), persistent=False)
        rows = np.pad(np.arange(self.shape[0]), system.padding[0], mode="symmetric")
        cols = np.pad(np.arange(self.shape[1]), system.padding[1], mode="symmetric")
        self.register_buffer("rows", torch.from_numpy(rows), persistent=False)
        self.register_buffer("cols", torch.from_numpy(cols), persistent=False)
        self.top = system.padding[0][0]
        self.left = system.padding[1][0]

    @property
    def n_filters(self) -> int:
        """K, the number of output channels."""
        return self.filters.shape[0]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, M, N) real images -> (B, K, M, N) complex coefficients."""
        if images.ndim != 3 or tuple(images.shape[1:]) != tuple(self.shape):
            raise ValueError(f"images must be (B, {self.shape[0]}, {self.shape[1]}), got "
                             f"{tuple(images.shape)}")
        x = images.to(self.filters.real.dtype)
        x = x - x.mean(dim=(1, 2), keepdim=True)
        x = x[:, self.rows][:, :, self.cols]
        spectrum = torch.fft.fft2(x)
        coefficients = torch.fft.ifft2(spectrum[:, None] * self.filters, norm="forward")
        M, N = self.shape
        return coefficients[..., self.top:self.top + M, self.left:self.left + N]

    def extra_repr(self):
        return (f"shape={tuple(self.shape)}, K={self.n_filters}, "
                f"transform_shape={tuple(self.transform_shape)}, "
                f"preset={self.config['preset']!r}, kind={self.config['kind']!r}, "
                f"mode={self.config['mode']!r}")
