"""Feature stacks streamed into a Zarr store: equal to the in-memory extract, resumable
after a kill, corrupt chunks redone, on a local cluster too."""

import os
import signal
import subprocess
import sys
import time

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

zarr = pytest.importorskip("zarr")

import shearfeat as sf  # noqa: E402
from shearfeat.io import read_image  # noqa: E402
from shearfeat.store import extract_to_zarr, open_features  # noqa: E402
from shearfeat_cli.main import cli  # noqa: E402


def _images(folder, count, size=48, seed=0):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    base = np.zeros((size, size))
    base[:, size // 2:] = 1
    for i in range(count):
        image = np.roll(base, i % size, axis=1) * 150 + rng.random((size, size)) * 60
        iio.imwrite(folder / f"img{i:03d}.png", image.astype(np.uint8))
    return sorted(folder.glob("*.png"))


def _reference(files, **kwargs):
    return sf.extract([read_image(f) for f in files], **kwargs)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_zarr_equals_in_memory_extract(tmp_path):
    files = _images(tmp_path / "in", 40)
    result = run("extract", tmp_path / "in", "-o", tmp_path / "f.zarr", "--batch", 6,
                 "--features", "edges,ridges,blobs")
    assert result.exit_code == 0, result.output
    assert "40 image(s) computed" in result.output
    stack, attributes = open_features(tmp_path / "f.zarr")
    reference = _reference(files, features=("edges", "ridges", "blobs"))
    np.testing.assert_array_equal(np.asarray(stack), reference)
    assert attributes["names"] == list(sf.feature_names(("edges", "ridges", "blobs")))
    assert attributes["files"] == [str(f) for f in files]
    assert attributes["preset"] == "default" and attributes["mode"] == "reflect"
    array = zarr.open_array(str(tmp_path / "f.zarr" / "features"))
    assert array.chunks == (1,) + reference.shape[1:]            # one chunk per image


def test_a_stopped_run_resumes_to_the_same_store(tmp_path):
    files = _images(tmp_path / "in", 40)
    seen = []

    def stop_after_15(count):
        seen.append(count)
        if sum(seen) >= 15:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        extract_to_zarr(files, tmp_path / "f.zarr", batch_size=5, progress=stop_after_15)
    array = zarr.open_array(str(tmp_path / "f.zarr" / "features"))
    assert np.isnan(array[20]).all() and not np.isnan(array[10]).any()
    summary = extract_to_zarr(files, tmp_path / "f.zarr", batch_size=5, resume=True)
    assert summary["kept"] == 15 and summary["written"] == 25
    np.testing.assert_array_equal(array[:], _reference(files))


def test_corrupt_chunks_are_redone_not_kept(tmp_path):
    files = _images(tmp_path / "in", 12)
    extract_to_zarr(files, tmp_path / "f.zarr", batch_size=4)
    chunks = tmp_path / "f.zarr" / "features" / "c"
    cut = chunks / "3" / "0" / "0" / "0"
    cut.write_bytes(cut.read_bytes()[:20])                    # a write cut short
    flipped = chunks / "7" / "0" / "0" / "0"
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x10                              # a flipped bit
    flipped.write_bytes(bytes(data))
    (chunks / "9" / "0" / "0" / "0").unlink()                  # never written
    summary = extract_to_zarr(files, tmp_path / "f.zarr", resume=True)
    assert summary["kept"] == 9 and summary["written"] == 3
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "f.zarr" / "features"))[:],
                                  _reference(files))


def test_a_killed_cli_run_resumes(tmp_path):
    files = _images(tmp_path / "in", 40, size=160)
    store = tmp_path / "f.zarr"
    command = [sys.executable, "-m", "shearfeat_cli.main", "extract", str(tmp_path / "in"),
               "-o", str(store), "--batch", "1", "-q"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    chunks = store / "features" / "c"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and \
            (not chunks.exists() or len(os.listdir(chunks)) < 15):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)                       # no chance to clean up
    process.wait(timeout=30)
    written = len(os.listdir(chunks))
    assert 15 <= written < 40, written
    result = run("extract", tmp_path / "in", "-o", store, "--batch", 4, "--resume")
    assert result.exit_code == 0, result.output
    import re
    kept = int(re.search(r"(\d+) kept from before", result.output).group(1))
    assert kept in (written - 1, written), (kept, written)   # the last one may be cut short
    np.testing.assert_array_equal(zarr.open_array(str(store / "features"))[:],
                                  _reference(files))


def test_local_cluster_writes_the_same_store(tmp_path):
    pytest.importorskip("distributed")
    files = _images(tmp_path / "in", 24)
    result = run("extract", tmp_path / "in", "-o", tmp_path / "w.zarr", "--workers", 2,
                 "--batch", 4, "--features", "coefficients", "--preset", "small")
    assert result.exit_code == 0, result.output
    stack, _ = open_features(tmp_path / "w.zarr")
    np.testing.assert_array_equal(np.asarray(stack),
                                  _reference(files, features="coefficients", preset="small"))


