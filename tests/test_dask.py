"""shearfeat.dask: the measures on chunked images and feature stacks of collections, on
the threaded scheduler and on a distributed cluster of worker processes."""

import subprocess
import sys

from dataclasses import fields

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import shearfeat as sf  # noqa: E402
import shearfeat.dask as sfd  # noqa: E402


@pytest.fixture(scope="module")
def photo():
    from skimage import data, transform
    return transform.resize(data.camera().astype(np.float32), (1000, 900)).astype(np.float32)


def _close(lazy, whole, name, flipped=1e-3):
    difference = np.abs(np.asarray(lazy) - whole)
    # the in-memory tiling's tolerance (tests/test_tiles.py): near ties between
    # orientations flip in a few texture pixels, everything else agrees
    assert np.quantile(difference, 0.99) < 5e-3, name
    assert (difference > 0.02).mean() < flipped, name


def test_measures_on_chunks_equal_the_whole_image(photo):
    image = da.from_array(photo, chunks=(400, 350))
    blob_image = da.from_array(photo, chunks=500)         # the blob margin is 252 px
    e = sfd.edges(image)
    assert isinstance(e, sf.EdgeResult) and isinstance(e.measure, da.Array)
    assert e.measure.chunks == image.chunks and e.measure.dtype == np.float32
    whole = sf.edges(photo)
    measure, orientation = da.compute(e.measure, e.orientation)
    _close(measure, whole.measure, "edges")
    _close(e.strength.compute(), whole.strength, "edge strength")
    strong = (whole.measure > 0.5) & (measure > 0.5)
    error = np.abs((orientation[strong] - whole.orientation[strong] + 90) % 180 - 90)
    assert np.quantile(error, 0.99) < 1.0
    r, whole_r = sfd.ridges(image, polarity="both"), sf.ridges(photo, polarity="both")
    _close(r.measure.compute(), whole_r.measure, "ridges")
    # The strength spreads centre lines across their width (chunks measure that far
    # beyond their cores), so each flipped centre pixel differs across a ridge's width:
    # 0.11 % of the pixels here.
    _close(r.strength.compute(), whole_r.strength, "ridge strength", flipped=2e-3)
    b, whole_b = sfd.blobs(blob_image), sf.blobs(photo)
    _close(b.measure.compute(), whole_b.measure, "blobs")
    computed = sf.BlobResult(*da.compute(*(getattr(b, f.name) for f in fields(b))))
    _close(computed.peak_height, whole_b.peak_height, "blob peaks")
    # Peaks compare neighbours, so a near tie in a chunk's rounding may add or drop a
    # weak one; the blobs well above the threshold are the same, but for one by the left
    # border (at 462, 15), which a peak on the border itself absorbs in the chunks.
    # (A result built from maps does not correct the diameters for crowding, which
    # measures a picture of the blobs again: compare it with the maps' own diameters.)
    lazy_found, lazy_strength = computed.detect(with_strength=True)
    found, strength = whole_b.detect(with_strength=True, deblend=False)
    assert abs(len(lazy_found) - len(found)) <= 0.01 * len(found)
    strong = found[strength > 0.2]
    gap = np.abs(strong[:, None] - lazy_found[None]).max(axis=2).min(axis=1)
    assert len(strong) > 50 and np.count_nonzero(gap >= 0.05) <= 1, strong[gap >= 0.05]
    np.testing.assert_allclose(computed.detect(on="measure"),
                               whole_b.detect(on="measure", deblend=False), atol=0.05)


def test_options_reach_the_chunks(photo):
    image = da.from_array(photo[:600, :600], chunks=300)
    for lazy, whole in [
            (sfd.edges(image, min_contrast=5.0, pivot_scales="lowest"),
             sf.edges(photo[:600, :600], min_contrast=5.0, pivot_scales="lowest")),
            (sfd.ridges(image, polarity="dark", octaves=3.0),
             sf.ridges(photo[:600, :600], polarity="dark", octaves=3.0)),
            (sfd.blobs(image, min_diameter=6, max_diameter=24, polarity="dark"),
             sf.blobs(photo[:600, :600], min_diameter=6, max_diameter=24,
                      polarity="dark"))]:
        _close(lazy.measure.compute(), whole.measure, type(whole).__name__)


