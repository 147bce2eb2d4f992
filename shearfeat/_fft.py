"""FFT plans: the only module that imports pyFFTW.

A :class:`Plans` object owns aligned buffers and two planned transforms for one
transform shape: the forward FFT of a block of images (often one) and a batched inverse
FFT of ``batch`` spectra.  Planned objects are an order of magnitude faster per call than
``pyfftw.interfaces`` (which re-plan and copy), so they are built once and reused.

Plans bind their buffers, so one object must never be used by two threads at once: the
cache below is keyed by the calling thread as well as by shape, dtype, batch, thread
count and planner effort, and it is bounded (least recently used plans are dropped).

Measuring plans takes about a second per shape, which a command-line call would pay
every time; FFTW's *wisdom* (what it learnt while planning) is therefore kept in a file,
``fftw-wisdom`` in ``$SHEARFEAT_CACHE_DIR`` (default ``$XDG_CACHE_HOME/shearfeat`` or
``~/.cache/shearfeat``), loaded before the first plan and saved after new ones.  Set
``SHEARFEAT_CACHE_DIR`` to an empty string to keep wisdom in memory only.  A missing,
unreadable or unwritable file only costs planning time.
"""

from __future__ import annotations

import os
import struct
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pyfftw

from . import _env

def _provider() -> str | None:
    """The version string of an FFTW loaded into the process's global symbol scope before
    pyFFTW, or None.  Such a library takes pyFFTW's calls instead of the FFTW that pyFFTW
    ships (the dynamic linker looks in the global scope first): Intel MKL's FFTW3
    wrappers do, when ``mkl-service`` or ``mkl_fft`` was imported first."""
    import ctypes
    try:
        scope = ctypes.CDLL(None)
    except OSError:
        return None
    for name in ("fftwf_version", "fftw_version"):
        try:
            return (ctypes.c_char * 128).in_dll(scope, name).value.decode("ascii", "replace")
        except ValueError:
            continue
    return None


#: What answers pyFFTW's calls when it is not FFTW itself (see :func:`_provider`), else
#: None.  Then planner flags have no effect, wisdom is neither loaded nor saved (the file
#: is left as it is), and column-pruned transforms, which such wrappers may refuse, run
#: as whole 2-D transforms.
_version = _provider()
FOREIGN_FFT = _version if _version is not None and not _version.startswith("fftw-") \
    else None
_warned = False


def _warn_foreign():
    global _warned
    if FOREIGN_FFT is None or _warned:
        return
    _warned = True
    import warnings
    warnings.warn(
        f"pyFFTW's calls go to {FOREIGN_FFT!r}, which was loaded into this process before "
        "pyFFTW (by mkl-service or mkl_fft, for example), not to FFTW: shearfeat works, "
        "but keeps no FFTW wisdom (its file is left untouched) and runs every transform "
        "whole; import shearfeat before those packages to use FFTW", RuntimeWarning,
        stacklevel=4)


_CACHE_SIZE = 16
#: Column plans a :class:`Plans` object keeps (one per pruned group of spectra).
_COLUMN_PLANS = 32
_cache: OrderedDict = OrderedDict()
#: Guards the plan cache and every call into FFTW but execution: FFTW's planner and its
#: wisdom import and export share tables, and "should only be called from one thread at
#: a time" (FFTW manual, Thread safety).  pyFFTW locks its planner, but not against the
#: wisdom calls, and measure workers plan in threads of their own: unguarded, a worker's
#: planning beside another's wisdom export corrupted the heap (an abort one run in two
#: when many new shapes were planned).  Reentrant: planning saves wisdom.
_lock = threading.RLock()


def _new_lock_in_child():
    """A forked child starts with an unheld lock: a thread of the parent that held it at
    the fork does not exist in the child, and would never release it."""
    global _lock
    _lock = threading.RLock()


os.register_at_fork(after_in_child=_new_lock_in_child)


_wisdom_loaded = False


def wisdom_path() -> Path | None:
    """Where FFTW wisdom is kept, or None when ``$SHEARFEAT_CACHE_DIR`` is empty."""
    folder = _env.cache_dir()
    return Path(folder) / "fftw-wisdom" if folder else None


_WISDOM_MAGIC = b"shearfeat-fftw-wisdom-1\n"


def encode_wisdom(wisdom) -> bytes:
    """FFTW's wisdom (three byte strings: double, single, long double) as file bytes."""
    return _WISDOM_MAGIC + b"".join(struct.pack("<Q", len(w)) + w for w in wisdom)


