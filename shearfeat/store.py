"""Feature stacks of many image files in a Zarr store, a batch at a time, resumable.

:func:`extract_to_zarr` reads, computes (:func:`shearfeat.extract`) and writes a few
images at a time, so memory stays bounded whatever the number of images; the store
holds the (B, C, M, N) stack chunked per image, with the channel names, the file names
and the parameters as attributes.  Every chunk carries a CRC-32C checksum: a run that is
resumed reads back what it finds and redoes whatever is missing or does not check out
(a chunk cut short by a killed run, a flipped bit), so nothing is trusted that was not
verified.  With a ``distributed`` client the batches run on its workers, which read the
files and write their chunks themselves (each image is its own chunk, so writers never
meet); the paths must then be readable and writable from the workers.

Needs the ``zarr`` extra: ``pip install 'shearfeat[zarr]'`` (and ``shearfeat[dask]``
for a client).
"""

from __future__ import annotations

import os

import numpy as np

from . import __version__
from ._fill import check_margin, check_mask, field_of_view, is_auto, kept_inside
from .extract import COEFFICIENTS, _check_features, extract, feature_names
from .io import read_image

FORMAT = "shearfeat.features/1"
#: Batches in flight per worker thread of a client (the rest wait in the queue).
IN_FLIGHT_PER_THREAD = 2


def _zarr():
    try:
        import zarr
    except ImportError:
        raise ImportError("writing Zarr stores needs zarr, which is not installed: "
                          "pip install 'shearfeat[zarr]'") from None
    return zarr


def _key(features):
    return "coefficients" if features == (COEFFICIENTS,) else "features"


def _layout(first, features, preset, mode, kind):
    """Channels, their names and the dtype of one image's stack."""
    if features == (COEFFICIENTS,):
        probe = extract(np.zeros((1,) + first.shape, np.float32), features=features,
                        preset=preset, mode=mode, kind=kind, threads=1)
        return probe.shape[1], [], probe.dtype
    names = list(feature_names(features))
    return len(names), names, np.dtype(np.float32)


def _attributes(files, features, preset, mode, kind, names, mask, mask_margin):
    return {"format": FORMAT, "files": [str(f) for f in files], "names": names,
            "features": list(features), "preset": preset, "mode": mode, "kind": kind,
            "mask": _mask_record(mask), "mask_margin": mask_margin,
            "shearfeat_version": __version__}


def _mask_record(mask):
    """How the store's attributes name ``mask``: None, ``"auto"``, or the shape and the
    SHA-256 of the boolean mask's bytes (so that a resumed run checks it is the same)."""
    if mask is None or isinstance(mask, str):
        return mask
    import hashlib
    digest = hashlib.sha256(np.ascontiguousarray(mask, dtype=bool).tobytes()).hexdigest()
    return f"{mask.shape[0]}x{mask.shape[1]} sha256:{digest}"


def _is_store(zarr, path) -> bool:
    try:
        return zarr.open_group(path, mode="r").attrs.get("format") == FORMAT
    except Exception:                      # not a Zarr group at all
        return False


def _verified(array, index) -> bool:
    """Whether image ``index``'s chunk was written whole (it decodes, its checksum holds,
    and it is not the fill value of a chunk never written)."""
    try:
        chunk = array[index]
    except Exception:                      # a truncated or corrupt chunk
        return False
    return not np.isnan(chunk).all()


def process_batch(path, key, indices, files, features, preset, mode, kind, mask, mask_margin,
                  threads):
    """Read, compute and write the images ``indices`` of the store at ``path``; returns
    ``[(index, None or message)]``.  Runs where it is called: in the client's process or
    on a worker."""
    zarr = _zarr()
    array = zarr.open_array(os.path.join(path, key), mode="r+")
    shape = array.shape[2:]
    images, fields, kept, report = [], [], [], []
    for index, file in zip(indices, files):
        try:
            image = read_image(file).astype(np.float32)
            if image.shape != tuple(shape):
                raise ValueError(f"has shape {image.shape}, the store holds {tuple(shape)}")
            if mask is not None:        # an image whose field of view fails, fails alone
                field = field_of_view(image) if is_auto(mask) else mask
                kept_inside(field, mask_margin)
                fields.append(field)
            images.append(image)
            kept.append(index)
        except (OSError, ValueError) as exc:
            report.append((index, str(exc)))
    if images:
        stack = extract(np.stack(images), features=features, preset=preset, mode=mode,
                        kind=kind, mask=np.stack(fields) if fields else None,
                        mask_margin=mask_margin, threads=threads)
        for position, index in enumerate(kept):
            array[index] = stack[position]
            report.append((index, None))
    return sorted(report)


