import numpy as np
import pytest

import shearfeat as sf


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(4)
    images = rng.random((5, 40, 48)).astype(np.float32)
    images[:, :, 24:] += 1.0
    images[2] = 0.0                                   # a flat image among them
    return images


def test_measures_equal_per_image_calls(batch):
    stack = sf.extract(batch, features=("edges", "ridges"))
    names = sf.feature_names(("edges", "ridges"))
    assert stack.shape == (5, len(names), 40, 48) and stack.dtype == np.float32
    assert names == ("edges", "edges_cos2", "edges_sin2", "edges_strength",
                     "ridges", "ridges_cos2", "ridges_sin2", "ridges_width", "ridges_strength")
    for b, image in enumerate(batch):
        e = sf.edges(image)
        r = sf.ridges(image)
        np.testing.assert_array_equal(stack[b, 0], e.measure)
        angle = np.radians(2 * e.orientation.astype(np.float64))
        np.testing.assert_allclose(stack[b, 1], np.nan_to_num(np.cos(angle)), atol=1e-6)
        np.testing.assert_allclose(stack[b, 2], np.nan_to_num(np.sin(angle)), atol=1e-6)
        np.testing.assert_array_equal(stack[b, 3], e.strength)
        np.testing.assert_array_equal(stack[b, 4], r.measure)
        np.testing.assert_array_equal(stack[b, 7], r.width)
        np.testing.assert_array_equal(stack[b, 8], r.strength)
    assert not stack[2].any()                         # flat: zeros, no NaN
    assert np.isfinite(stack).all()


def test_blob_channels_equal_per_image_calls(batch):
    stack = sf.extract(batch[:3], features=("blobs", "edges"), max_diameter=16)
    names = sf.feature_names(("blobs", "edges"))
    assert names[:2] == ("blobs", "blobs_diameter") and stack.shape == (3, 6, 40, 48)
    for b in range(3):
        result = sf.blobs(batch[b], max_diameter=16)
        np.testing.assert_array_equal(stack[b, 0], result.measure)
        np.testing.assert_array_equal(stack[b, 1], result.diameter)
        np.testing.assert_array_equal(stack[b, 2], sf.edges(batch[b]).measure)


def test_orientation_channels_are_continuous_across_180_degrees():
    image = np.zeros((48, 48), np.float32)
    image[:, 24:] = 1                                 # vertical edge: 0 or 180 degrees
    stack = sf.extract(image, features="edges")
    assert stack.shape == (1, 4, 48, 48)
    assert stack[0, 1, 24, 23] == pytest.approx(1.0, abs=1e-4)
    assert stack[0, 2, 24, 23] == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize("kind,preset,k", [("edge", "small", 20), ("ridge", "small", 40),
                                           ("edge", "default", 70), ("blob", "small", 56)])
def test_coefficients_equal_transform(batch, kind, preset, k):
    coefficients = sf.extract(batch[:3], features="coefficients", preset=preset, kind=kind)
    assert coefficients.shape == (3, k, 40, 48) and coefficients.dtype == np.complex64
    system = sf.ShearletSystem((40, 48), kind, preset=preset)
    for b in range(3):
        expected = system.transform(batch[b])
        scale = np.abs(expected).max() + 1e-12
        np.testing.assert_allclose(coefficients[b], expected, atol=2e-5 * scale)


def test_batch_sizes_and_threads_agree(batch):
    reference = sf.extract(batch, features="coefficients", preset="small")
    for batch_size in (1, 2, 7):
        np.testing.assert_allclose(
            sf.extract(batch, features="coefficients", preset="small",
                       batch_size=batch_size), reference, rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        sf.extract(batch, features="coefficients", preset="small", threads=1), reference,
        atol=1e-6)
    np.testing.assert_allclose(sf.extract(batch, features="edges", threads=1),
                               sf.extract(batch, features="edges", threads=2), atol=1e-6)


@pytest.mark.parametrize("mode", ["periodic", "reflect"])
def test_blocks_of_images_equal_one_image_at_a_time(monkeypatch, mode):
    """Small images go through the transform in blocks; the edge kernels' point
    reflections wrap within each image (periodic mode reads across the border rows)."""
    from shearfeat import _tiles
    rng = np.random.default_rng(7)
    images = rng.random((7, 24, 20)).astype(np.float32)
    images[:, :3] += 2.0                              # strong edges at the border rows
    images[3] = 0.25                                  # flat
    monkeypatch.setattr(_tiles, "images_per_block", lambda system: 1)
    one_by_one = {threads: sf.extract(images, features=("edges", "ridges", "blobs"),
                                      preset="coshrem", mode=mode, threads=threads)
                  for threads in (1, 2)}
    monkeypatch.setattr(_tiles, "images_per_block", lambda system: 3)  # 3, 3, 1 + 2 flat
    for threads in (1, 2):
        stack = sf.extract(images, features=("edges", "ridges", "blobs"),
                           preset="coshrem", mode=mode, threads=threads)
        np.testing.assert_allclose(stack, one_by_one[threads], rtol=0, atol=1e-5)
        np.testing.assert_allclose(stack, one_by_one[1], rtol=0, atol=1e-5)
    assert not stack[3].any()


