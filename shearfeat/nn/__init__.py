"""PyTorch adapter: the fixed shearlet coefficients as a torch module, complex-valued
layers, CoShNet-style classifiers and :func:`fit`.

This is the only part of shearfeat that imports torch; install it with
``pip install 'shearfeat[nn]'``.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:                       # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "shearfeat.nn needs PyTorch, which is not installed.  On a machine with an NVIDIA "
        "GPU: pip install 'shearfeat[nn]' (plain pip brings the CUDA build).  On a CPU-only "
        "machine, first the CPU build from PyTorch's own index (a few hundred MB instead "
        "of several GB): pip install torch --index-url https://download.pytorch.org/whl/cpu"
        " && pip install 'shearfeat[nn]'"
    ) from exc

from .features import ShearletFeatures
from .layers import (ComplexAvgPool2d, ComplexBatchNorm2d, ComplexConv2d, ComplexLinear,
                     ComplexToReal, SplitReLU, complex_init_)
from .model import CoShNet
from .train import Classifier, fit

__all__ = [
    "Classifier",
    "CoShNet",
    "ComplexAvgPool2d",
    "ComplexBatchNorm2d",
    "ComplexConv2d",
    "ComplexLinear",
    "ComplexToReal",
    "ShearletFeatures",
    "SplitReLU",
    "complex_init_",
    "fit",
]
