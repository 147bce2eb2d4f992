"""Fashion-MNIST and MNIST from their official IDX files, with no hidden downloads.

The loaders look for the four files (``train-images-idx3-ubyte``, ..., gzipped or not)
in ``path``, in ``$SHEARFEAT_DATA`` (or its sub-folder named after the dataset), in
``/usr/share/datasets/<name>`` (where Debian's ``dataset-fashion-mnist`` package puts
them: ``apt-get install dataset-fashion-mnist``) and in the user cache
(``$SHEARFEAT_CACHE_DIR/datasets/<name>``, default ``~/.cache/shearfeat/...``).  They
download only with ``download=True``, into the user cache, and check what they got.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _env

_SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
           "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}


@dataclass(frozen=True)
class _Dataset:
    name: str
    url: str
    #: sha256 of each file's *decompressed* bytes: repackaged copies (Debian's) differ
    #: from the official .gz files in their gzip headers only.
    sha256: dict = field(default_factory=dict)
    #: md5 of the official .gz files, where the decompressed checksums are not known.
    gz_md5: dict = field(default_factory=dict)


FASHION_MNIST = _Dataset(
    "fashion-mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    sha256={
        "train-images-idx3-ubyte":
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte":
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte":
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte":
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    })

MNIST = _Dataset(
    "mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/",
    gz_md5={
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    })


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the folders looked in (``folders``)."""

    def __init__(self, name, folders, download_hint="pass download=True"):
        self.name, self.folders = name, list(folders)
        super().__init__(self.message(download_hint))

    def message(self, download_hint):
        """The explanation, ending with how to download (``download_hint``)."""
        looked = "\n  ".join(str(f) for f in self.folders)
        return (f"{self.name} not found; looked for train-images-idx3-ubyte(.gz) and the "
                f"other three files in:\n  {looked}\nInstall Debian's package "
                f"(apt-get install dataset-{self.name}) where there is one, put the files "
                f"in one of these folders, or {download_hint}")


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of its declared type and shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None
    return _parse_idx(data, path)


def _parse_idx(data: bytes, path) -> np.ndarray:
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize       # Python ints: no overflow
    if len(data) - header != expected:
        raise ValueError(f"{path}: IDX header declares {shape} ({expected} bytes of data) but "
                         f"the file holds {len(data) - header}")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(
        dtype.newbyteorder("="))


def _cache_dir(name) -> Path:
    folder = _env.cache_dir() or _env.default_cache_dir()
    return Path(folder) / "datasets" / name


def _candidates(dataset, path):
    folders = []
    if path is not None:
        folders.append(Path(path))
    env = _env.data_dir()
    if env:
        folders += [Path(env) / dataset.name, Path(env)]
    folders += [Path("/usr/share/datasets") / dataset.name, _cache_dir(dataset.name)]
    return folders


def _find(folder, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _locate(dataset, path):
    """The folder holding all four files, or None; and every folder looked in."""
    folders = _candidates(dataset, path)
    for folder in folders:
        stems = [s for split in _SPLITS.values() for s in split]
        found = [_find(folder, s) for s in stems]
        if all(found):
            return dict(zip(stems, found)), folders
    return None, folders


def _download(dataset, stems, base_url, folder):
    """Fetch ``stem.gz`` for each stem from ``base_url`` into ``folder``, checking each
    file before it is moved into place; nothing unchecked is left behind."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        target = folder / (stem + ".gz")
        if target.is_file():
            continue
        url = base_url.rstrip("/") + "/" + stem + ".gz"
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=folder)
        os.close(fd)
        try:
            try:
                with urllib.request.urlopen(url, timeout=60) as response, \
                        open(tmp, "wb") as handle:
                    while chunk := response.read(1 << 20):
                        handle.write(chunk)
            except OSError as exc:
                raise OSError(f"cannot download {url}: {exc}") from None
            raw = Path(tmp).read_bytes()
            _verify(dataset, stem, raw, url)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _verify(dataset, stem, raw, source):
    if stem in dataset.sha256:
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{source}: not a gzip file ({exc})") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != dataset.sha256[stem]:
            raise ValueError(f"{source}: checksum mismatch (sha256 of the decompressed data "
                             f"is {digest}, expected {dataset.sha256[stem]}); the file was "
                             "not kept")
    elif stem in dataset.gz_md5:
        digest = hashlib.md5(raw).hexdigest()
        if digest != dataset.gz_md5[stem]:
            raise ValueError(f"{source}: checksum mismatch (md5 {digest}, expected "
                             f"{dataset.gz_md5[stem]}); the file was not kept")


def _load(dataset, path, download, mirror):
    files, folders = _locate(dataset, path)
    if files is None and download:
        cache = _cache_dir(dataset.name)
        _download(dataset, [s for split in _SPLITS.values() for s in split],
                  mirror or dataset.url, cache)
        files, folders = _locate(dataset, path)
    if files is None:
        raise DatasetNotFoundError(dataset.name, folders)
    out = []
    for split in ("train", "test"):
        images = read_idx(files[_SPLITS[split][0]])
        labels = read_idx(files[_SPLITS[split][1]])
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(f"{files[_SPLITS[split][0]]}: {images.shape} images do not "
                             f"match {labels.shape} labels")
        out.append((images, labels))
    return tuple(out)


def load_fashion_mnist(path=None, *, download=False, mirror=None):
    """Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images, 28 x 28.

    Parameters
    ----------
    path : str or Path, optional
        A folder with the four IDX files; looked in first.
    download : bool
        Download the official files into the user cache if they are found nowhere,
        checking the sha256 of their decompressed data.
    mirror : str, optional
        Base URL to download from instead of the official one.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        uint8 images (n, 28, 28) as stored (0 background, 255 ink) and uint8 labels 0-9.

    Raises
    ------
    FileNotFoundError
        Listing every folder looked in, when the files are nowhere and ``download`` is
        False.
    """
    return _load(FASHION_MNIST, path, download, mirror)


def load_mnist(path=None, *, download=False, mirror=None):
    """MNIST digits, in the same IDX format and with the same search as
    :func:`load_fashion_mnist` (downloads are checked against the md5 of the official
    .gz files)."""
    return _load(MNIST, path, download, mirror)
