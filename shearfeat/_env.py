"""The ``SHEARFEAT_*`` environment variables, parsed and bounded in one place.

Every variable is read through one function here, which raises a ``ValueError`` that
names the variable, the value found and what is allowed; :func:`check_environment`
reads them all at once (the command line calls it before any work).  Values that would
make no sense on this machine are refused rather than obeyed: a memory limit above the
physical memory, a thread count in the thousands.

========================  ===========================================  ===============
variable                  meaning                                      allowed
========================  ===========================================  ===============
SHEARFEAT_NUM_THREADS     threads of a call that does not say          1 - 1024
SHEARFEAT_MEMORY_LIMIT    bytes a measure call may use untiled         1 MiB - physical memory (default: 1/8 of it, 1.5-16 GiB)
SHEARFEAT_TILE_SIZE       transform side of a tile (overrides memory)  64 - 65536
SHEARFEAT_CACHE_BYTES     bytes of filters the system cache keeps      0 - physical memory
SHEARFEAT_FFT_EFFORT      FFTW planner effort                          estimate, measure, patient, exhaustive
SHEARFEAT_CACHE_DIR       folder of the FFTW wisdom and datasets       any path; empty: no files
SHEARFEAT_DATA            folder searched for datasets                 any path
========================  ===========================================  ===============
"""

from __future__ import annotations

import math
import os

MAX_THREADS = 1024
MIN_TILE, MAX_TILE = 64, 65536
FFT_EFFORTS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the OS does not say."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def _number(name, text):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {text!r}")
    return value


def _bounded(name, text, low, high, unit="", high_is=""):
    value = _number(name, text)
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low:,}{unit} to {high:,}{unit}"
                         f"{high_is}, got {text!r}")
    return value


def _integer(name, text, low, high):
    value = _bounded(name, text, low, high)
    if value != int(value):
        raise ValueError(f"{name} must be a whole number, got {text!r}")
    return int(value)


def _memory_bound():
    return physical_memory() or 2 ** 50


def num_threads() -> int | None:
    """``$SHEARFEAT_NUM_THREADS`` (1 to 1024), or None when unset."""
    text = os.environ.get("SHEARFEAT_NUM_THREADS")
    return None if text is None else _integer("SHEARFEAT_NUM_THREADS", text, 1, MAX_THREADS)


#: The default memory limit is this fraction of the physical memory, within the bounds
#: below: 3 GiB on a 24 GiB machine, 1.5 GiB on one of 12 GiB or less.
MEMORY_FRACTION = 1 / 8
DEFAULT_MEMORY_BOUNDS = (1.5 * 2 ** 30, 16 * 2 ** 30)


def default_memory_limit() -> int:
    """What a measure call may use untiled when ``$SHEARFEAT_MEMORY_LIMIT`` is unset:
    :data:`MEMORY_FRACTION` of the physical memory, at least 1.5 GiB and at most
    16 GiB (1.5 GiB where the machine does not say)."""
    low, high = DEFAULT_MEMORY_BOUNDS
    physical = physical_memory()
    return int(low if physical is None else min(max(physical * MEMORY_FRACTION, low), high))


def memory_limit() -> int:
    """``$SHEARFEAT_MEMORY_LIMIT`` in bytes (1 MiB to the physical memory), else
    :func:`default_memory_limit`."""
    text = os.environ.get("SHEARFEAT_MEMORY_LIMIT")
    if text is None:
        return default_memory_limit()
    return int(_bounded("SHEARFEAT_MEMORY_LIMIT", text, 2 ** 20, _memory_bound(),
                        " bytes", " (this machine's memory)"))


def tile_size() -> int | None:
    """``$SHEARFEAT_TILE_SIZE`` (64 to 65536 pixels), or None."""
    text = os.environ.get("SHEARFEAT_TILE_SIZE")
    return None if text is None else _integer("SHEARFEAT_TILE_SIZE", text, MIN_TILE,
                                              MAX_TILE)


def cache_bytes() -> int | None:
    """``$SHEARFEAT_CACHE_BYTES`` (0 to the physical memory), or None."""
    text = os.environ.get("SHEARFEAT_CACHE_BYTES")
    if text is None:
        return None
    return int(_bounded("SHEARFEAT_CACHE_BYTES", text, 0, _memory_bound(),
                        " bytes", " (this machine's memory)"))


def fft_effort() -> str | None:
    """``$SHEARFEAT_FFT_EFFORT`` as an FFTW flag name, or None."""
    text = os.environ.get("SHEARFEAT_FFT_EFFORT")
    if text is None:
        return None
    effort = text.strip().upper()
    if not effort.startswith("FFTW_"):
        effort = "FFTW_" + effort
    if effort not in FFT_EFFORTS:
        allowed = ", ".join(e[5:].lower() for e in FFT_EFFORTS)
        raise ValueError(f"SHEARFEAT_FFT_EFFORT must be one of {allowed}, got {text!r}")
    return effort


def default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/shearfeat``, or ``~/.cache/shearfeat``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                              ".cache")
    return os.path.join(base, "shearfeat")


def cache_dir() -> str:
    """``$SHEARFEAT_CACHE_DIR`` as set (an empty string means: keep no files), else
    :func:`default_cache_dir`."""
    folder = os.environ.get("SHEARFEAT_CACHE_DIR")
    return default_cache_dir() if folder is None else folder


def data_dir() -> str | None:
    """``$SHEARFEAT_DATA``, or None when unset or empty."""
    return os.environ.get("SHEARFEAT_DATA") or None


def check_environment() -> None:
    """Parse every ``SHEARFEAT_*`` variable; raise a ValueError naming each bad one."""
    problems = []
    for read in (num_threads, memory_limit, tile_size, cache_bytes, fft_effort):
        try:
            read()
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