def test_store_errors(tmp_path):
    files = _images(tmp_path / "in", 6)
    assert run("extract", tmp_path / "in", "-o", tmp_path / "f.zarr", "-q").exit_code == 0
    result = run("extract", tmp_path / "in", "-o", tmp_path / "f.zarr")
    assert result.exit_code == 2 and "--resume to continue it" in result.output
    result = run("extract", files[0], "-o", tmp_path / "f.zarr", "--resume")
    assert result.exit_code == 1 and "written for other inputs or parameters (files)" \
        in result.output
    result = run("extract", tmp_path / "in", "-o", tmp_path / "f.npz", "--resume")
    assert result.exit_code == 2 and "go with a .zarr output" in result.output
    (tmp_path / "mine.zarr").mkdir()
    (tmp_path / "mine.zarr" / "notes.txt").write_text("keep me")
    result = run("extract", tmp_path / "in", "-o", tmp_path / "mine.zarr", "--force")
    assert result.exit_code == 1 and "not a shearfeat feature store" in result.output
    assert (tmp_path / "mine.zarr" / "notes.txt").read_text() == "keep me"
    other = tmp_path / "other"
    other.mkdir()
    iio.imwrite(other / "a.png", np.zeros((48, 48), np.uint8))
    iio.imwrite(other / "b.png", np.zeros((32, 32), np.uint8))
    result = run("extract", other, "-o", tmp_path / "o.zarr")
    assert result.exit_code == 1 and "b.png: has shape (32, 32), the store holds (48, 48)" \
        in result.output
    code = ("import sys; sys.modules['zarr'] = None\n"
            "from shearfeat.store import extract_to_zarr\n"
            "try:\n    extract_to_zarr(['x.png'], 'x.zarr')\nexcept ImportError as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "pip install 'shearfeat[zarr]'" in done.stdout


def _eyes(folder, count):
    """Fundus-like pictures (a dark surround) of 64 x 64, shifted, and a flat one."""
    sys.path.insert(0, os.path.dirname(__file__))
    from synthetic import fundus
    folder.mkdir()
    image, inside, _ = fundus(n=64, radius=26)
    grey = np.round(255 * np.clip(image, 0, 1)).astype(np.uint8)
    for i in range(count):
        iio.imwrite(folder / f"eye{i}.png", np.roll(grey, 2 * i, axis=1))
    return sorted(folder.glob("eye*.png")), inside


def test_masked_store_equals_the_masked_extract_and_resumes_only_with_it(tmp_path):
    files, inside = _eyes(tmp_path / "in", 5)
    iio.imwrite(tmp_path / "fov.png", inside.astype(np.uint8))
    features = ("ridges", "blobs")
    for name, mask, option in (("file", inside, tmp_path / "fov.png"),
                               ("auto", "auto", "auto")):
        store = tmp_path / f"{name}.zarr"
        result = run("extract", tmp_path / "in", "-o", store, "--features", "ridges,blobs",
                     "--mask", option, "--mask-margin", 4, "--batch", 2)
        assert result.exit_code == 0, result.output
        stack, attributes = open_features(store)
        reference = _reference(files, features=features, mask=mask, mask_margin=4)
        np.testing.assert_array_equal(np.asarray(stack), reference)
        assert attributes["mask_margin"] == 4
        if name == "auto":
            assert attributes["mask"] == "auto"
        else:
            assert attributes["mask"].startswith("64x64 sha256:")
            assert not np.asarray(stack)[:, :, ~inside].any()
        # a resumed run must be given the same mask and margin
        for other in (("--mask", option, "--mask-margin", 3), ()):
            result = run("extract", tmp_path / "in", "-o", store, "--features",
                         "ridges,blobs", "--resume", *other)
            assert result.exit_code == 1 and "mask" in result.output, result.output
        result = run("extract", tmp_path / "in", "-o", store, "--features", "ridges,blobs",
                     "--resume", "--mask", option, "--mask-margin", 4)
        assert result.exit_code == 0 and "5 kept from before" in result.output
    # another mask of the same shape is another store
    moved = np.roll(inside, 3, axis=0)
    iio.imwrite(tmp_path / "moved.png", moved.astype(np.uint8))
    result = run("extract", tmp_path / "in", "-o", tmp_path / "file.zarr", "--features",
                 "ridges,blobs", "--resume", "--mask", tmp_path / "moved.png",
                 "--mask-margin", 4)
    assert result.exit_code == 1 and "(mask)" in result.output
    # the same through the .npz path
    result = run("extract", tmp_path / "in", "-o", tmp_path / "f.npz", "--features",
                 "ridges,blobs", "--mask", tmp_path / "fov.png", "--mask-margin", 4)
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "f.npz") as data:
        np.testing.assert_array_equal(data["features"], _reference(
            files, features=features, mask=inside, mask_margin=4))


def test_masked_store_errors(tmp_path):
    files, inside = _eyes(tmp_path / "in", 2)
    iio.imwrite(tmp_path / "in" / "flat.png", np.full((64, 64), 100, np.uint8))
    result = run("extract", tmp_path / "in", "-o", tmp_path / "a.zarr", "--mask", "auto")
    assert result.exit_code == 1 and "flat.png: no part of the image" in result.output
    assert "2 image(s) computed" in result.output                 # the others are written
    iio.imwrite(tmp_path / "small.png", np.ones((10, 10), np.uint8))
    for output in ("b.zarr", "b.npz"):
        result = run("extract", *files, "-o", tmp_path / output, "--mask",
                     tmp_path / "small.png")
        assert result.exit_code == 1 and "10" in result.output and "64" in result.output
    result = run("extract", *files, "-o", tmp_path / "c.npz", "--features", "coefficients",
                 "--mask", "auto")
    assert result.exit_code == 2 and "--mask goes with measure features" in result.output
    result = run("extract", *files, "-o", tmp_path / "d.zarr", "--mask-margin", 2)
    assert result.exit_code == 2 and "needs --mask" in result.output
    with pytest.raises(ValueError, match="one \\(M, N\\) field of view"):
        extract_to_zarr(files, tmp_path / "e.zarr", mask=np.stack([inside] * 2))
    with pytest.raises(ValueError, match="fill the images first"):
        extract_to_zarr(files, tmp_path / "e.zarr", features="coefficients", mask=inside)
