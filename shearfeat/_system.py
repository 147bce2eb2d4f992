"""The complex shearlet system: filters of one image shape, their metadata, transform()."""

from __future__ import annotations

import functools
import os
import math
import operator
import threading
from collections import OrderedDict

import numpy as np

from . import _env, _fft
from ._filters import (analytic_wavelet, angular_frequencies, blob_even_spectrum,
                       blob_odd_spectrum, box_response, disk_peak, even_profile,
                       fast_length, filter_spectrum, orientation_table, positive_width,
                       scale_factors, step_response, support_radius)
from ._input import as_image, check_choice
from ._params import KINDS, resolve_params
from ._workers import clear_workspaces, run_rows, workspace_bytes

MODES = ("reflect", "periodic")
_REAL_TO_COMPLEX = {np.dtype(np.float32): np.dtype(np.complex64),
                    np.dtype(np.float64): np.dtype(np.complex128)}


def _check_shape(shape):
    try:
        if isinstance(shape, str) or any(isinstance(n, (bool, float)) for n in shape):
            raise TypeError
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"shape must be a pair of integers (rows, cols), got {shape!r}") from None
    if len(shape) != 2 or min(shape) < 3:
        raise ValueError(f"shape must be (rows, cols) with both at least 3, got {shape!r}")
    return shape


def _flush_tiny(spectra):
    """Set values below 1e-30 to exact zero, in place.

    The Gaussian window's far tails underflow to denormal float32 numbers, which make the
    multiplications and FFTW's transforms several times slower; 1e-30 is about 1e-25 of
    the largest filter values, far below any rounding that matters.
    """
    parts = spectra.view(spectra.real.dtype)
    parts[np.abs(parts) < 1e-30] = 0
    return spectra


#: The inverse FFT of a group of pair spectra skips their zero columns when at least this
#: fraction of the columns is zero (blob scales; see :meth:`ShearletSystem._nonzero_columns`).
PRUNE_MIN_ZERO_COLUMNS = 1 / 8


def support_columns(mask):
    """The column ranges ``((start, stop), ...)`` that cover every True of the circular
    1-D ``mask`` but its longest run of False, or None when that run is shorter than
    :data:`PRUNE_MIN_ZERO_COLUMNS` of the columns (pruning would not pay)."""
    n = mask.size
    if not mask.any():
        return ()
    first = int(np.argmax(mask))
    rolled = np.roll(mask, -first)                 # starts with a True: no run wraps
    edges = np.flatnonzero(np.diff(rolled.astype(np.int8)))
    starts, stops = edges[::2] + 1, np.append(edges[1::2] + 1, n)[:edges[::2].size]
    if starts.size == 0 or (stops - starts).max() < PRUNE_MIN_ZERO_COLUMNS * n:
        return None
    longest = int(np.argmax(stops - starts))
    start = (first + int(stops[longest])) % n     # the support runs from the gap's end
    length = n - int(stops[longest] - starts[longest])
    if start + length <= n:
        return ((start, start + length),)
    return ((start, n), (0, start + length - n))


def _neighbours(duplicate, n_orientations, n_slots):
    """Left and right neighbouring slots on a circle of ``n_slots``, skipping twins."""
    left = np.empty(n_slots, dtype=np.int64)
    right = np.empty(n_slots, dtype=np.int64)
    for o in range(n_slots):
        base = o - o % n_orientations
        twin = duplicate[o % n_orientations]
        twin = -1 if twin < 0 else base + twin
        lo, ro = (o - 1) % n_slots, (o + 1) % n_slots
        left[o] = (lo - 1) % n_slots if lo == twin else lo
        right[o] = (ro + 1) % n_slots if ro == twin else ro
    return left, right


