"""CoShNet: a small complex-valued network on fixed complex shearlet coefficients."""

from __future__ import annotations

import torch
from torch import nn

from .features import ShearletFeatures
from .layers import (DEFAULT_BACKEND, ComplexAvgPool2d, ComplexBatchNorm2d, ComplexConv2d,
                     ComplexLinear, ComplexToReal, SplitReLU, stack)


class CoShNet(nn.Module):
    """Complex shearlet features, complex convolutions, a real head.

    ``features -> [complex conv (k x k) -> (batch norm) -> split ReLU -> 2 x 2 average
    pool] per entry of channels -> flatten -> [complex linear -> split ReLU] per entry of
    hidden -> complex linear to n_classes -> split ReLU -> real linear on [re, im] ->
    logits``; the architecture of Ko et al., "CoShNet: A Hybrid Complex Valued Neural Network
    using Shearlets" (arXiv:2208.06882).

    Parameters
    ----------
    n_classes : int
    shape : tuple of int
        Input image shape (after the padding :func:`shearfeat.nn.fit` applies).
    channels : sequence of int
        Output channels of the complex convolutions.
    hidden : sequence of int
        Widths of the complex linear layers before the last one.
    kernel_size : int
    preset : str
        Shearlet preset of the fixed features.
    norm : bool
        Put a :class:`~shearfeat.nn.ComplexBatchNorm2d` after every convolution.
    backend : {"real", "native"}, optional
        How the complex layers compute (see :mod:`shearfeat.nn.layers`).

    Examples
    --------
    >>> from shearfeat.nn import CoShNet
    >>> CoShNet.tiny().n_parameters() <= 50_000
    True
    """

    def __init__(self, n_classes=10, shape=(32, 32), channels=(30, 50), hidden=(500,),
                 kernel_size=5, preset="small", backend=None, norm=False):
        super().__init__()
        self.config = dict(n_classes=int(n_classes), shape=[int(n) for n in shape],
                           channels=[int(c) for c in channels],
                           hidden=[int(h) for h in hidden], kernel_size=int(kernel_size),
                           preset=preset, backend=backend, norm=bool(norm))
        self.features = ShearletFeatures(tuple(shape), preset=preset)
        self._native = (DEFAULT_BACKEND if backend is None else backend) == "native"
        layers = []
        size = list(shape)
        previous = self.features.n_filters
        for c in channels:
            layers.append(ComplexConv2d(previous, c, kernel_size, backend=backend))
            if norm:
                layers.append(ComplexBatchNorm2d(c))
            layers += [SplitReLU(), ComplexAvgPool2d(2)]
            size = [(n - kernel_size + 1) // 2 for n in size]
            if min(size) < 1:
                raise ValueError(f"shape {tuple(shape)} is too small for {len(channels)} "
                                 f"convolutions of size {kernel_size} with pooling")
            previous = c
        self.convolutions = nn.Sequential(*layers)
        layers = []
        previous = previous * size[0] * size[1]
        for width in list(hidden) + [n_classes]:
            layers += [ComplexLinear(previous, width, backend=backend), SplitReLU()]
            previous = width
        layers += [ComplexToReal(), nn.Linear(2 * n_classes, n_classes)]
        self.head = nn.Sequential(*layers)

    @classmethod
    def base(cls, n_classes=10, shape=(32, 32), **kwargs):
        """The published base model: channels 30, 50, one hidden layer of 500 (1.37 M
        real parameters for 32 x 32 inputs and 10 classes)."""
        return cls(n_classes, shape, channels=(30, 50), hidden=(500,), **kwargs)

    @classmethod
    def tiny(cls, n_classes=10, shape=(32, 32), **kwargs):
        """A plain model of at most 50,000 real parameters: three 3 x 3 complex
        convolutions (20, 32 and 40 channels) with batch norm, and no hidden layer
        (45,742 parameters for 32 x 32 inputs and 10 classes)."""
        return cls(n_classes, shape, channels=(20, 32, 40), hidden=(), kernel_size=3,
                   norm=True, **kwargs)

    @classmethod
    def from_config(cls, config):
        """Rebuild a model from its :attr:`config` (a dict of plain values)."""
        return cls(**config)

    def n_parameters(self) -> int:
        """Real parameters: a complex one counts twice."""
        return sum(p.numel() * (2 if p.is_complex() else 1) for p in self.parameters())

    def forward(self, images):
        """(B, M, N) real images, already scaled as at training -> (B, n_classes) logits."""
        z = self.features(images)
        if self._native:
            return self.head(self.convolutions(z).flatten(1))
        # the same layers on stacked [re, im] real tensors, converted once
        x = stack(z)
        for layer in self.convolutions:
            x = layer.stacked(x)
        x = x.flatten(1)              # [re of every channel and pixel, then im]
        for layer in self.head:
            x = layer.stacked(x) if hasattr(layer, "stacked") else layer(x)
        return x
