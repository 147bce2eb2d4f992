"""Threads and reusable work arrays: the shared pool that runs row blocks and workers
in parallel (compiled kernels and FFTW release the GIL), and each thread's work arrays.

Nothing here knows about shearlets; every layer above uses it.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_pool = None
_pool_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process's shared pool of ``os.cpu_count()`` threads."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                       thread_name_prefix="shearfeat")
        return _pool


def _forget_pool_in_child():
    """A forked child has none of its parent's threads: a pool inherited from it would
    take work and never run it (``multiprocessing``'s default on Linux deadlocked in the
    first parallel kernel), so the child starts its own pool when it needs one."""
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


def run_rows(kernel, n_rows, threads, *args):
    """Call ``kernel(*args, r0, r1)`` over row blocks, on ``threads`` threads (the
    calling thread and pool threads)."""
    if threads <= 1 or n_rows < 64:
        kernel(*args, 0, n_rows)
        return
    bounds = np.linspace(0, n_rows, threads + 1).astype(int)
    blocks = [(int(r0), int(r1)) for r0, r1 in zip(bounds[:-1], bounds[1:]) if r1 > r0]
    futures = [executor().submit(kernel, *args, r0, r1) for r0, r1 in blocks[1:]]
    try:
        kernel(*args, *blocks[0])          # the calling thread takes the first block
    finally:
        for future in futures:
            future.result()


_local = threading.local()
_WORKSPACES_PER_THREAD = 2
#: Work arrays larger than this are not kept between calls (their page faults then cost
#: little next to the transform of so large an image).
WORKSPACE_MAX_BYTES = 256 * 2 ** 20


def workspace(name, shapes, dtypes):
    """Per-thread work arrays, reused between calls with the same shapes.

    Fresh arrays of the size of dozens of images cost more in first-touch page faults
    than the kernels that fill them, so each thread keeps its last two workspaces of at
    most :data:`WORKSPACE_MAX_BYTES` each.  The arrays are overwritten by the next call:
    copy what must outlive it.
    """
    cache = getattr(_local, "workspaces", None)
    if cache is None:
        cache = _local.workspaces = {}
    key = (name, tuple(map(tuple, shapes)), tuple(np.dtype(d).str for d in dtypes))
    arrays = cache.pop(key, None)
    if arrays is None:
        arrays = [np.empty(shape, dtype) for shape, dtype in zip(shapes, dtypes)]
        if sum(a.nbytes for a in arrays) > WORKSPACE_MAX_BYTES:
            return arrays
        while len(cache) >= _WORKSPACES_PER_THREAD:
            cache.pop(next(iter(cache)))
    cache[key] = arrays
    return arrays


def workspace_bytes() -> int:
    """Bytes of work arrays the calling thread keeps."""
    cache = getattr(_local, "workspaces", {})
    return sum(a.nbytes for arrays in cache.values() for a in arrays)


def clear_workspaces() -> None:
    """Release the calling thread's work arrays."""
    _local.workspaces = {}
