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
