"""Construction of complex shearlet filters in the frequency domain (NumPy only).

Every filter is the product of a 1-D Mexican-hat wavelet along its *wavelet axis* and a
Gaussian window along the other axis, sheared so that its frequency support lies along
the line ``w_window = slope * w_wavelet``.  The shear is evaluated analytically in
radians per pixel, so angles are right for non-square images too.  The complex filter
keeps only the frequencies ``u = sign * w_wavelet > 0`` (an analytic signal along the
wavelet axis): its real part is even (ridge-like), its imaginary part odd (edge-like).

Conventions shared by every module:

* The *slot* of a filter is its orientation index ``o`` in ``0 .. n_orientations - 1``.
  ``direction[o]`` is the unit vector ``(drow, dcol)`` along which the filter's odd part
  rises; its normal angle ``normal_angle[o]`` decreases monotonically with ``o`` so that
  neighbouring slots are neighbouring directions.  The two diagonal directions appear
  twice (once per cone): ``duplicate[o]`` names the twin slot, or -1.
* A filter sampled *off origin* is centred half a pixel along ``direction``.
* Coefficients are correlations, ``c(x) = sum_y image(y) * filter(y - x)``; the spectra
  returned here are those to multiply with ``fft2(image)`` before ``ifft2``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# Frequency scaling constants of the CoShREM toolbox: a Mexican hat whose effective
# support is `wavelet_width` pixels and a Gaussian whose effective support is
# `gaussian_width` pixels (coshrem.md section 1).
_WAVELET_FREQ_SCALE = 63 / 512
_GAUSSIAN_FREQ_SCALE = 74 / 512


@dataclass(frozen=True)
class Orientations:
    """The orientation table of a shear level (see the module docstring)."""

    slope: np.ndarray          # (n,) shear slope k / 2**(L-2)
    wavelet_axis: np.ndarray   # (n,) 0: wavelet along rows (horizontal cone), 1: along cols
    sign: np.ndarray           # (n,) +1 or -1: which half of the wavelet axis is kept
    direction: np.ndarray      # (n, 2) int (drow, dcol) = sign along the wavelet axis
    normal_angle: np.ndarray   # (n,) degrees, strictly non-increasing in o
    tangent_angle: np.ndarray  # (n,) degrees in [0, 180): 0 a vertical edge, 90 horizontal
    duplicate: np.ndarray      # (n,) twin slot of a diagonal, or -1


def orientation_table(shear_level: int) -> Orientations:
    """Slopes, cones and angles of the ``2**L + 2`` orientations of shear level ``L``.

    The order follows CoShREM: the vertical cone from slope 0 up to 1, the horizontal
    cone from slope 1 down to -1, then the vertical cone from -1 back towards 0.
    """
    half = 2 ** (shear_level - 2)
    k_first = np.arange(0, half + 1)                 # vertical cone, slopes 0 .. 1
    k_horizontal = np.arange(half, -half - 1, -1)    # horizontal cone, 1 .. -1
    k_last = np.arange(-half, 0)                     # vertical cone, -1 .. -1/half
    k = np.concatenate([k_first, k_horizontal, k_last])
    n = k.size
    slope = k / half
    wavelet_axis = np.concatenate([np.ones(k_first.size), np.zeros(k_horizontal.size),
                                   np.ones(k_last.size)]).astype(np.int64)
    # After the horizontal cone the vertical filters keep the negative column frequencies,
    # so that the direction of the odd part turns continuously through all slots.
    sign = np.concatenate([np.ones(k_first.size), np.ones(k_horizontal.size),
                           -np.ones(k_last.size)]).astype(np.int64)
    direction = np.zeros((n, 2), dtype=np.int64)
    direction[np.arange(n), wavelet_axis] = sign
    # The spectrum of slot o is concentrated along sign * (1, slope) in (wavelet, window)
    # coordinates; express that direction in (row, col) and take its angle from the
    # row axis towards the column axis.
    normal = np.where(wavelet_axis[:, None] == 0,
                      np.stack([np.ones(n), slope], axis=1),
                      np.stack([slope, np.ones(n)], axis=1)) * sign[:, None]
    normal_angle = np.degrees(np.arctan2(normal[:, 1], normal[:, 0]))
    # Make the sequence continuous (it starts at 90 degrees and decreases).
    normal_angle = np.where(normal_angle > 90 + 1e-9, normal_angle - 360, normal_angle)
    tangent_angle = np.mod(normal_angle + 90, 180)
    duplicate = -np.ones(n, dtype=np.int64)
    for o in range(n - 1):
        if abs(normal_angle[o] - normal_angle[o + 1]) < 1e-9:
            duplicate[o], duplicate[o + 1] = o + 1, o
    return Orientations(slope, wavelet_axis, sign, direction, normal_angle,
                        np.where(tangent_angle >= 180 - 1e-9, 0.0, tangent_angle), duplicate)


def angular_frequencies(n: int) -> np.ndarray:
    """Frequencies of an ``n``-point DFT in radians per pixel, in FFT order."""
    return 2 * np.pi * np.fft.fftfreq(n)


def scale_factors(params, j: int) -> tuple[float, float]:
    """Frequency dilations ``(a_j, b_j)`` of the wavelet and the window at scale ``j``.

    Scale 0 is the coarsest; each step multiplies frequencies by ``2**(1/spo)`` along the
    wavelet and by ``2**(alpha/spo)`` along the window.
    """
    a = _WAVELET_FREQ_SCALE * params.wavelet_width / 2 ** (j / params.scales_per_octave)
    b = _GAUSSIAN_FREQ_SCALE * params.gaussian_width / 2 ** (
        params.alpha * j / params.scales_per_octave)
    return a, b


def _underflow_to_zero(func):
    """Run ``func`` with underflow ignored: the Gaussian tails of filters and tables
    underflow to 0, as they are meant to, and a caller's ``np.errstate(all="raise")``
    (or ``np.seterr``) must not make that an error.  A fresh ``errstate`` per call, so
    that nested calls restore the caller's state on any NumPy."""
    @functools.wraps(func)
    def quiet(*args, **kwargs):
        with np.errstate(under="ignore"):
            return func(*args, **kwargs)
    return quiet


