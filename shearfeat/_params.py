"""The parameters of a shearlet system, and the named presets."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields, replace

import numpy as np

KINDS = ("edge", "ridge", "blob")
PRESETS = ("default", "coshrem", "small")

# CoShREM's 512 x 512 defaults, kept in pixels so that a crop and its full image
# see the same features (coshrem.md section 5).
_DEFAULT_WAVELET_WIDTH = 512 / 7
_DEFAULT_GAUSSIAN_WIDTH = 512 / 20
_DEFAULT_ALPHA = {"edge": 0.8, "ridge": 0.5}


#: Largest values the parameters may take.  Filters wider than a few thousand pixels
#: (or hundreds of scales) would need transforms far larger than any image they could
#: serve, and would only fail after minutes of work or gigabytes of memory; the bounds
#: make them fail at once.  Images whose relative preset (``"coshrem"``) would pass
#: them are better measured with the default preset, whose widths are in pixels.
MAX_VALUES = {"wavelet_width": 4096.0, "gaussian_width": 4096.0, "scales_per_octave": 8.0,
              "octaves": 8.0, "min_diameter": 2048.0, "max_diameter": 2048.0}
#: Most pivot scales a blob system may have (shearlet systems have at most 8 * 8).
MAX_SCALES = 64


def _check_number(name, value, maximum):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or not 0 < value <= maximum:
        raise ValueError(f"{name} must be a positive number of at most {maximum:g}, got "
                         f"{value!r}")


@dataclass(frozen=True)
class ShearletParams:
    """The numbers that define a complex shearlet system.

    Parameters
    ----------
    wavelet_width : float
        Effective support of the 1-D Mexican-hat wavelet at the coarsest scale, in pixels,
        at most 4096.
    gaussian_width : float
        Effective support of the Gaussian window at the coarsest scale, in pixels, at
        most 4096.
    scales_per_octave : float
        Number of scales per octave, at most 8; each finer scale raises frequency by
        ``2 ** (1 / scales_per_octave)``.
    octaves : float
        Number of octaves, at most 8; the system has ``floor(scales_per_octave *
        octaves)`` scales, 1 to 64.
    shear_level : int
        ``2 ** shear_level + 2`` orientations per scale.
    alpha : float
        Anisotropy in (0, 1]: 1 is isotropic, 0.5 parabolic scaling.
    """

    wavelet_width: float
    gaussian_width: float
    scales_per_octave: float = 2.0
    octaves: float = 3.5
    shear_level: int = 3
    alpha: float = 0.8

    def __post_init__(self):
        for name in ("wavelet_width", "gaussian_width", "scales_per_octave", "octaves"):
            _check_number(name, getattr(self, name), MAX_VALUES[name])
        if not isinstance(self.shear_level, int) or isinstance(self.shear_level, bool) \
                or not 2 <= self.shear_level <= 6:
            raise ValueError(f"shear_level must be an integer in [2, 6], got {self.shear_level!r}")
        if not (isinstance(self.alpha, (int, float)) and 0 < self.alpha <= 1):
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha!r}")
        if self.n_scales < 1:             # (at most 8 * 8 = 64 by the bounds above)
            raise ValueError(
                "scales_per_octave * octaves must be at least 1, got "
                f"{self.scales_per_octave} * {self.octaves}")
        # Normalise numbers so that equal systems hash equally (1 == 1.0 already does).
        for name in ("wavelet_width", "gaussian_width", "scales_per_octave", "octaves", "alpha"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def n_scales(self) -> int:
        """Number of scales J."""
        return int(math.floor(self.scales_per_octave * self.octaves + 1e-9))

    @property
    def n_orientations(self) -> int:
        """Number of orientations per scale, ``2 ** shear_level + 2``."""
        return 2 ** self.shear_level + 2


@dataclass(frozen=True)
class BlobParams:
    """The numbers that define a blob system (SymFD molecules).

    Parameters
    ----------
    min_diameter, max_diameter : float
        Diameters in pixels, ``2 <= min_diameter <= max_diameter <= 2048``, of the
        smallest and largest disks the system measures.  Each pivot scale answers best to
        one diameter; the diameters of the pivot scales run from ``max_diameter`` down by factors of
        ``2 ** (1 / scales_per_octave)`` to ``min_diameter`` or just below it.
    scales_per_octave : float
        Pivot scales per octave of diameter, at most 8 (and at most 64 pivot scales).
    rotations : int
        Even, at least 2: rotations of the even molecule over 90 degrees (it is symmetric
        under quarter turns); the odd partner takes twice as many over 180 degrees.
    """

    min_diameter: float = 4.0
    max_diameter: float = 64.0
    scales_per_octave: float = 2.0
    rotations: int = 4

    def __post_init__(self):
        for name in ("min_diameter", "max_diameter", "scales_per_octave"):
            _check_number(name, getattr(self, name), MAX_VALUES[name])
        if self.min_diameter < 2:
            raise ValueError(f"min_diameter must be at least 2 pixels, got {self.min_diameter!r}")
        if self.min_diameter > self.max_diameter:
            raise ValueError(f"min_diameter ({self.min_diameter}) must not exceed "
                             f"max_diameter ({self.max_diameter})")
        if not isinstance(self.rotations, int) or isinstance(self.rotations, bool) \
                or self.rotations < 2 or self.rotations % 2 or self.rotations > 16:
            raise ValueError(f"rotations must be an even integer in [2, 16], got {self.rotations!r}")
        if self.n_pivot_scales > MAX_SCALES:
            raise ValueError(
                f"min_diameter {self.min_diameter:g}, max_diameter {self.max_diameter:g} and "
                f"scales_per_octave {self.scales_per_octave:g} give {self.n_pivot_scales} "
                f"scales; at most {MAX_SCALES}")
        for name in ("min_diameter", "max_diameter", "scales_per_octave"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def n_pivot_scales(self) -> int:
        """Scales whose diameters lie in [min_diameter, max_diameter]."""
        octaves = math.log2(self.max_diameter / self.min_diameter)
        return int(math.floor(self.scales_per_octave * octaves + 1e-9)) + 1

    @property
    def n_scales(self) -> int:
        """All scales: the pivot scales and one guard scale beyond each end, which the
        diameter interpolation needs."""
        return self.n_pivot_scales + 2

    @property
    def n_orientations(self) -> int:
        """Rotations of the odd partner over 180 degrees (twice ``rotations``)."""
        return 2 * self.rotations

    def diameters(self):
        """Diameter in pixels each scale answers to best, coarsest (a guard) first."""
        j = np.arange(self.n_scales)
        return self.max_diameter * 2.0 ** ((1 - j) / self.scales_per_octave)


def resolve_params(shape, kind, preset="default", **overrides):
    """Build the parameters of a system from a preset and keyword overrides.

    Blob systems (``kind="blob"``) get :class:`BlobParams`: ``"default"`` measures
    diameters of 4 to 64 pixels, ``"coshrem"`` ``min(shape) / 128`` to ``/ 8`` (at least
    2 pixels), ``"small"`` 2 to ``min(shape) / 4`` pixels.

    Parameters
    ----------
    shape : tuple of int
        The image shape ``(rows, cols)``; used by the relative presets.
    kind : {"edge", "ridge", "blob"}
        The system kind; sets the default anisotropy ``alpha`` (and the parameter class).
    preset : {"default", "coshrem", "small"}
        ``"default"`` uses CoShREM's 512 x 512 widths in pixels for every image size;
        ``"coshrem"`` scales them with the image as the MATLAB toolbox does
        (``min(shape) / 7`` and ``/ 20``); ``"small"`` is the CoShNet bank for tiny images
        (``min(shape) / 7``, ``/ 14``, one octave: 2 scales).
    **overrides
        Any field of :class:`ShearletParams` (:class:`BlobParams` for blobs).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {PRESETS}, got {preset!r}")
    cls = BlobParams if kind == "blob" else ShearletParams
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown shearlet parameter(s) {unknown}; valid ones are {sorted(known)}")
    side = min(shape)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if kind == "blob":
        if preset == "default":
            base = BlobParams()
        elif preset == "coshrem":
            base = BlobParams(max(2.0, side / 128), max(2.0, side / 8))
        else:
            base = BlobParams(2.0, max(2.0, side / 4))
        return replace(base, **overrides) if overrides else base
    if preset == "default":
        base = ShearletParams(_DEFAULT_WAVELET_WIDTH, _DEFAULT_GAUSSIAN_WIDTH,
                              alpha=_DEFAULT_ALPHA[kind])
    elif preset == "coshrem":
        base = ShearletParams(side / 7, side / 20, alpha=_DEFAULT_ALPHA[kind])
    else:
        base = ShearletParams(side / 7, side / 14, octaves=1.0, alpha=_DEFAULT_ALPHA[kind])
    return replace(base, **overrides) if overrides else base