def decode_wisdom(data: bytes) -> tuple:
    """Inverse of :func:`encode_wisdom`; ValueError for anything else (no pickle)."""
    if not data.startswith(_WISDOM_MAGIC):
        raise ValueError("not a shearfeat wisdom file")
    parts, pos = [], len(_WISDOM_MAGIC)
    for _ in range(3):
        if pos + 8 > len(data):
            raise ValueError("truncated wisdom file")
        (size,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        if pos + size > len(data):
            raise ValueError("truncated wisdom file")
        parts.append(data[pos:pos + size])
        pos += size
    return tuple(parts)


def is_fftw_wisdom(wisdom) -> bool:
    """Whether exported wisdom (double, single, long double) is FFTW's own in the two
    precisions shearfeat plans in.  MKL's wrappers export nothing there (measured:
    ``(b"", b"", b"(fftw-3.3.5 fftwl_wisdom ...")``, the long double part being the
    FFTW that pyFFTW ships, which MKL does not replace)."""
    return all(part.startswith(b"(fftw-") for part in wisdom[:2])


def _load_wisdom():
    global _wisdom_loaded
    _wisdom_loaded = True
    path = wisdom_path()
    if path is None or not path.is_file() or FOREIGN_FFT is not None:
        return
    try:
        pyfftw.import_wisdom(decode_wisdom(path.read_bytes()))
    except (OSError, ValueError):   # unreadable or corrupt: plan from scratch, replace it
        pass


def _save_wisdom():
    path = wisdom_path()
    if path is None or FOREIGN_FFT is not None:
        return
    wisdom = pyfftw.export_wisdom()
    if not is_fftw_wisdom(wisdom):
        return                    # not FFTW's: keep the file as it is
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fftw-wisdom.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode_wisdom(wisdom))
        os.replace(tmp, path)
    except OSError:
        pass


#: Transforms of at most this many points (64 x 64) are planned with ``FFTW_PATIENT`` by
#: default: for the small images of a pipeline it finds plans about 15% faster than
#: ``FFTW_MEASURE`` (32 x 32 coefficients, 2 threads) and plans in well under a second.
PATIENT_MAX_POINTS = 64 * 64


def default_effort(shape=None) -> str:
    """Planner effort: ``$SHEARFEAT_FFT_EFFORT`` if set, else ``FFTW_PATIENT`` for a
    transform ``shape`` of at most :data:`PATIENT_MAX_POINTS` points and
    ``FFTW_MEASURE`` otherwise."""
    effort = _env.fft_effort()
    if effort is None:
        small = shape is not None and int(np.prod(shape)) <= PATIENT_MAX_POINTS
        effort = "FFTW_PATIENT" if small else "FFTW_MEASURE"
    return effort