@_underflow_to_zero
def gaussian(x):
    """``exp(-x**2 / 2)``."""
    return np.exp(-np.square(x) / 2)


@_underflow_to_zero
def analytic_wavelet(u: np.ndarray, a: float, shift: float) -> np.ndarray:
    """The analytic Mexican hat ``2 * psi_hat(a u) * exp(-i u shift)`` for ``0 < u < pi``.

    ``psi_hat(w) = 2 pi w**2 exp(-w**2 / 2)``; ``shift`` (0 or 0.5) moves the filter's
    centre along the wavelet axis.  Zero frequency and Nyquist are dropped so that the real
    and imaginary parts are an exact Hilbert pair.
    """
    w = a * u
    spectrum = 2 * (2 * np.pi) * w * w * gaussian(w) * np.exp(-1j * u * shift)
    return np.where((u > 0) & (u < np.pi - 1e-12), spectrum, 0)


def wavelet_1d(n: int, a: float, shift: float) -> np.ndarray:
    """The complex 1-D wavelet in space, length ``n`` (periodic), centred at ``shift``."""
    return np.fft.ifft(analytic_wavelet(angular_frequencies(n), a, shift))


@_underflow_to_zero
def window(v: np.ndarray, b: float) -> np.ndarray:
    """The Gaussian window ``exp(-(b v)**2 / 2)`` with ``v`` wrapped into [-pi, pi)."""
    v = np.mod(v + np.pi, 2 * np.pi) - np.pi
    return gaussian(b * v)


def filter_spectrum(shape, params, orientations: Orientations, j: int, o: int,
                    shift: float) -> np.ndarray:
    """Unnormalised spectrum of the complex filter of scale ``j`` and slot ``o``.

    Returned in FFT order, already reflected (``S_hat(-w)``), so that
    ``ifft2(fft2(image) * spectrum)`` gives the correlation coefficients.
    """
    a, b = scale_factors(params, j)
    wr = -angular_frequencies(shape[0])[:, None]
    wc = -angular_frequencies(shape[1])[None, :]
    slope = orientations.slope[o]
    sign = orientations.sign[o]
    if orientations.wavelet_axis[o] == 0:
        return analytic_wavelet(sign * wr, a, shift) * window(wc - slope * wr, b)
    return analytic_wavelet(sign * wc, a, shift) * window(wr - slope * wc, b)


