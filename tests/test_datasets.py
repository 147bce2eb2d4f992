import gzip
import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest

from shearfeat import datasets

STEMS = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def idx_bytes(array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    array = np.asarray(array)
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def write_set(folder, n_train=12, n_test=5, compress=True, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        STEMS[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        STEMS[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        STEMS[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        STEMS[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        data = idx_bytes(array)
        if compress:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return arrays


@pytest.fixture
def no_system_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEARFEAT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SHEARFEAT_DATA", raising=False)


@pytest.mark.parametrize("compress", [True, False])
def test_reads_idx_files(tmp_path, compress, no_system_data):
    arrays = write_set(tmp_path / "set", compress=compress)
    (X, y), (Xt, yt) = datasets.load_mnist(tmp_path / "set")
    np.testing.assert_array_equal(X, arrays[STEMS[0]])
    np.testing.assert_array_equal(y, arrays[STEMS[1]])
    np.testing.assert_array_equal(Xt, arrays[STEMS[2]])
    assert X.dtype == np.uint8 and yt.shape == (5,)


def test_other_idx_types(tmp_path):
    values = (np.arange(6).reshape(2, 3) / 7).astype(">f4")
    (tmp_path / "f.idx").write_bytes(idx_bytes(values))
    out = datasets.read_idx(tmp_path / "f.idx")
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, values)


def test_environment_folder(tmp_path, monkeypatch, no_system_data):
    write_set(tmp_path / "data" / "mnist")
    monkeypatch.setenv("SHEARFEAT_DATA", str(tmp_path / "data"))
    (X, _), _ = datasets.load_mnist()
    assert X.shape == (12, 28, 28)


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x08\x03\x00\x00", "truncated"),
    (b"PK\x03\x04 not an idx", "bad magic"),
    (bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x01" * 3, "declares"),
    # dimensions whose product overflows 64 bits used to pass the size check
    (bytes([0, 0, 8, 3]) + (2 ** 32 - 1).to_bytes(4, "big") * 3 + b"\x01" * 16, "declares"),
    (bytes([0, 0, 8, 2]) + (2 ** 32 - 1).to_bytes(4, "big") * 2, "declares"),
])
def test_bad_idx_files(tmp_path, content, message):
    (tmp_path / "bad").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        datasets.read_idx(tmp_path / "bad")


def test_mismatched_images_and_labels(tmp_path, no_system_data):
    write_set(tmp_path / "set")
    (tmp_path / "set" / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(ValueError, match="do not match"):
        datasets.load_mnist(tmp_path / "set")


def test_not_found_lists_where_it_looked(tmp_path, no_system_data):
    with pytest.raises(FileNotFoundError) as info:
        datasets.load_mnist(tmp_path / "empty")
    text = str(info.value)
    assert str(tmp_path / "empty") in text and "/usr/share/datasets/mnist" in text
    assert str(tmp_path / "cache") in text and "download=True" in text


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_download_checks_the_decompressed_data(server, tmp_path):
    folder, url = server
    arrays = write_set(folder, compress=True)
    known = {stem: hashlib.sha256(idx_bytes(a)).hexdigest() for stem, a in arrays.items()}
    good = datasets._Dataset("toy", url, sha256=known)
    target = tmp_path / "downloaded"
    datasets._download(good, STEMS, url, target)
    assert sorted(p.name for p in target.iterdir()) == sorted(s + ".gz" for s in STEMS)
    # A repackaged copy (other gzip header, same data) passes the same check.
    data = idx_bytes(arrays[STEMS[1]])
    repacked = gzip.compress(data, mtime=12345)
    datasets._verify(good, STEMS[1], repacked, "repacked")

    wrong = datasets._Dataset("toy", url, sha256=dict(known, **{STEMS[0]: "0" * 64}))
    other = tmp_path / "other"
    with pytest.raises(ValueError, match="checksum mismatch"):
        datasets._download(wrong, STEMS, url, other)
    assert not any(other.iterdir())                   # nothing unchecked is kept


def test_public_download_rejects_wrong_files(server, no_system_data, tmp_path):
    folder, url = server
    write_set(folder)
    with pytest.raises(ValueError, match="checksum mismatch"):
        datasets.load_mnist(tmp_path / "nothing", download=True, mirror=url)
    cache = tmp_path / "cache" / "datasets" / "mnist"
    assert not list(cache.glob("*.gz"))


def test_download_failure_is_reported(no_system_data, tmp_path):
    with pytest.raises(OSError, match="cannot download"):
        datasets.load_mnist(tmp_path / "nothing", download=True,
                            mirror="http://127.0.0.1:9/")