@functools.lru_cache(maxsize=64)
def measure_radius(params, kind) -> int:
    """Support radius, in pixels, of the filter parts the measure of ``kind`` reads.

    Edges read the odd parts of the scales from d = one octave up and the even parts of
    all coarser ones, ridges the reverse; a system too small for a measure (fewer than
    d + 1 scales) is padded for all its filters.
    """
    if kind == "blob":
        # The even molecules decay like Gaussians: 0.1 % of the coarsest one's L1 mass lies
        # beyond 4 a.  The odd partners reach further (their Hilbert tails decay like
        # t**-3), but they only veto edges, and a tail wrapped across a reflected border
        # meets the image's own mirror image.
        return int(math.ceil(4.0 * params.diameters()[0] / (2 * disk_peak())))
    d = int(math.floor(params.scales_per_octave + 1e-9))
    if params.n_scales - d < 1:
        parts = [(0, "even"), (0, "odd")]
    elif kind == "edge":
        parts = [(0, "even"), (d, "odd")]
    else:
        parts = [(0, "odd"), (d, "even")]
    return support_radius(params, parts)


def slot_geometry(table, n_slots):
    """Shear slope, wavelet axis and twin of each of ``n_slots`` slots (the second
    semicircle, when there is one, repeats the first)."""
    n_o = table.slope.size
    reps = n_slots // n_o
    twin = np.concatenate([np.where(table.duplicate >= 0, table.duplicate + i * n_o, -1)
                           for i in range(reps)])
    return (np.tile(table.slope.astype(np.float64), reps),
            np.tile(table.wavelet_axis, reps), twin)


def fit_geometry(table, n_slots):
    """What the orientation fit at a slot needs about each of its two sides: (2 n_slots,)
    arrays indexed ``2 * slot + side`` (side 0 towards the left neighbour, 1 towards the
    right one, twins skipped): the shear slope at the slot and at that neighbour, whether
    the neighbour lies in the horizontal cone, and the sign (+1, or -1 for a reflected
    slot) that turns the neighbour's stored odd response into its own.

    A diagonal slot whose neighbour lies in the other cone is read as its twin in that
    cone; the filters' responses are symmetric in shear slope, so the fitted slope is
    interpolated linearly from the first slope to the second.  Tables let the fit run
    without branches per pixel."""
    n_o = table.slope.size
    left, right = _neighbours(table.duplicate, n_o, n_slots)
    slope, axis, twin = slot_geometry(table, n_slots)
    start = np.empty(2 * n_slots)
    stop = np.empty(2 * n_slots)
    horizontal = np.empty(2 * n_slots, np.bool_)
    sign = np.empty(2 * n_slots)
    for o in range(n_slots):
        for side, nb in enumerate((left[o], right[o])):
            at = twin[o] if axis[o] != axis[nb] and twin[o] >= 0 else o
            start[2 * o + side] = slope[at]
            stop[2 * o + side] = slope[nb]
            horizontal[2 * o + side] = axis[nb] == 0
            sign[2 * o + side] = 1.0 if nb < n_o else -1.0
    return start, stop, horizontal, sign