def step_response(n: int, a: float, shift: float) -> float:
    """Odd response of the 1-D wavelet to a unit step rising just after its centre.

    With a window that sums to one this is also the response of any 2-D filter of the
    scale to a unit step across its wavelet axis, the edge normalisation.
    """
    odd = wavelet_1d(n, a, shift).imag
    return float(odd[1:n // 2 + 1].sum())


def even_profile(n: int, a: float, shift: float) -> np.ndarray:
    """The even (real) part of the 1-D wavelet, positions ``0 .. n-1`` (periodic)."""
    return wavelet_1d(n, a, shift).real


def positive_width(profile: np.ndarray, off_origin: int) -> int:
    """Width in pixels of the positive central lobe of an even profile.

    On-origin profiles are symmetric about 0 (odd widths), off-origin ones about 0.5 (even
    widths).  A sample counts as positive when it exceeds 0.1 % of the peak, so that a
    sample sitting on the zero crossing (which rounding could tip either way) does not.
    """
    threshold = 1e-3 * profile.max()
    m = 0
    while m + 1 < profile.size // 2 and profile[m + 1] > threshold:
        m += 1
    return 2 * m + 1 if off_origin == 0 else 2 * m


def box_response(profile: np.ndarray, width: int) -> float:
    """Response of an even profile to a centred unit box of ``width`` pixels.

    Odd widths are centred on pixel 0 (on-origin profile), even widths on 0.5
    (off-origin profile).
    """
    half = width // 2
    if width % 2:
        idx = np.arange(-half, half + 1)
    else:
        idx = np.arange(-half + 1, half + 1)
    return float(profile[idx % profile.size].sum())


def support_radius(params, parts) -> int:
    """Radius in pixels beyond which the filters a measure uses have negligible mass.

    Parameters
    ----------
    params : ShearletParams
    parts : iterable of (int, str)
        ``(scale, "even" | "odd")`` pairs that the measure reads.

    Notes
    -----
    The sheared filter is ``psi(r + slope c) g(c)`` with ``|slope| <= 1``, so its support
    radius is that of the wavelet plus that of the window.  Even parts decay like a
    Gaussian and are cut at 0.1 % of their L1 mass; odd parts (Hilbert transforms) decay
    like ``t**-3`` and are cut at 1 %.  The radius never exceeds the nominal effective
    support ``wavelet_width + gaussian_width``: wavelets narrower than about two pixels
    have spectra cut at Nyquist, whose ringing tails carry L1 mass far out without
    being part of the filter's intended extent (a 32 x 32 image would otherwise be padded
    by 127 pixels).
    """
    radius = 0
    for j, part in parts:
        a, b = scale_factors(params, j)
        n = 1 << int(np.ceil(np.log2(256 * a + 64)))
        w = wavelet_1d(n, a, 0.5)
        values = np.abs(w.real if part == "even" else w.imag)
        tolerance = 1e-3 if part == "even" else 1e-2
        mass = (values + values[::-1])[: n // 2]
        tail = np.cumsum(mass[::-1])[::-1] / mass.sum()
        r_wavelet = int(np.argmax(tail < tolerance))
        radius = max(radius, r_wavelet + int(np.ceil(3.5 * b)))
    return min(radius, int(np.ceil(params.wavelet_width + params.gaussian_width)))


def fast_length(n: int) -> int:
    """The smallest length ``>= n`` that FFTW transforms fast.

    Lengths whose only prime factors are 2, 3, 5 and 7 *and* that are divisible by 8:
    odd powers such as 625 = 5**4 or 729 = 3**6 measured 2 to 3 times slower per pixel
    than their neighbours 640 and 720.
    """
    m = n
    while True:
        r = m
        for p in (2, 3, 5, 7):
            while r % p == 0:
                r //= p
        if r == 1 and m % 8 == 0:
            return m
        m += 1


# -- blob molecules (SymFD) -------------------------------------------------------------------
# The 1-D Mexican hat m(t) = (1 - t**2) exp(-t**2 / 2), dilated to m(x / a), has the
# spectrum a sqrt(2 pi) (a w)**2 exp(-(a w)**2 / 2) and the L1 norm 4 a exp(-1/2).

_HAT_L1 = 4 * np.exp(-0.5)


@_underflow_to_zero
def _hat_spectrum(w, a):
    """Spectrum of the L1-normalised Mexican hat ``m(x / a) / (4 a exp(-1/2))``."""
    aw = a * w
    return np.sqrt(2 * np.pi) * aw * aw * gaussian(aw) / _HAT_L1


@_underflow_to_zero
def _hilbert_hat_l1() -> float:
    """L1 norm of the Hilbert transform of ``m`` (computed once, on a fine grid)."""
    n, step = 1 << 16, 1 / 64
    w = 2 * np.pi * np.fft.fftfreq(n, d=step)
    spectrum = -1j * np.sign(w) * np.sqrt(2 * np.pi) * w * w * gaussian(w)
    profile = np.fft.ifft(spectrum).real / step
    return float(np.abs(profile).sum() * step)


_HILBERT_HAT_L1 = _hilbert_hat_l1()


def blob_gains() -> tuple[float, float]:
    """Constant factors of the even molecule and of the odd partner: with ``w = a u``,
    ``even = g_e w_u**2 w_v**2 exp(-(w_u**2 + w_v**2) / 2)`` and
    ``odd = i sign(u) g_o w_u**2 exp(-(w_u**2 + w_v**2) / 2)`` (odd at its own scale)."""
    return 2 * np.pi / _HAT_L1 ** 2, np.sqrt(2 * np.pi) / _HILBERT_HAT_L1


def rotated_frequencies(shape, theta):
    """Reflected frequencies rotated by ``theta`` (radians): ``u`` along the direction
    ``(cos theta, sin theta)`` in (row, col), ``v`` across it; each (M, N)."""
    wr = -angular_frequencies(shape[0])[:, None]
    wc = -angular_frequencies(shape[1])[None, :]
    cos, sin = np.cos(theta), np.sin(theta)
    return cos * wr + sin * wc, -sin * wr + cos * wc


@_underflow_to_zero
def blob_even_spectrum(shape, a, theta):
    """Spectrum of the even blob molecule: ``m(u / a) m(v / a)`` in coordinates rotated by
    ``theta``, each factor L1-normalised (real; the molecule is symmetric)."""
    u, v = rotated_frequencies(shape, theta)
    return _hat_spectrum(u, a) * _hat_spectrum(v, a)


@_underflow_to_zero
def blob_odd_spectrum(shape, a, theta):
    """Spectrum of the odd partner: the Hilbert transform of ``m(u / a)`` along ``u``
    times a Gaussian of standard deviation ``a`` along ``v``, both L1-normalised
    (imaginary; a unit step rising along ``u`` gives about +1/2)."""
    u, v = rotated_frequencies(shape, theta)
    aw = a * u
    hat = np.sqrt(2 * np.pi) * aw * aw * gaussian(aw) / _HILBERT_HAT_L1
    return 1j * np.sign(u) * hat * gaussian(a * v)


@_underflow_to_zero
def disk_response(tau: np.ndarray) -> np.ndarray:
    """Even-molecule response to a centred unit disk of radius ``tau * a``.

    The molecule's response to a disk does not depend on its rotation.  Computed once by
    integrating ``m(x) m(y) / (4 exp(-1/2))**2`` over the disk in polar coordinates.
    """
    rho = np.linspace(0, float(np.max(tau)) + 1e-3, 8193)
    phi = np.linspace(0, 2 * np.pi, 721)[:-1]
    x = rho[:, None] * np.cos(phi)
    y = rho[:, None] * np.sin(phi)
    hat = lambda t: (1 - t * t) * gaussian(t)                 # noqa: E731
    ring = (hat(x) * hat(y)).mean(axis=1) * 2 * np.pi * rho / _HAT_L1 ** 2
    cumulative = np.concatenate([[0.0], np.cumsum((ring[1:] + ring[:-1]) / 2 * np.diff(rho))])
    return np.interp(tau, rho, cumulative)


@functools.lru_cache(maxsize=1)
def disk_peak() -> float:
    """The relative radius ``tau`` (disk radius / molecule scale ``a``) at which the even
    molecule answers a disk most strongly (about 1.08)."""
    tau = np.linspace(0.5, 2.0, 3001)
    return float(tau[np.argmax(disk_response(tau))])


#: Samples per scale step of the tables below.
TABLE_STEPS = 64


@functools.lru_cache(maxsize=8)
def disk_scale_response(scales_per_octave: float, span: int):
    """The even response to a unit disk as a function of scale.

    A disk of diameter D answers best at the (fractional) scale index t0 where the
    molecule's scale is ``D / (2 tau_peak)``; at scale index ``t0 + delta`` it gives
    ``disk_response(tau_peak * 2 ** (delta / spo))``.  Tabulated for ``delta`` in
    ``[-span, span]`` with :data:`TABLE_STEPS` samples per scale; zero beyond.

    Returns
    -------
    delta0 : float
        ``delta`` of the first sample.
    values : (n,) float64 ndarray
    """
    delta = np.linspace(-span, span, 2 * span * TABLE_STEPS + 1)
    values = disk_response(disk_peak() * 2.0 ** (delta / scales_per_octave))
    values[[0, -1]] = 0.0
    return float(delta[0]), values


@functools.lru_cache(maxsize=8)
def scale_calibration(scales_per_octave: float):
    """How a three-point parabola over scales misplaces a disk's best scale.

    A disk whose best scale lies ``u`` (in [-1/2, 1/2]) from the sampled maximum gives
    samples whose parabola peaks at ``p(u)``; inverting this monotone map gives ``u``
    exactly for disks.

    Returns
    -------
    p, u : (n,) float64 ndarrays, ``p`` increasing.
    """
    delta0, values = disk_scale_response(scales_per_octave, 4)

    def response(delta):
        return np.interp(delta, delta0 + np.arange(values.size) / TABLE_STEPS, values)

    u = np.linspace(-0.5, 0.5, 257)
    left, centre, right = response(-1 - u), response(-u), response(1 - u)
    p = (left - right) / (2 * (left - 2 * centre + right))
    return p, u