def extract_to_zarr(files, path, *, features=("edges", "ridges"), preset="default",
                    mode="reflect", kind="edge", mask=None, mask_margin=0, batch_size=8,
                    resume=False, overwrite=False, client=None, threads=None,
                    progress=None) -> dict:
    """Feature stacks of image files (one shape) into the Zarr store at ``path``.

    Parameters
    ----------
    files : sequence of str or Path
        Image files, all of one shape (the first one's); one of another shape, or one
        that cannot be read, is reported and left out (its chunk stays unwritten).
    path : str or Path
        The store (a folder), e.g. ``features.zarr``.
    features, preset, mode, kind
        As for :func:`shearfeat.extract`.
    mask : (M, N) array_like of bool, or "auto", optional
        The field of view of every image, or ``"auto"`` for each image's own; as for
        :func:`shearfeat.extract` (measure features only).  The store records it (a
        mask by its SHA-256), and a resumed run must pass the same.
    mask_margin : int
        As for :func:`shearfeat.extract`.
    batch_size : int
        Images read and computed together; memory grows with it, not with ``files``.
    resume : bool
        Continue a store that a stopped run left: the images whose chunks are there and
        verify are kept, the rest computed.  The store must have been made for the same
        files and parameters.
    overwrite : bool
        Replace an existing store.
    client : distributed.Client, optional
        Run the batches on its workers (at most two per worker thread in flight).
    threads : int, optional
        Threads of each batch run in this process (default: all cores; on workers 1).
    progress : callable, optional
        Called with the number of images finished after each batch.

    Returns
    -------
    dict
        ``written`` (images computed now), ``kept`` (verified from a previous run),
        ``failed`` (list of (file, message)), ``shape`` of the stack.
    """
    zarr = _zarr()
    files = [str(f) for f in files]
    if not files:
        raise ValueError("files is empty")
    features = _check_features(features)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    mask_margin = check_margin(mask_margin, "mask_margin")
    if mask is None and mask_margin:
        raise ValueError(f"mask_margin={mask_margin} needs a mask")
    if mask is not None and features == (COEFFICIENTS,):
        raise ValueError("mask applies to measure features; for coefficients, fill the "
                         "images first (shearfeat.fill_outside)")
    if mask is not None and not is_auto(mask):
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise ValueError(f"mask must be one (M, N) field of view for every image, got "
                             f"shape {mask.shape}")
    path = str(path)
    key = _key(features)
    exists = os.path.exists(path)
    if exists and not (resume or overwrite):
        raise FileExistsError(f"{path} exists; resume it or overwrite it")
    if exists and overwrite and not _is_store(zarr, path):
        raise FileExistsError(f"{path} exists and is not a shearfeat feature store; it is "
                              "not replaced (remove it yourself, or choose another name)")
    if resume and exists:
        group = zarr.open_group(path, mode="r+")
        array = group.get(key)
        stored = dict(group.attrs)
        expected = {k: stored.get(k) for k in ("format", "files", "features", "preset",
                                               "mode", "kind", "mask", "mask_margin")}
        if mask is not None and not is_auto(mask):
            mask = check_mask(mask, array.shape[2:] if array is not None else mask.shape)
        wanted = {"format": FORMAT, "files": files, "features": list(features),
                  "preset": preset, "mode": mode, "kind": kind,
                  "mask": _mask_record(mask), "mask_margin": mask_margin}
        if array is None or expected != wanted:
            differ = sorted(k for k in wanted if expected.get(k) != wanted[k])
            raise ValueError(f"{path} was written for other inputs or parameters "
                             f"({', '.join(differ) or key}); start it over instead")
        todo = [i for i in range(len(files)) if not _verified(array, i)]
    else:
        first = read_image(files[0])
        if mask is not None and not is_auto(mask):
            mask = check_mask(mask, first.shape)
        channels, names, dtype = _layout(first, features, preset, mode, kind)
        group = zarr.open_group(path, mode="w")
        from zarr.codecs import Crc32cCodec, ZstdCodec
        group.create_array(key, shape=(len(files), channels) + first.shape,
                           chunks=(1, channels) + first.shape, dtype=dtype,
                           fill_value=np.nan, compressors=[ZstdCodec(level=3),
                                                           Crc32cCodec()])
        group.attrs.update(_attributes(files, features, preset, mode, kind, names, mask,
                                       mask_margin))
        todo = list(range(len(files)))
    kept = len(files) - len(todo)
    if progress is not None and kept:
        progress(kept)
    batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    arguments = lambda batch: (path, key, batch, [files[i] for i in batch], features,  # noqa: E731
                               preset, mode, kind, mask, mask_margin)
    failed, written = [], 0

    def record(report):
        nonlocal written
        for index, message in report:
            if message is None:
                written += 1
            else:
                failed.append((files[index], message))
        if progress is not None:
            progress(len(report))

    if client is None:
        for batch in batches:
            record(process_batch(*arguments(batch), threads))
    else:
        from distributed import as_completed
        slots = max(1, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        queue = iter(batches)
        running = as_completed([client.submit(process_batch, *arguments(b), 1, pure=False)
                                for b in _take(queue, slots)])
        for future in running:
            record(future.result())
            for batch in _take(queue, 1):
                running.add(client.submit(process_batch, *arguments(batch), 1, pure=False))
    shape = zarr.open_array(os.path.join(path, key), mode="r").shape
    return {"written": written, "kept": kept, "failed": failed, "shape": shape}


def _take(iterator, count):
    out = []
    for item in iterator:
        out.append(item)
        if len(out) == count:
            break
    return out


def open_features(path):
    """The stack of a store written by :func:`extract_to_zarr`, as a lazy dask array (or a
    zarr array where Dask is not installed), with the store's attributes.

    Returns
    -------
    stack : (B, C, M, N) dask.array.Array or zarr.Array
    attributes : dict
        ``names``, ``files``, ``features``, ``preset``, ``mode``, ...
    """
    zarr = _zarr()
    group = zarr.open_group(str(path), mode="r")
    attributes = dict(group.attrs)
    if attributes.get("format") != FORMAT:
        raise ValueError(f"{path} is not a shearfeat feature store")
    array = group[_key(tuple(attributes["features"]))]
    try:
        import dask.array as da
    except ImportError:
        return array, attributes
    return da.from_zarr(array), attributes


__all__ = ["extract_to_zarr", "open_features", "process_batch"]