def test_extract_on_a_stack_is_exact():
    rng = np.random.default_rng(0)
    stack = rng.random((12, 64, 64)).astype(np.float32)
    lazy = sfd.extract(da.from_array(stack, chunks=(5, 64, 64)), features=("edges", "ridges"))
    assert lazy.shape == (12, 9, 64, 64) and lazy.chunks[0] == (5, 5, 2)
    np.testing.assert_array_equal(lazy.compute(), sf.extract(stack))
    coefficients = sfd.extract(da.from_array(stack, chunks=(4, 64, 64)),
                               features="coefficients", preset="small")
    assert coefficients.dtype == np.complex64 and coefficients.shape == (12, 20, 64, 64)
    np.testing.assert_array_equal(coefficients.compute(),
                                  sf.extract(stack, features="coefficients", preset="small"))


def test_extract_with_masks_is_exact():
    from synthetic import fundus
    image, inside, _ = fundus(n=64, radius=26)
    stack = np.stack([np.roll(image, 3 * i, axis=1) for i in range(5)])
    masks = np.stack([np.roll(inside, 3 * i, axis=1) for i in range(5)])
    lazy = da.from_array(stack, chunks=(2, 64, 64))
    # one field of view per image, in memory or chunked otherwise; one for all; estimated
    for mask in (masks, da.from_array(masks, chunks=(3, 64, 64)), inside, "auto"):
        expected = sf.extract(stack, features=("ridges",), mask=np.asarray(mask)
                              if not isinstance(mask, str) else mask, mask_margin=3)
        np.testing.assert_array_equal(
            sfd.extract(lazy, features=("ridges",), mask=mask, mask_margin=3).compute(),
            expected)
    with pytest.raises(ValueError, match="one field of view per image"):
        sfd.extract(lazy, mask=masks[:3])
    with pytest.raises(TypeError, match="takes no mask.*fill_outside"):
        sfd.ridges(da.from_array(image, chunks=64), mask=inside)


def test_distributed_workers_in_other_processes(photo):
    distributed = pytest.importorskip("distributed")
    image = np.tile(photo, (2, 2))[:1500, :1500]
    rng = np.random.default_rng(1)
    stack = rng.random((12, 64, 64)).astype(np.float32)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        e = sfd.edges(da.from_array(image, chunks=512))
        measure = client.compute(e.measure).result()
        ridges = client.compute(sfd.extract(da.from_array(stack, chunks=(3, 64, 64)),
                                            features=("ridges",))).result()
        workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2
    _close(measure, sf.edges(image).measure, "edges on workers")
    np.testing.assert_array_equal(ridges, sf.extract(stack, features=("ridges",)))


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="2-D .* dask array, got 3 dimensions"):
        sfd.edges(da.zeros((2, 64, 64), chunks=32))
    with pytest.raises(TypeError, match="must be a dask array.*in-memory"):
        sfd.ridges(np.zeros((64, 64)))
    with pytest.raises(ValueError, match=r"chunks of 64 pixels, smaller than the 100-pixel "
                                         r"margin.*rechunk"):
        sfd.edges(da.zeros((512, 512), chunks=64))
    with pytest.raises(ValueError, match="mode must be one of"):
        sfd.edges(da.zeros((512, 512), chunks=256), mode="periodic")
    with pytest.raises(ValueError, match=r"\(B, M, N\) dask array, got 2 dimensions"):
        sfd.extract(da.zeros((64, 64), chunks=32))
    with pytest.raises(ValueError, match="chunked along B only"):
        sfd.extract(da.zeros((4, 64, 64), chunks=(2, 32, 64)))
    with pytest.raises(TypeError, match="takes no 'threads'"):
        sfd.extract(da.zeros((4, 64, 64), chunks=(2, 64, 64)), threads=2)
    with pytest.raises(ValueError, match="features must be"):
        sfd.extract(da.zeros((4, 64, 64), chunks=(2, 64, 64)), features=("lines",))


def test_without_dask_the_message_says_what_to_install():
    code = ("import sys; sys.modules['dask'] = None; sys.modules['dask.array'] = None\n"
            "import shearfeat\n"
            "try:\n    import shearfeat.dask\nexcept ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "pip install 'shearfeat[dask]'" in done.stdout


def test_the_core_needs_no_dask():
    # (pyFFTW imports dask by itself when it is installed, for its own dask_fft
    # interface; shearfeat's modules never do, and work with dask blocked.)
    code = ("import sys; sys.modules['dask'] = None\n"
            "import numpy as np, shearfeat as sf\n"
            "print(sf.edges(np.eye(32)).measure.max() > 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