def test_absolute_min_contrast_in_blocks_equals_per_image_calls():
    rng = np.random.default_rng(8)
    images = rng.random((4, 32, 32)).astype(np.float32)
    images[1] *= 50.0                                 # different ranges, one block
    images[2] *= 0.01
    stack = sf.extract(images, features=("edges", "ridges"), min_contrast=0.05)
    for b, image in enumerate(images):
        np.testing.assert_allclose(stack[b, 0], sf.edges(image, min_contrast=0.05).measure,
                                   atol=1e-5)
        np.testing.assert_allclose(stack[b, 4], sf.ridges(image, min_contrast=0.05).measure,
                                   atol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("count,batch_size", [(5, 2), (13, 4), (3, 8)])
def test_periodic_coefficients_in_blocks_equal_transform(threads, count, batch_size):
    # 13 images in blocks of 4: three full blocks and one of 1; 5 in blocks of 2: two
    # and one; 3 with blocks of 8: one of 2 and one of 1.  The inverse FFT writes each
    # block into the result; with two threads the workers share the blocks out.
    images = np.random.default_rng(9).random((count, 40, 48)).astype(np.float32)
    coefficients = sf.extract(images, features="coefficients", preset="small",
                              mode="periodic", batch_size=batch_size, threads=threads)
    system = sf.ShearletSystem((40, 48), "edge", preset="small", mode="periodic")
    for b in range(count):
        expected = system.transform(images[b])
        np.testing.assert_allclose(coefficients[b], expected,
                                   atol=2e-5 * (np.abs(expected).max() + 1e-12))


@pytest.mark.parametrize("count,size", [(1, 1), (45, 16), (64, 16), (7, 25), (100, 7)])
def test_block_layout_covers_each_image_once_in_full_plans(count, size):
    from shearfeat.extract import block_layout
    blocks = block_layout(count, size)
    starts = [start for start, _ in blocks]
    lengths = [length for _, length in blocks]
    assert starts == list(np.cumsum([0] + lengths[:-1]))        # contiguous, in order
    assert sum(lengths) == count
    full = count // size
    assert lengths[:full] == [size] * full
    rest = lengths[full:]                                       # distinct powers of two
    assert all(n & (n - 1) == 0 for n in rest) and rest == sorted(set(rest), reverse=True)
    assert len(set(lengths)) <= int(np.log2(size)) + 2


def test_out_receives_the_result(batch):
    for kwargs in (dict(features="coefficients", preset="small", mode="periodic"),
                   dict(features="coefficients", preset="small"),
                   dict(features=("edges",))):
        expected = sf.extract(batch, **kwargs)
        out = np.full_like(expected, 7)
        assert sf.extract(batch, out=out, **kwargs) is out
        np.testing.assert_array_equal(out, expected)
    # an array FFTW cannot write into (misaligned) is filled through a copy
    raw = np.zeros(expected.nbytes + 4, np.uint8)
    misaligned = raw[4:].view(np.float32).reshape(expected.shape)
    np.testing.assert_array_equal(sf.extract(batch, out=misaligned, features=("edges",)),
                                  expected)
    coefficients = sf.extract(batch, features="coefficients", preset="small",
                              mode="periodic")
    raw = np.zeros(coefficients.nbytes + 8, np.uint8)
    misaligned = raw[8:].view(np.complex64).reshape(coefficients.shape)
    np.testing.assert_array_equal(
        sf.extract(batch, features="coefficients", preset="small", mode="periodic",
                   out=misaligned), coefficients)
    for bad in (np.zeros((5, 3, 40, 48)), np.zeros((5, 3, 40, 47), np.float32),
                np.zeros((5, 3, 48, 40), np.float32).transpose(0, 1, 3, 2), [0]):
        with pytest.raises(ValueError, match="out must be"):
            sf.extract(batch, features=("edges",), out=bad)


def test_iterators_are_consumed_once(batch):
    consumed = []

    def images():
        for image in batch:
            consumed.append(1)
            yield image
    stack = sf.extract(images(), features="edges")
    assert len(consumed) == 5
    np.testing.assert_array_equal(stack, sf.extract(batch, features="edges"))
    np.testing.assert_array_equal(sf.extract(list(batch), features="edges"), stack)


@pytest.mark.parametrize("images,error,message", [
    ([np.zeros((8, 8)), np.zeros((8, 9))], ValueError, "group the images by shape"),
    ([], ValueError, "empty"),
    (np.zeros((0, 8, 8)), ValueError, "empty"),
    (np.zeros((2, 2, 8, 8)), ValueError, "sequence of"),
    (5, TypeError, "iterable of images"),
    ([np.zeros((8, 8)), np.full((8, 8), np.nan)], ValueError, r"images\[1\] contains"),
])
def test_bad_images(images, error, message):
    with pytest.raises(error, match=message):
        sf.extract(images, features="edges")


@pytest.mark.parametrize("kwargs,message", [
    (dict(features=("edges", "blobz")), "valid names"),
    (dict(features=()), "valid names"),
    (dict(features=("edges", "coefficients")), "cannot be combined"),
    (dict(features=("edges", "edges")), "must not repeat"),
    (dict(batch_size=0), "batch_size"),
    (dict(kind="blobs"), "kind must be one of"),
    (dict(features=("edges",), max_diameter=20), r"\['max_diameter'\] are not taken"),
    (dict(mode="wrap"), "mode must be one of"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sf.extract(np.zeros((8, 8)), **kwargs)