class Plans:
    """Planned forward and batched inverse FFTs for one shape and dtype.

    Parameters
    ----------
    shape : tuple of int
        The 2-D transform shape.
    batch : int
        Number of spectra transformed by one call of :meth:`inverse`.
    dtype : numpy.dtype
        ``complex64`` or ``complex128``.
    threads : int
        FFTW threads per transform.
    effort : str
        FFTW planner flag.
    images : int
        Number of images transformed by one call of :meth:`forward` (a block of small
        images shares one plan).
    in_place : bool
        The inverse transform overwrites :attr:`products` (then :attr:`coefficients` is
        the same array): a batch of spectra less memory, at no cost in time (FFTW's
        in-place plans measured no slower than its out-of-place ones here).  Such
        plans cannot write into another array (:meth:`inverse` refuses ``out``).

    Attributes
    ----------
    image : (images, M, N) complex ndarray
        Input of the forward transform; write the (padded) images here.
    spectrum : (images, M, N) complex ndarray
        Output of the forward transform.
    products : (batch, M, N) complex ndarray
        Input of the inverse transform.
    coefficients : (batch, M, N) complex ndarray
        Output of the inverse transform (unnormalised: the filters carry ``1 / (M N)``);
        :attr:`products` itself when ``in_place``.
    """

    def __init__(self, shape, batch, dtype, threads, effort, images=1, in_place=False):
        self.shape = tuple(shape)
        self.batch = int(batch)
        self.images = int(images)
        self.in_place = bool(in_place)
        self.dtype = np.dtype(dtype)
        flags = (effort, "FFTW_DESTROY_INPUT")
        self._flags, self._threads = flags, threads
        self._rows = None                     # built on first pruned inverse
        self._pruning_refused = FOREIGN_FFT is not None
        self._columns = OrderedDict()
        self.image = pyfftw.empty_aligned((self.images,) + self.shape, self.dtype)
        self.spectrum = pyfftw.empty_aligned((self.images,) + self.shape, self.dtype)
        self.products = pyfftw.empty_aligned((self.batch,) + self.shape, self.dtype)
        self.coefficients = self.products if self.in_place else \
            pyfftw.empty_aligned((self.batch,) + self.shape, self.dtype)
        with _lock:                           # see _lock
            self._forward = pyfftw.FFTW(self.image, self.spectrum, axes=(1, 2),
                                        direction="FFTW_FORWARD", flags=flags,
                                        threads=threads)
            self._inverse = pyfftw.FFTW(self.products, self.coefficients, axes=(1, 2),
                                        direction="FFTW_BACKWARD", flags=flags,
                                        threads=threads)

    def forward(self) -> np.ndarray:
        """Transform :attr:`image` into :attr:`spectrum` and return it."""
        self._forward.execute()
        return self.spectrum

    def inverse_columns(self, columns) -> np.ndarray:
        """Transform :attr:`products` into :attr:`coefficients`, like :meth:`inverse`,
        when only the column ranges ``columns`` (``((start, stop), ...)``) of the
        products are nonzero: the 1-D transforms along the columns run on those columns
        only (in place), then those along the rows on every row.  On the coarse blob
        scales, nonzero on a tenth of the columns, this takes a third of the time of the
        2-D transform; it agrees with it to rounding.  The products' other columns must
        be zero."""
        if self._pruning_refused:
            return self.inverse()
        plans = self._columns.get(columns)
        if plans is None:
            kept = self.products.copy()       # measuring plans overwrites their arrays
            try:
                plans = [self._plan(self.products[:, :, start:stop],
                                    self.products[:, :, start:stop], axes=(1,))
                         for start, stop in columns if stop > start]
                if self._rows is None:
                    self._rows = self._plan(self.products, self.coefficients, axes=(2,))
            except RuntimeError:             # a NULL plan: not FFTW, or FFTW says no
                self._pruning_refused = True
                self.products[...] = kept
                return self.inverse()
            self.products[...] = kept
            self._columns[columns] = plans
            while len(self._columns) > _COLUMN_PLANS:
                self._columns.popitem(last=False)
            if self._flags[0] != "FFTW_ESTIMATE":
                with _lock:
                    _save_wisdom()
        else:
            self._columns.move_to_end(columns)
        for plan in plans:
            plan.execute()
        self._rows.execute()
        return self.coefficients

    def _plan(self, source, target, axes):
        with _lock:                           # see _lock
            return pyfftw.FFTW(source, target, axes=axes, direction="FFTW_BACKWARD",
                               flags=self._flags, threads=self._threads)

    def inverse(self, out=None) -> np.ndarray:
        """Transform :attr:`products` into :attr:`coefficients`, or into ``out`` (an
        aligned array laid out like them), and return that."""
        if out is None:
            self._inverse.execute()
            return self.coefficients
        if self.in_place:
            raise ValueError("in-place plans transform their products in place, not into out")
        self._inverse.update_arrays(self.products, out)
        try:
            self._inverse.execute()
        finally:
            self._inverse.update_arrays(self.products, self.coefficients)
        return out


def empty_aligned(shape, dtype) -> np.ndarray:
    """An uninitialised array aligned for FFTW's SIMD code (e.g. for
    :meth:`Plans.inverse` to write into)."""
    return pyfftw.empty_aligned(shape, dtype)


def is_aligned(array) -> bool:
    """Whether ``array`` starts on FFTW's SIMD alignment (so a plan can write into it)."""
    return array.ctypes.data % pyfftw.simd_alignment == 0


def get_plans(shape, batch, dtype, threads, effort=None, images=1,
              in_place=False) -> Plans:
    """Return the calling thread's cached :class:`Plans`, building them if needed."""
    effort = default_effort(shape) if effort is None else effort
    key = (threading.get_ident(), tuple(shape), int(batch), np.dtype(dtype).str,
           int(threads), effort, int(images), bool(in_place))
    with _lock:
        plans = _cache.get(key)
        if plans is not None:
            _cache.move_to_end(key)
            return plans
    with _lock:
        if not _wisdom_loaded:
            _warn_foreign()
            _load_wisdom()
    plans = Plans(shape, batch, dtype, threads, effort, images, in_place)   # locks itself
    with _lock:
        _cache[key] = plans
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        if effort != "FFTW_ESTIMATE":
            _save_wisdom()
    return plans


def clear_plans() -> None:
    """Drop every cached plan (FFTW's wisdom stays, so re-planning is quick)."""
    with _lock:
        _cache.clear()


def plan_count() -> int:
    """Number of cached plan objects."""
    with _lock:
        return len(_cache)
