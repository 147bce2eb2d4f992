"""Complex-valued layers on native complex tensors.

Weights are complex parameters.  Two ways to compute a complex convolution or product
are offered: ``"native"`` hands the complex tensors to PyTorch's complex kernels,
``"real"`` stacks ``[re, im]`` and does one real operation with the block weight
``[[Wr, -Wi], [Wi, Wr]]``.  Both give the same numbers; ``benchmarks/bench_nn_layers.py``
measures both.  The default is ``"real"``: it needs no complex kernels, which not every
device and PyTorch version has, and CoShNet runs it end to end on stacked tensors (see
below), which made a training step of the tiny model about 1.4x faster than the
layer-by-layer conversions on the 2-core CPU of the development machine.

Every layer also has ``stacked(x)``: the same operation on a real tensor that holds the
real parts of the channels (or features) and then the imaginary parts, ``[re, im]``
along axis 1.  :class:`~shearfeat.nn.CoShNet` chains these when its backend is
``"real"``, so that it converts between complex and stacked tensors once rather than
at every layer (in a training step those conversions cost more than the convolutions).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Backend used when a layer is built without one.
DEFAULT_BACKEND = "real"
BACKENDS = ("real", "native")


def complex_init_(weight: torch.Tensor, fan_in: int, fan_out: int,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Glorot-style complex initialisation (Trabelsi et al., "Deep Complex Networks").

    Magnitudes are Rayleigh-distributed with ``sigma = 1 / sqrt(fan_in + fan_out)``, so
    that ``Var(w) = 2 sigma**2 = 2 / (fan_in + fan_out)``, phases uniform in [-pi, pi).
    """
    sigma = 1.0 / math.sqrt(fan_in + fan_out)
    with torch.no_grad():
        u = torch.rand(weight.shape, generator=generator, dtype=torch.float64)
        magnitude = sigma * torch.sqrt(-2.0 * torch.log1p(-u))
        phase = (torch.rand(weight.shape, generator=generator, dtype=torch.float64) * 2
                 - 1) * math.pi
        weight.copy_(torch.polar(magnitude, phase).to(weight.dtype))
    return weight


def _check_backend(backend, default):
    backend = default if backend is None else backend
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return backend


def stack(z: torch.Tensor) -> torch.Tensor:
    """``[re, im]`` of a complex tensor along axis 1 (channels, or features)."""
    return torch.cat([z.real, z.imag], dim=1)


def unstack(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`stack`."""
    re, im = x.chunk(2, dim=1)
    return torch.complex(re, im)


def _block(weight):
    """``[[Wr, -Wi], [Wi, Wr]]`` along the first two axes."""
    re, im = weight.real, weight.imag
    return torch.cat([torch.cat([re, -im], dim=1), torch.cat([im, re], dim=1)], dim=0)


class ComplexConv2d(nn.Module):
    """2-D convolution of complex feature maps with complex kernels.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
    padding : int
    bias : bool
    backend : {"real", "native"}, optional
    dtype : torch.dtype
        ``torch.complex64`` (default) or ``torch.complex128``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, *, padding=0, bias=True,
                 backend=None, dtype=torch.complex64):
        super().__init__()
        self.backend = _check_backend(backend, DEFAULT_BACKEND)
        self.padding = padding
        k = kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, k, k, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self, generator=None):
        fan_in = self.weight.shape[1] * self.weight[0, 0].numel()
        fan_out = self.weight.shape[0] * self.weight[0, 0].numel()
        complex_init_(self.weight, fan_in, fan_out, generator)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x):
        if self.backend == "native":
            return F.conv2d(x, self.weight, self.bias, padding=self.padding)
        return unstack(self.stacked(stack(x)))

    def stacked(self, x):
        """(B, 2 in_channels, H, W) stacked real maps -> (B, 2 out_channels, H', W')."""
        bias = None if self.bias is None else torch.cat([self.bias.real, self.bias.imag])
        return F.conv2d(x, _block(self.weight), bias, padding=self.padding)

    def extra_repr(self):
        o, i, k, _ = self.weight.shape
        return (f"{i}, {o}, kernel_size={k}, padding={self.padding}, "
                f"bias={self.bias is not None}, backend={self.backend!r}")


class ComplexLinear(nn.Module):
    """``y = W x + b`` with complex W, x and b (last axis)."""

    def __init__(self, in_features, out_features, *, bias=True, backend=None,
                 dtype=torch.complex64):
        super().__init__()
        self.backend = _check_backend(backend, DEFAULT_BACKEND)
        self.weight = nn.Parameter(torch.empty(out_features, in_features, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self, generator=None):
        complex_init_(self.weight, self.weight.shape[1], self.weight.shape[0], generator)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x):
        if self.backend == "native":
            return F.linear(x, self.weight, self.bias)
        return unstack(self.stacked(stack(x)))

    def stacked(self, x):
        """(B, 2 in_features) stacked real features -> (B, 2 out_features)."""
        bias = None if self.bias is None else torch.cat([self.bias.real, self.bias.imag])
        return F.linear(x, _block(self.weight), bias)

    def extra_repr(self):
        o, i = self.weight.shape
        return f"{i}, {o}, bias={self.bias is not None}, backend={self.backend!r}"


class SplitReLU(nn.Module):
    """``relu(re) + 1j * relu(im)`` (the "CReLU" of Trabelsi et al.)."""

    def forward(self, x):
        return torch.complex(F.relu(x.real), F.relu(x.imag))

    def stacked(self, x):
        return F.relu(x)


class ComplexAvgPool2d(nn.Module):
    """Average pooling of the real and imaginary parts."""

    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x):
        return unstack(self.stacked(stack(x)))

    def stacked(self, x):
        return F.avg_pool2d(x, self.kernel_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}"


class ComplexBatchNorm2d(nn.Module):
    """Batch normalisation of the real and imaginary parts, each on its own.

    The "naive" complex batch norm of Trabelsi et al.: a :class:`torch.nn.BatchNorm2d`
    over ``2 * channels`` real maps.  Unlike their full complex batch norm it does not
    whiten the 2 x 2 covariance of (re, im).
    """

    def __init__(self, channels, *, momentum=0.1, eps=1e-5):
        super().__init__()
        self.norm = nn.BatchNorm2d(2 * channels, momentum=momentum, eps=eps)

    def forward(self, x):
        return unstack(self.stacked(stack(x)))

    def stacked(self, x):
        return self.norm(x)

    def extra_repr(self):
        return f"{self.norm.num_features // 2}"


class ComplexToReal(nn.Module):
    """``[re, im]`` concatenated along the last axis: the input of a real head."""

    def forward(self, x):
        return torch.cat([x.real, x.imag], dim=-1)

    def stacked(self, x):
        return x
