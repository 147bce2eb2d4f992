import numpy as np
import pytest

import shearfeat as sf

MEASURES = [sf.edges, sf.ridges]


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("bad,error,message", [
    (np.zeros((2, 10)), ValueError, "at least 3x3"),
    (np.zeros((0, 0)), ValueError, "empty"),
    (np.zeros(10), ValueError, "must be 2-D"),
    (np.zeros((4, 5, 6, 7)), ValueError, "must be 2-D"),
    (np.zeros((8, 8, 5)), ValueError, "must be 2-D"),
    (np.zeros((8, 8, 3)), ValueError, "as_gray=True"),
    (np.zeros((8, 8), complex), TypeError, "must be real"),
    (np.array([[object()] * 4] * 4), TypeError, "real numeric"),
    (np.array([["a"] * 4] * 4), TypeError, "real numeric"),
    ([[1, 2, 3], [4, 5]], TypeError, "2-D numeric array"),
    (np.full((8, 8), np.nan), ValueError, "NaN or infinite"),
    (np.array([[0, 1, np.inf], [0, 1, 2], [0, 1, 2]]), ValueError, "1 NaN or infinite"),
])
def test_bad_images_raise_clear_errors(measure, bad, error, message):
    with pytest.raises(error, match=message):
        measure(bad)


def test_rgb_with_as_gray_uses_luminance():
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[:, 20:] = (255, 255, 255)
    gray = rgb[..., 0].astype(np.float32)
    converted = sf.edges(rgb, as_gray=True)
    np.testing.assert_allclose(converted.measure, sf.edges(gray).measure, atol=1e-6)
    rgba = np.concatenate([rgb, np.full((40, 40, 1), 255, np.uint8)], axis=2)
    np.testing.assert_allclose(sf.edges(rgba, as_gray=True).measure, converted.measure,
                               atol=1e-6)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_bad_threads(threads):
    with pytest.raises(ValueError, match="threads must be"):
        sf.edges(np.zeros((8, 8)), threads=threads)


def test_bad_thread_environment(monkeypatch):
    monkeypatch.setenv("SHEARFEAT_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="SHEARFEAT_NUM_THREADS"):
        sf.edges(np.zeros((8, 8)))


@pytest.mark.parametrize("shape", [(2, 5), (5,), "ab", None])
def test_bad_system_shapes(shape):
    with pytest.raises((ValueError, TypeError), match="shape"):
        sf.ShearletSystem(shape)


def test_bad_system_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        sf.ShearletSystem((8, 8), "blobby")
    with pytest.raises(ValueError, match="preset must be one of"):
        sf.ShearletSystem((8, 8), preset="huge")
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        sf.ShearletSystem((8, 8), dtype=np.int32)
    with pytest.raises(ValueError, match="shear_level"):
        sf.ShearletSystem((8, 8), shear_level=1)
    with pytest.raises(ValueError, match="wavelet_width"):
        sf.ShearletSystem((8, 8), wavelet_width=-3)


def test_as_gray_must_be_a_bool():
    with pytest.raises(TypeError, match="as_gray must be True or False, got 'no'"):
        sf.edges(np.zeros((8, 8, 3)), as_gray="no")
    with pytest.raises(TypeError, match="as_gray must be True or False"):
        sf.extract(np.zeros((2, 8, 8)), as_gray=1)


@pytest.mark.parametrize("dtype,want", [(np.uint8, np.float32), (np.uint16, np.float32),
                                        (np.float32, np.float32), (np.float64, np.float64)])
def test_colour_images_keep_the_dtype_promise(dtype, want):
    rgb = (np.random.default_rng(0).random((32, 32, 3)) * 200).astype(dtype)
    assert sf.edges(rgb, as_gray=True).measure.dtype == want
    stack = sf.extract([rgb, rgb[..., 0]], as_gray=True, features="coefficients",
                       preset="small")
    assert stack.dtype == (np.complex128 if want == np.float64 else np.complex64)


def test_masked_arrays():
    data = np.zeros((32, 32))
    data[:, 16:] = 1
    clean = np.ma.masked_array(data, mask=np.zeros_like(data, bool))
    np.testing.assert_array_equal(sf.edges(clean).measure, sf.edges(data).measure)
    holes = np.ma.masked_array(data, mask=data > 2)
    holes.mask[3, 4] = True
    with pytest.raises(ValueError, match=r"1 masked pixel.*filled"):
        sf.edges(holes)


def test_nan_advice_does_not_suggest_masking():
    with pytest.raises(ValueError, match="replace them first") as info:
        sf.edges(np.full((8, 8), np.nan))
    assert "mask" not in str(info.value)


@pytest.mark.parametrize("big", [1e307, 1.7e308])
def test_huge_float64_images_have_their_edges(big):
    image = np.zeros((48, 48))
    image[:, 24:] = 1.0
    with np.errstate(all="raise"):                      # no overflow on the way
        huge = sf.edges(image * big)
        ridge = sf.ridges(image * big, polarity="both")
    np.testing.assert_allclose(huge.measure, sf.edges(image).measure, atol=1e-12)
    assert np.isfinite(ridge.height).all()
    # an absolute min_contrast in the huge units, too (a variant)
    np.testing.assert_allclose(sf.edges(image * 1e307, min_contrast=1e306).measure,
                               sf.edges(image, min_contrast=0.1).measure, atol=1e-12)


def test_floating_point_errors_raised_by_the_caller_do_not_break_the_measures():
    # Filters' and tables' Gaussian tails underflow to 0 by design; a pipeline that sets
    # np.seterr(all="raise") before importing must still import and run every measure
    # (a fresh process: the tables are cached once computed).
    import subprocess
    import sys
    code = (
        "import numpy as np\n"
        "np.seterr(all='raise')\n"
        "import shearfeat as sf\n"
        "image = np.zeros((40, 44), np.float32)\n"
        "image[12:28, 14:30] = 1.0\n"
        "sf.edges(image); sf.ridges(image, polarity='both')\n"
        "found = sf.blobs(image, min_diameter=8, max_diameter=24).detect()\n"
        "sf.extract(image[None], features=('edges', 'ridges', 'blobs'))\n"
        "assert np.geterr()['under'] == 'raise'\n"      # the caller's state is restored
        "print(len(found))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) >= 1


def test_extract_validates_features_and_takes_as_gray():
    with pytest.raises(TypeError, match="features must be 'coefficients' or a sequence"):
        sf.extract(np.zeros((2, 8, 8)), features=None)
    rgb = np.zeros((3, 16, 16, 3), np.uint8)
    rgb[:, :, 8:] = 255
    stack = sf.extract(rgb, as_gray=True, features=("edges",))
    np.testing.assert_allclose(stack[:, 0], sf.extract(rgb[..., 0], features=("edges",))[:, 0])
