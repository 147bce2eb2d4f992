import numpy as np
import pytest

import naive
import shearfeat as sf
from shearfeat._stream import normalise
from shearfeat._system import cached_system
from shearfeat.edges import _edge_maps
from synthetic import step


def angle_error(a, b):
    return np.abs((np.asarray(a) - b + 90) % 180 - 90)


@pytest.mark.parametrize("theta", range(0, 180, 5))
def test_step_edge_at_every_angle(theta):
    # A quarter-pixel offset keeps the edge off pixel centres at every angle (a boundary
    # through pixel centres splits the response between two pixels).
    image, distance = step(theta, n=128, contrast=1.0, offset=0.25)
    result = sf.edges(image)
    centre = np.zeros(image.shape, bool)
    centre[48:80, 48:80] = True
    strong = centre & (result.measure > 0.5)
    assert strong.sum() >= 30
    # Every strong response lies near the true edge ...
    assert np.abs(distance[strong]).max() <= 1.5
    # ... the maximum across the edge is within 1 px of it and high (an ideal step
    # between pixels gives 1 - 1/50; this antialiased one about 0.85) ...
    use_rows = abs(np.cos(np.radians(theta))) >= abs(np.sin(np.radians(theta)))
    measure = result.measure if use_rows else result.measure.T
    dist = distance if use_rows else distance.T
    peaks = []
    for line in range(52, 76):
        peak = 48 + int(np.argmax(measure[line, 48:80]))
        assert abs(dist[line, peak]) <= 1.0
        peaks.append(measure[line, peak])
    assert min(peaks) > 0.7 and np.median(peaks) > 0.8
    # ... and the tangent angle is right within 2 degrees.
    assert angle_error(result.orientation[strong], theta).max() < 2.0


def test_axis_aligned_step_gives_one_minus_beta_over_contrast():
    image = np.zeros((96, 96), np.float64)
    image[:, 48:] = 10.0
    result = sf.edges(image, min_contrast=0.5)
    row = result.measure[48]
    assert int(row.argmax()) == 47                   # the pixel before the rise
    assert row.max() == pytest.approx(1 - 0.5 / 10, abs=0.005)
    assert angle_error(result.orientation[48, 47], 0.0) < 0.01


def test_contrast_invariance():
    rng = np.random.default_rng(3)
    image, _ = step(30, n=96, dtype=np.float64)
    image = image + 0.05 * rng.standard_normal(image.shape)
    a, b = 3.7, -12.5
    base = sf.edges(image)
    scaled = sf.edges(a * image + b)
    np.testing.assert_allclose(scaled.measure, base.measure, atol=1e-5)
    both = base.measure > 0
    assert angle_error(scaled.orientation[both], base.orientation[both]).max() < 1e-4
    # An absolute min_contrast scaled alike gives the same answer too.
    base = sf.edges(image.astype(np.float32), min_contrast=0.02)
    scaled = sf.edges((a * image + b).astype(np.float32), min_contrast=0.02 * a)
    np.testing.assert_allclose(scaled.measure, base.measure, atol=1e-5)


def test_edge_stays_under_noise():
    rng = np.random.default_rng(7)
    image, distance = step(20, n=128, contrast=1.0, dtype=np.float64)
    clean = sf.edges(image)
    noisy = sf.edges(image + 0.1 * rng.standard_normal(image.shape), pivot_scales="lowest")
    for row in range(40, 88):
        peak_clean = 32 + int(np.argmax(clean.measure[row, 32:96]))
        peak_noisy = 32 + int(np.argmax(noisy.measure[row, 32:96]))
        assert abs(peak_noisy - peak_clean) <= 1
        assert abs(distance[row, peak_noisy]) <= 1.5


def test_flat_image_gives_zeros_not_nan():
    result = sf.edges(np.full((20, 30), 7.0))
    assert not result.measure.any()
    assert np.isnan(result.orientation).all()


def test_no_nan_in_measure_and_nan_orientation_only_where_strength_is_zero():
    from skimage import data
    result = sf.edges(data.camera()[::2, ::2])
    assert np.isfinite(result.measure).all() and np.isfinite(result.strength).all()
    assert result.measure.min() >= 0 and result.measure.max() <= 1
    assert (np.isnan(result.orientation) == (result.strength == 0)).all()
    assert not np.isnan(result.orientation[result.measure > 0]).any()
    # the contrast alone grades pixels that fail the phase test: less than any that pass
    graded_only = (result.measure == 0) & (result.strength > 0)
    assert graded_only.any()
    assert result.strength[graded_only].max() <= sf.edges.__globals__[
        "EDGE_STRENGTH_FLOOR"] + 1e-6
    ok = result.orientation[~np.isnan(result.orientation)]
    assert ok.min() >= 0 and ok.max() < 180


@pytest.mark.parametrize("dtype,expected", [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.uint8, np.float32), (np.int64, np.float32),
                                            (np.bool_, np.float32), (np.float16, np.float32)])
def test_dtype_policy(dtype, expected):
    image = np.zeros((24, 24))
    image[:, 12:] = 1
    result = sf.edges(image.astype(dtype))
    assert result.measure.dtype == expected and result.orientation.dtype == expected
    assert result.measure.max() > 0.9


@pytest.mark.parametrize("mode", ["periodic", "reflect"])
@pytest.mark.parametrize("pivot_scales", ["all", "lowest", "highest"])
def test_kernels_equal_naive_reference(mode, pivot_scales):
    rng = np.random.default_rng(11)
    image = rng.random((21, 26))             # odd rows: the reflected slots wrap around
    image[:, 13:] += 2
    system = cached_system(image.shape, "edge", mode=mode, dtype=np.float64,
                           wavelet_width=12, gaussian_width=5, octaves=2.5)
    work, _ = normalise(image)
    from shearfeat._stream import pivot_mask
    pivot = pivot_mask(pivot_scales, system.n_measure_scales)
    expected_measure, expected_orientation = naive.edges(system, work, 0.02, pivot)
    for threads in (1, 2, 3):                # 3: orientations dealt 4, 3, 3
        measure, orientation, *_ = _edge_maps(system, work, 0.02, pivot, threads)
        np.testing.assert_allclose(measure, system.crop(expected_measure), atol=1e-12)
        np.testing.assert_allclose(orientation, system.crop(expected_orientation),
                                   atol=1e-9)


def test_non_square_and_odd_shapes():
    image = np.zeros((37, 90), np.float32)
    image[18:, :] = 1                        # horizontal edge between rows 17 and 18
    result = sf.edges(image)
    assert result.measure.shape == (37, 90)
    assert np.all(result.measure[:, 20:70].argmax(axis=0) == 17)
    assert angle_error(result.orientation[17, 20:70], 90).max() < 0.5


def test_presets_and_parameters():
    image, _ = step(60, n=64)
    assert sf.edges(image, preset="coshrem").measure.max() > 0.8
    assert sf.edges(image, shear_level=4).measure.max() > 0.8
    with pytest.raises(ValueError, match="more than 2 scales"):
        sf.edges(image, preset="small")
    with pytest.raises(TypeError, match="unknown shearlet parameter"):
        sf.edges(image, wavelet_widht=3)
    with pytest.raises(ValueError, match="pivot_scales"):
        sf.edges(image, pivot_scales="middle")
    with pytest.raises(ValueError, match="mode"):
        sf.edges(image, mode="wrap")
    with pytest.raises(ValueError, match="min_contrast"):
        sf.edges(image, min_contrast=-1)
    with pytest.raises(ValueError, match="alpha"):
        sf.edges(image, alpha=2)