class ShearletSystem:
    """A bank of complex shearlet filters for images of one shape.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(rows, cols)``, each at least 3.
    kind : {"edge", "ridge", "blob"}
        ``"edge"`` filters are sampled half a pixel off origin along their wavelet axis
        (so that a step between two pixels gives one peak); ``"ridge"`` systems hold every
        filter twice, on and off origin, for odd and even ridge widths.  ``"blob"``
        systems hold SymFD molecules (see Notes).
    preset : {"default", "coshrem", "small"}
        Named parameter set, see :func:`shearfeat.presets`.
    mode : {"reflect", "periodic"}
        ``"reflect"`` pads the image by symmetric reflection by the support of the widest
        filter a measure reads (rounded up to an FFT-friendly size) and crops the result;
        ``"periodic"`` convolves circularly as the CoShREM toolbox does.
    dtype : {numpy.float32, numpy.float64}
        Precision of the filters and of the coefficients (complex64 or complex128).
    **params
        Overrides of the preset: ``wavelet_width``, ``gaussian_width``,
        ``scales_per_octave``, ``octaves``, ``shear_level``, ``alpha``; for blobs
        ``min_diameter``, ``max_diameter``, ``scales_per_octave``, ``rotations``.

    Attributes
    ----------
    params : ShearletParams or BlobParams
    n_filters : int
        K: ``n_scales * n_orientations`` (edge, blob) or twice that (ridge).
    scales, orientations, off_origin : (K,) int ndarray
        Scale index (0 coarsest), orientation index and on/off-origin flag of each filter.
    angles : (K,) float ndarray
        Tangent angle in degrees in [0, 180) of the feature each filter answers to best:
        0 for a vertical edge or ridge, 90 for a horizontal one (matrix coordinates).
    transform_shape : tuple of int
        Shape of the FFTs (the padded shape in ``"reflect"`` mode).
    padding : tuple of tuple of int
        ``((top, bottom), (left, right))`` reflection padding.
    measure_offset : int
        d: the measures compare scale s with scale s + d (one octave).
    ridge_widths : (n_scales, 2) int ndarray or None
        Ridge systems: width in pixels of the positive lobe of the even filter of each
        scale, on origin (odd widths) and off origin (even widths).
    ridge_response : (max_width + 1, n_scales) ndarray or None
        Ridge systems: even coefficient of each scale for a centred unit box ridge of each
        width (row 0 unused).
    blob_diameters, blob_scales : (n_scales,) ndarray or None
        Blob systems: the disk diameter each scale answers to best, and the scale ``a``
        (pixels) of its even molecule.

    Notes
    -----
    A blob system (Reisenhofer & King's symmetric molecules) has, per scale with
    molecule scale ``a`` and per rotation ``theta = r * 180 / n_orientations``: an even
    molecule ``m(u / a) m(v / a)`` (``m`` the Mexican hat, ``u`` along ``theta``, ``v``
    across) and an odd partner one octave coarser, ``H[m](u / 2a) * gauss(v / 2a)`` (``H``
    the Hilbert transform), every 1-D factor L1-normalised.  The even molecule is
    symmetric under quarter turns, so rotations ``r`` and ``r + n_orientations / 2``
    share it.  Filter ``k`` gives ``even + 1j * odd``.  Its first and last scales are
    guards beyond ``max_diameter`` and ``min_diameter``.

    Examples
    --------
    >>> import shearfeat as sf
    >>> system = sf.ShearletSystem((64, 64), kind="edge")
    >>> system.n_filters, system.n_scales, system.n_orientations
    (70, 7, 10)
    >>> system.transform(np.zeros((64, 64))).shape
    (70, 64, 64)
    """

    def __init__(self, shape, kind="edge", *, preset="default", mode="reflect",
                 dtype=np.float32, **params):
        self.shape = _check_shape(shape)
        self.kind = check_choice(kind, "kind", KINDS)
        self.mode = check_choice(mode, "mode", MODES)
        self.preset = preset
        real = np.dtype(dtype)
        if real not in _REAL_TO_COMPLEX:
            raise ValueError(f"dtype must be float32 or float64, got {real}")
        self.dtype = real
        self.complex_dtype = _REAL_TO_COMPLEX[real]
        self.params = resolve_params(self.shape, kind, preset, **params)
        p = self.params
        self.n_scales = p.n_scales
        self.n_orientations = p.n_orientations
        if self.kind == "blob":
            # The pivot may sit on any scale but the two guards.
            self.measure_offset = 1
            self.n_measure_scales = self.n_scales - 2
            self.orientation_table = None
        else:
            self.measure_offset = int(math.floor(1 * p.scales_per_octave + 1e-9))
            self.n_measure_scales = self.n_scales - self.measure_offset
            self.orientation_table = orientation_table(p.shear_level)

        self.padding, self.transform_shape = self._padding()
        self._build_normalisation()
        self._pair_spectra = None
        self._phases = None
        self._pair_rows = None
        self._pair_columns = None
        self._filters = None
        self._lock = threading.Lock()

        n_o, J = self.n_orientations, self.n_scales
        parities = 2 if self.kind == "ridge" else 1
        self.n_filters = J * n_o * parities
        grid = np.indices((J, n_o, parities)).reshape(3, -1)
        self.scales, self.orientations = grid[0], grid[1]
        if self.kind == "blob":
            self.off_origin = np.zeros(self.n_filters, int)
            self.angles = np.mod(self.orientations * 180.0 / n_o + 90.0, 180.0)
        else:
            self.off_origin = grid[2] if self.kind == "ridge" else np.ones(self.n_filters, int)
            self.angles = self.orientation_table.tangent_angle[self.orientations]

    # -- construction -----------------------------------------------------------------
    def _padding(self):
        if self.mode == "periodic":
            return ((0, 0), (0, 0)), self.shape
        radius = measure_radius(self.params, self.kind)
        padding, transform = [], []
        for n in self.shape:
            total = fast_length(n + 2 * radius)
            padding.append((radius, total - n - radius))
            transform.append(total)
        return tuple(padding), tuple(transform)

    def _build_normalisation(self):
        """Per-scale normalisation and, for ridges, the width and response tables."""
        J = self.n_scales
        self.blob_diameters = self.blob_scales = None
        if self.kind == "blob":
            # The molecules are normalised analytically (L1 norms of their factors).
            self._norm = None
            self.ridge_widths = self.ridge_response = None
            self.blob_diameters = self.params.diameters()
            self.blob_scales = self.blob_diameters / (2 * disk_peak())
            return
        M, N = self.transform_shape
        lengths = {0: M, 1: N}                      # wavelet axis -> samples along it
        a = [scale_factors(self.params, j)[0] for j in range(J)]
        if self.kind == "edge":
            # A unit step gives an odd coefficient of exactly 1 at every scale.
            self._norm = {(j, axis, 1): step_response(n, a[j], 0.5)
                          for j in range(J) for axis, n in lengths.items()}
            self.ridge_widths = self.ridge_response = None
            return
        # Ridges: L1 norm of the even part, per scale and parity; a box of the lobe's
        # width then gives an even coefficient of about 1/2.
        self._norm = {(j, axis, e): np.abs(even_profile(n, a[j], e / 2)).sum()
                      for j in range(J) for axis, n in lengths.items() for e in (0, 1)}
        n_ref = max(M, N)
        profiles = {(j, e): even_profile(n_ref, a[j], e / 2) / np.abs(
            even_profile(n_ref, a[j], e / 2)).sum() for j in range(J) for e in (0, 1)}
        widths = np.array([[positive_width(profiles[j, e], e) for e in (0, 1)]
                           for j in range(J)], dtype=np.int64)
        max_width = int(widths.max())
        response = np.zeros((max_width + 1, J))
        for w in range(1, max_width + 1):
            for j in range(J):
                response[w, j] = box_response(profiles[j, w % 2 == 0], w)
        self.ridge_widths = widths
        self.ridge_response = response

    def _blob_parts(self, j, r):
        """Even molecule and odd partner of scale j and rotation r (complex128 spectra,
        1/(M N) folded in); the even one depends on ``r`` modulo a quarter turn."""
        a = self.blob_scales[j]
        quarter = self.n_orientations // 2
        scale = 1.0 / np.prod(self.transform_shape)
        even = blob_even_spectrum(self.transform_shape, a, np.pi / 2 * (r % quarter) / quarter)
        odd = blob_odd_spectrum(self.transform_shape, 2 * a, np.pi * r / self.n_orientations)
        # A rotated filter is not symmetric on the Nyquist row or column of an even-length
        # axis (-pi is its own mirror there), so its even part would leak into the
        # imaginary output; drop those frequencies, as the shearlets do.
        for axis, n in enumerate(self.transform_shape):
            if n % 2 == 0:
                index = (slice(None),) * axis + (n // 2,)
                even[index] = 0
                odd[index] = 0
        return even * scale, odd * scale

    def _spectrum(self, j, o, off_origin):
        """Normalised spectrum of one filter (complex128), 1/(M N) folded in."""
        if self.kind == "blob":
            even, odd = self._blob_parts(j, o)
            return even + 1j * odd
        axis = int(self.orientation_table.wavelet_axis[o])
        shift = off_origin / 2
        if self.kind == "ridge":
            # Ridge filters are compared across the whole half circle of orientations, so
            # every off-origin filter sits half a pixel along +row or +col, whichever side
            # of the wavelet axis its odd part uses.  (Edge filters instead sit half a
            # pixel along their rising direction; see _edge_slot.)
            shift *= int(self.orientation_table.sign[o])
        spectrum = filter_spectrum(self.transform_shape, self.params,
                                   self.orientation_table, j, o, shift)
        return spectrum / (self._norm[j, axis, off_origin] * np.prod(self.transform_shape))

    def _filter_factors(self, j, o, off_origin):
        """One filter as its two factors: the normalised 1-D analytic wavelet along its
        axis (reflected frequencies, 1/(M N) folded in) and the window's numbers
        ``(wavelet_axis, slope, b)``; their product is :meth:`_spectrum`."""
        table = self.orientation_table
        axis = int(table.wavelet_axis[o])
        a, b = scale_factors(self.params, j)
        shift = off_origin / 2
        if self.kind == "ridge":
            shift *= int(table.sign[o])      # see _spectrum
        freq = -angular_frequencies(self.transform_shape[axis])
        wavelet = analytic_wavelet(table.sign[o] * freq, a, shift) / (
            self._norm[j, axis, off_origin] * np.prod(self.transform_shape))
        return np.ascontiguousarray(wavelet), np.array([axis, table.slope[o], b], float)

    def _build_blob_pairs(self, threads=None):
        """Per scale: ``even_r + i odd_r`` for the first half of the rotations (one inverse
        FFT gives both real maps), then ``odd_r + i odd_{r+1}`` for pairs of the rest.
        Shape (n_scales, 3 n_orientations / 4, M, N).  Built by a compiled kernel from
        the formulas of :meth:`_blob_parts` (which :attr:`filters` uses, and the tests
        compare against)."""
        from ._filters import blob_gains
        from ._input import resolve_threads
        from ._kernels import blob_pair_spectrum
        threads = resolve_threads(threads)
        half = self.n_orientations // 2
        theta = np.pi / 2 * np.arange(half) / half
        freq_r = -angular_frequencies(self.transform_shape[0])
        freq_c = -angular_frequencies(self.transform_shape[1])
        even_gain, odd_gain = np.array(blob_gains()) / np.prod(self.transform_shape)
        pairs = np.empty((self.n_scales, half + half // 2) + self.transform_shape,
                         self.complex_dtype)
        for j in range(self.n_scales):
            run_rows(blob_pair_spectrum, self.transform_shape[0], threads, freq_r, freq_c,
                     np.cos(theta), np.sin(theta), float(self.blob_scales[j]), even_gain,
                     odd_gain, pairs[j])
        return pairs

    def _build_pairs(self, threads=None):
        """Per orientation, spectra whose inverse FFT gives two real maps at once, as
        real spectra and the phase ramps that make them complex (see
        :attr:`_pair_phases`).

        Edges: real part of scale s (even, coarse) + i * imaginary part of scale s + d
        (odd, fine).  Ridges, per parity e: real part of scale s + d + i * imaginary part
        of scale s.  Shape (n_orientations, n_pairs, M, N).  Built by a compiled kernel
        from the same formulas as :meth:`_spectrum` (which :attr:`filters` uses, and the
        tests compare against).

        Both filters of a pair have the same wavelet axis and centre, and their wavelet's
        phase is the centre's ramp ``exp(-i u shift)`` along that axis (the window is
        real and even), so the pair is a real spectrum times that ramp: held so, it
        takes half the memory, and the multiply reads half the bytes.
        """
        from ._input import resolve_threads
        from ._kernels import pair_spectrum
        threads = resolve_threads(threads)
        d, S, n_o = self.measure_offset, self.n_measure_scales, self.n_orientations
        parities = (1,) if self.kind == "edge" else (0, 1)
        freq = [-angular_frequencies(n) for n in self.transform_shape]
        ones = [np.ones(n, np.complex128) for n in self.transform_shape]
        pairs = np.empty((n_o, len(parities) * S) + self.transform_shape, self.dtype)
        ramp_of = np.empty(pairs.shape[:2], np.int32)
        ramps = {}                               # (axis, centre) -> index
        unramps = []                             # (rows, cols) conjugate ramps, complex128
        for (o, e), (axis, centre) in self._pair_centres().items():
            i = parities.index(e)
            if (axis, centre) not in ramps:
                ramps[axis, centre] = len(unramps)
                factors = list(ones)
                factors[axis] = np.exp(1j * freq[axis] * centre)     # conj(exp(-i u s))
                unramps.append(factors)
            ramp_of[o, i * S:(i + 1) * S] = ramps[axis, centre]
        for o in range(n_o):
            for i, e in enumerate(parities):
                for s in range(S):
                    coarse = self._filter_factors(s, o, e)
                    fine = self._filter_factors(s + d, o, e)
                    real, imag = (coarse, fine) if self.kind == "edge" else (fine, coarse)
                    run_rows(pair_spectrum, self.transform_shape[0], threads, freq[0],
                             freq[1], *real, *imag, *unramps[ramp_of[o, i * S]],
                             pairs[o, i * S + s])
        row_ramps, col_ramps = (np.ascontiguousarray(
            np.conj([factors[axis] for factors in unramps]), self.complex_dtype)
            for axis in (0, 1))
        return pairs, (ramp_of, row_ramps, col_ramps)

    def _pair_centres(self):
        """``{(orientation, parity): (axis, centre)}`` for the pairs of an edge or ridge
        system: the wavelet axis and the centre (pixels along it, in the frequency sign
        of the wavelet) whose phase ramp ``exp(-i u centre)`` the pair's filters carry;
        ``(0, 0.0)`` for filters centred on the origin (no ramp)."""
        table = self.orientation_table
        out = {}
        for o in range(self.n_orientations):
            for e in ((1,) if self.kind == "edge" else (0, 1)):
                sign = float(table.sign[o])
                shift = e / 2 * (sign if self.kind == "ridge" else 1.0)   # _filter_factors
                centre = sign * shift                        # u = sign * freq
                out[o, e] = (int(table.wavelet_axis[o]), centre) if centre else (0, 0.0)
        return out

    @property
    def _pairs(self):
        """The measures' pair spectra, built on first use: complex for a blob system
        (see :meth:`_build_blob_pairs`), real for edges and ridges, whose phase ramps
        :attr:`_pair_phases` gives (see :meth:`_build_pairs`)."""
        self.check_measurable()
        with self._lock:
            if self._pair_spectra is None:
                if self.kind == "blob":
                    pairs, phases = self._build_blob_pairs(), None
                else:
                    pairs, phases = self._build_pairs()
                nonzero = pairs != 0
                self._pair_rows = np.ascontiguousarray(nonzero.any(axis=-1))
                self._pair_columns = tuple(support_columns(group.any(axis=(0, 1)))
                                           for group in nonzero)
                self._phases = phases
                self._pair_spectra = pairs
            return self._pair_spectra

    @property
    def _pair_phases(self):
        """None (blob systems: complex pairs), or the phase ramps of the real pair
        spectra of an edge or ridge system: ``(ramp_of, row_ramps, col_ramps)``, where
        pair p of group f is ``_pairs[f, p] * row_ramps[v][:, None] * col_ramps[v]``
        with ``v = ramp_of[f, p]`` (one ramp for each centre and axis the filters use,
        1 for filters centred on the origin)."""
        self._pairs
        return self._phases

    @property
    def _nonzero_rows(self):
        """(groups, pairs, M') bool: which rows of each pair spectrum are not all zero
        (half of a blob system's rows are: the multiply skips reading them)."""
        self._pairs
        return self._pair_rows

    @property
    def _nonzero_columns(self):
        """For each group of pair spectra, the column ranges outside which all its
        spectra are zero, or None (see :func:`support_columns`): the inverse FFT then
        transforms only those columns, then every row (the coarse blob scales are
        nonzero on a tenth of the columns)."""
        self._pairs
        return self._pair_columns

    def check_measurable(self):
        """Raise ValueError if this system has too few scales for its measure."""
        if self.n_measure_scales < 1:
            raise ValueError(
                f"the {self.kind} measure compares scales one octave apart, which needs "
                f"more than {self.measure_offset} scales; this system has {self.n_scales} "
                f"(preset={self.preset!r}); raise octaves")

    @property
    def filters(self):
        """(K, M', N') complex spectra of every filter on the transform grid, in FFT order.

        Built on first use (K full-size spectra can be large); ``ifft2(fft2(padded) *
        filters[k])`` is the k-th coefficient map.
        """
        with self._lock:
            if self._filters is None:
                out = np.empty((self.n_filters,) + self.transform_shape, self.complex_dtype)
                for k in range(self.n_filters):
                    out[k] = self._spectrum(int(self.scales[k]), int(self.orientations[k]),
                                            int(self.off_origin[k]))
                self._filters = _flush_tiny(out)
            return self._filters

    # -- metadata -----------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Bytes held by the filter spectra of this system."""
        total = 0 if self._pair_spectra is None else self._pair_spectra.nbytes + sum(
            a.nbytes for a in (self._phases or ()))
        return total + (0 if self._filters is None else self._filters.nbytes)

    @property
    def _pair_groups(self) -> int:
        """How many groups of pair spectra the measures stream over: orientations of an
        edge or ridge system, scales of a blob system."""
        return self.n_scales if self.kind == "blob" else self.n_orientations

    def memory_estimate(self, threads=1, pivot_scales=None) -> dict:
        """Bytes a measure call on this system holds at its peak, without building it.

        Parameters
        ----------
        threads : int
            Threads of the call: each worker (at most one per orientation, or per scale
            of a blob system) has its own FFT buffers and, for edges and ridges, its own
            per-pixel state.
        pivot_scales : {"lowest", "all", "highest"}, optional
            Edges: the call's ``pivot_scales``, whose odd responses it keeps for the
            orientation fit (default: all, the most it keeps).  Ignored by ridges and
            blobs.

        Returns
        -------
        dict
            ``filters``: the pair spectra the system keeps (cached between calls);
            ``work``: per call, the FFT buffers, the pivot responses of every orientation
            and the per-pixel state; ``total``: their sum.
        """
        if int(threads) < 1:
            raise ValueError(f"threads must be >= 1, got {threads!r}")
        pixels = int(np.prod(self.transform_shape))
        complex_size = self.complex_dtype.itemsize
        real_size = self.dtype.itemsize
        workers = min(int(threads), self._pair_groups)
        images = 2 * int(np.prod(self.shape)) * real_size      # the normalised input, a crop
        if self.kind == "blob":
            per_group = 3 * self.n_orientations // 4
            stack = self.n_scales * (self.n_orientations // 2 + 2) * pixels * real_size
            shared = stack + 6 * pixels * real_size            # the stacks, six results
            own = 0                                            # nothing to merge
        else:
            per_group = max(self.n_measure_scales, 0) * (2 if self.kind == "ridge" else 1)
            kept = per_group
            if self.kind == "edge" and pivot_scales is not None and per_group > 0:
                from ._stream import pivot_mask
                kept = int(pivot_mask(pivot_scales, self.n_measure_scales).sum())
            stack = self.n_orientations * kept * pixels * real_size
            own = 3 * pixels * 4                               # the best so far
            maps = 3 if self.kind == "ridge" else 2            # orientation, share / width, height
            shared = stack + maps * pixels * real_size
        # real pair spectra and their phase ramps (edges, ridges), complex ones (blobs)
        filters = self._pair_groups * per_group * pixels * (
            complex_size if self.kind == "blob" else real_size)
        if self.kind != "blob":
            ramps = len(set(self._pair_centres().values()))
            filters += self._pair_groups * per_group * 4 + ramps * sum(
                self.transform_shape) * complex_size
        fft = (2 + per_group) * pixels * complex_size        # in-place inverse plans
        work = workers * (fft + own) + shared + images
        return {"filters": filters, "work": work, "total": filters + work}

    def __repr__(self):
        return (f"ShearletSystem(shape={self.shape}, kind={self.kind!r}, "
                f"preset={self.preset!r}, mode={self.mode!r}, dtype={self.dtype.name}, "
                f"n_filters={self.n_filters}, n_scales={self.n_scales}, "
                f"n_orientations={self.n_orientations}, "
                f"transform_shape={self.transform_shape})")

    # -- use ------------------------------------------------------------------------------
    def pad(self, image):
        """Return ``image`` (or a stack of images along leading axes) padded to
        :attr:`transform_shape` as the mode requires."""
        if self.mode == "periodic":
            return image
        return np.pad(image, ((0, 0),) * (image.ndim - 2) + self.padding, mode="symmetric")

    def crop(self, array):
        """Crop the last two axes of a transform-shaped array back to :attr:`shape`."""
        (top, _), (left, _) = self.padding
        return array[..., top:top + self.shape[0], left:left + self.shape[1]]

    def transform(self, image, *, threads=None):
        """Complex shearlet coefficients of an image.

        Parameters
        ----------
        image : (M, N) array_like
            Real image of this system's shape.
        threads : int, optional
            FFTW threads; default ``$SHEARFEAT_NUM_THREADS`` or all cores.

        Returns
        -------
        coefficients : (K, M, N) complex ndarray
            ``coefficients[k] = sum_y image(y) * filter_k(y - x)``, complex64 for a
            float32 system; the real part is the even (ridge-like) response, the
            imaginary part the odd (edge-like) one.  Filter k has scale
            ``self.scales[k]`` and tangent angle ``self.angles[k]``.
        """
        from ._input import resolve_threads
        image = as_image(image)
        if image.shape != self.shape:
            raise ValueError(f"image has shape {image.shape}, this system was built for "
                             f"{self.shape}")
        threads = resolve_threads(threads)
        filters = self.filters
        batch = self.n_orientations
        plans = _fft.get_plans(self.transform_shape, batch, self.complex_dtype, threads)
        plans.image[...] = self.pad(image - image.mean())
        spectrum = plans.forward()
        out = np.empty((self.n_filters,) + self.shape, self.complex_dtype)
        for start in range(0, self.n_filters, batch):
            np.multiply(filters[start:start + batch], spectrum, out=plans.products)
            out[start:start + batch] = self.crop(plans.inverse())
        return out


# -- the bounded cache of systems used by the measures ---------------------------------------
_CACHE_MAX_SYSTEMS = 8
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
_build_locks: dict = {}


def _new_locks_in_child():
    """A forked child starts with unheld locks (see ``_fft._new_lock_in_child``)."""
    global _cache_lock
    _cache_lock = threading.Lock()
    _build_locks.clear()


os.register_at_fork(after_in_child=_new_locks_in_child)


def _cache_budget() -> int:
    budget = _env.cache_bytes()
    return 2 * 1024 ** 3 if budget is None else budget


def cached_system(shape, kind, *, preset="default", mode="reflect", dtype=np.float32,
                  **params) -> ShearletSystem:
    """Return a shared system for these arguments, building it once.

    The cache holds at most 8 systems and at most ``$SHEARFEAT_CACHE_BYTES`` (2 GiB) of
    filter spectra; the least recently used system goes first.  Systems are read-only
    once built, so sharing them across threads is safe.
    """
    resolved = resolve_params(_check_shape(shape), kind, preset, **params)
    key = (tuple(shape), kind, check_choice(mode, "mode", MODES), np.dtype(dtype).str, resolved)
    with _cache_lock:
        system = _cache.get(key)
        if system is not None:
            _cache.move_to_end(key)
            return system
        build_lock = _build_locks.setdefault(key, threading.Lock())
    with build_lock:                      # one build per key, other keys build in parallel
        with _cache_lock:
            system = _cache.get(key)
        if system is None:
            system = ShearletSystem(shape, kind, preset=preset, mode=mode, dtype=dtype, **params)
            if system.n_measure_scales >= 1:
                system._pairs             # the measures need them; count them in the budget
            with _cache_lock:
                _cache[key] = system
                budget = _cache_budget()
                while len(_cache) > 1 and (len(_cache) > _CACHE_MAX_SYSTEMS or sum(
                        s.nbytes for s in _cache.values()) > budget):
                    _cache.popitem(last=False)
                _build_locks.pop(key, None)
    return system


def cache_info() -> dict:
    """What the caches hold: systems (with their bytes), FFT plan objects and the calling
    thread's reusable work arrays."""
    with _cache_lock:
        systems = [repr(s) for s in _cache.values()]
        nbytes = sum(s.nbytes for s in _cache.values())
    return {"systems": systems, "system_bytes": nbytes, "max_systems": _CACHE_MAX_SYSTEMS,
            "max_bytes": _cache_budget(), "fft_plans": _fft.plan_count(),
            "workspace_bytes": workspace_bytes()}


def clear_cache() -> None:
    """Empty the system cache and the FFT plan cache, and release the calling thread's
    work arrays."""
    with _cache_lock:
        _cache.clear()
    _fft.clear_plans()
    clear_workspaces()
