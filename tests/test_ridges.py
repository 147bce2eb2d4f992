import numpy as np
import pytest

import naive
import shearfeat as sf
from shearfeat._stream import normalise, pivot_mask
from shearfeat._system import cached_system
from shearfeat.ridges import _ridge_maps
from synthetic import box_ridge


def angle_error(a, b):
    return np.abs((np.asarray(a) - b + 90) % 180 - 90)


def measured_widths():
    system = sf.ShearletSystem((96, 96), "ridge")
    return sorted(set(system.ridge_widths[system.measure_offset:].ravel().tolist()))


def test_measured_widths_of_default_preset():
    assert measured_widths() == [2, 3, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("width", measured_widths())
@pytest.mark.parametrize("vertical", [True, False])
@pytest.mark.parametrize("height", [2.0, -0.5])
def test_box_ridge_width_height_polarity(width, vertical, height):
    image, centre = box_ridge(width, n=96, height=height, vertical=vertical)
    polarity = "bright" if height > 0 else "dark"
    result = sf.ridges(image, polarity=polarity)
    profile = result.measure[48] if vertical else result.measure[:, 48]
    peak = int(profile.argmax())
    assert abs(peak - centre) <= 0.5
    where = (48, peak) if vertical else (peak, 48)
    # an ideal box of height h gives 1 - beta / |h|, beta = range / 30 = |h| / 30
    assert result.measure[where] == pytest.approx(1 - 1 / 30, abs=0.01)
    assert result.width[where] == width
    assert result.height[where] == pytest.approx(height, rel=0.02)
    assert angle_error(result.orientation[where], 0 if vertical else 90) < 1.0
    # the other polarity sees nothing, "both" sees the same ridge
    other = sf.ridges(image, polarity="dark" if height > 0 else "bright")
    assert other.measure.max() == 0
    both = sf.ridges(image, polarity="both")
    assert both.measure[where] == pytest.approx(result.measure[where], abs=1e-6)


@pytest.mark.parametrize("theta", [15, 30, 45, 60, 120, 150])
def test_oblique_ridge_orientation(theta):
    n = 128
    t = np.radians(theta)
    r, c = np.mgrid[:n, :n].astype(float)
    distance = (r - n / 2) * -np.sin(t) + (c - n / 2) * np.cos(t)
    image = np.clip(2.5 - np.abs(distance), 0, 1).astype(np.float32)   # ~4 px wide
    result = sf.ridges(image)
    line = (np.abs(distance) < 0.5) & (np.abs(r - n / 2) < 16) & (np.abs(c - n / 2) < 16)
    assert result.measure[line].min() > 0.5
    assert angle_error(result.orientation[line], theta).max() < 3.0


def test_contrast_invariance():
    rng = np.random.default_rng(5)
    image, _ = box_ridge(5, n=80, dtype=np.float64)
    image = image + 0.05 * rng.standard_normal(image.shape)
    base = sf.ridges(image, polarity="both")
    scaled = sf.ridges(2.5 * image + 40, polarity="both")
    np.testing.assert_allclose(scaled.measure, base.measure, atol=1e-5)
    np.testing.assert_allclose(scaled.width, base.width)
    np.testing.assert_allclose(scaled.height, 2.5 * base.height, rtol=1e-5, atol=1e-6)


def test_flat_image_gives_zeros_not_nan():
    result = sf.ridges(np.zeros((10, 12), np.uint8))
    for field in (result.measure, result.width, result.height):
        assert not field.any()
    assert np.isnan(result.orientation).all()


def test_outputs_are_finite_on_a_natural_image():
    from skimage import data
    result = sf.ridges(data.camera()[::2, ::2], polarity="both")
    for field in (result.measure, result.width, result.height):
        assert np.isfinite(field).all()
    assert (np.isnan(result.orientation) == (result.measure == 0)).all()
    assert result.measure.max() <= 1


@pytest.mark.parametrize("mode", ["periodic", "reflect"])
@pytest.mark.parametrize("keep", [1, -1, 0])
def test_kernels_equal_naive_reference(mode, keep):
    rng = np.random.default_rng(13)
    image = rng.random((22, 18))
    image[:, 8:11] += 2
    system = cached_system(image.shape, "ridge", mode=mode, dtype=np.float64,
                           wavelet_width=12, gaussian_width=5, octaves=2.5)
    work, _ = normalise(image)
    pivot = pivot_mask("all", system.n_measure_scales)
    expected = naive.ridges(system, work, 0.03, pivot, keep)
    for threads in (1, 2, 3):
        got = _ridge_maps(system, work, 0.03, pivot, keep, threads)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, system.crop(b), atol=1e-9)


def test_bad_polarity():
    with pytest.raises(ValueError, match="polarity must be one of"):
        sf.ridges(np.zeros((8, 8)), polarity="white")
