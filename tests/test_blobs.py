import numpy as np
import pytest

import naive
import shearfeat as sf
from shearfeat._stream import normalise
from shearfeat._system import cached_system
from shearfeat.blobs import _blob_maps
from synthetic import disk, disks


@pytest.mark.parametrize("diameter", [6, 8, 11, 16, 23, 32, 45, 60])
@pytest.mark.parametrize("polarity", ["bright", "dark"])
@pytest.mark.parametrize("slope", [0.0, 0.0005])
def test_one_disk_one_blob(diameter, polarity, slope):
    # Off-grid centres; the sloping background rises by an eighth of the disk's
    # contrast across the image along the columns, a sixteenth along the rows.  (Steeper
    # slopes pull the centres of the largest disks by a pixel or two: reflected at the
    # borders, a slope turns into roofs that the odd partners' long tails reach.)
    centre = (128.3, 127.6)
    height = 1.0 if polarity == "bright" else -1.0
    image = disk(centre, diameter, n=256, height=height, slope=slope)
    found = sf.blobs(image, polarity=polarity).detect()
    assert found.shape == (1, 3)
    row, col, size = found[0]
    assert np.hypot(row - centre[0], col - centre[1]) <= 1.0
    assert size == pytest.approx(diameter, rel=0.15)


def test_disk_diameter_and_height_are_exact_at_the_centre():
    image = disk((64, 64), 21, n=128, height=3.0, background=5.0)
    result = sf.blobs(image)
    assert result.measure.argmax() == 64 * 128 + 64
    assert result.diameter[64, 64] == pytest.approx(21, rel=0.03)
    assert result.height[64, 64] == pytest.approx(3.0, rel=0.03)
    assert result.measure[64, 64] > 0.8


def test_polarity_selects_bright_or_dark():
    image = disk((50, 50), 14, n=160) - disk((110, 110), 14, n=160)
    bright = sf.blobs(image, polarity="bright").detect()
    dark = sf.blobs(image, polarity="dark").detect()
    both = sf.blobs(image, polarity="both")
    assert bright.shape == dark.shape == (1, 3)
    np.testing.assert_allclose(bright[0, :2], (50, 50), atol=0.5)
    np.testing.assert_allclose(dark[0, :2], (110, 110), atol=0.5)
    assert len(both.detect()) == 2
    assert both.height[50, 50] > 0 > both.height[110, 110]


def test_a_field_of_disks_gives_each_one_blob():
    truth = [(40, 40, 8), (45, 130, 14), (50, 260, 30), (170, 60, 50), (160, 200, 20),
             (180, 300, 10), (290, 50, 6), (290, 170, 40), (285, 290, 24)]
    image = disks(truth, n=340)
    found = sf.blobs(image).detect()
    assert len(found) == len(truth)
    for row, col, size in truth:
        distance = np.hypot(found[:, 0] - row, found[:, 1] - col)
        k = np.argmin(distance)
        assert distance[k] <= 1.0
        assert found[k, 2] == pytest.approx(size, rel=0.15)


def test_no_blob_on_a_ridge_or_an_edge():
    from synthetic import box_ridge, step
    for image in (box_ridge(5, n=160)[0], box_ridge(12, n=160, vertical=False)[0],
                  step(30, n=160)[0], step(90, n=160)[0]):
        for polarity in ("bright", "dark"):
            assert len(sf.blobs(image, polarity=polarity).detect()) == 0


def test_flat_image_gives_zeros():
    result = sf.blobs(np.full((40, 50), 7.0, np.float32))
    assert not result.measure.any() and not result.diameter.any()
    assert result.detect().shape == (0, 3)


def test_contrast_invariance():
    rng = np.random.default_rng(3)
    image = disks([(30, 30, 10), (70, 60, 18)], n=100) + 0.05 * rng.standard_normal(
        (100, 100)).astype(np.float32)
    a = sf.blobs(image)
    b = sf.blobs(3.5 * image + 20)
    np.testing.assert_allclose(b.measure, a.measure, atol=1e-5)
    strong = a.measure > 0.1
    np.testing.assert_allclose(b.diameter[strong], a.diameter[strong], rtol=1e-4)
    np.testing.assert_allclose(b.height[strong], 3.5 * a.height[strong], rtol=1e-3)
    np.testing.assert_array_equal(a.detect().round(3), b.detect().round(3))


def test_noise_keeps_the_blob_in_place():
    rng = np.random.default_rng(1)
    image = disk((60, 60), 16, n=120) + 0.1 * rng.standard_normal((120, 120)).astype(
        np.float32)
    result = sf.blobs(image)
    # The disk is the strongest blob, in place; noise of 1/10 of its contrast makes a few
    # pixel-sized spots that pass min_contrast, all far weaker.
    found, strength = result.detect(on="measure", with_strength=True)
    assert np.hypot(*(found[0, :2] - 60)) <= 1.0
    assert found[0, 2] == pytest.approx(16, rel=0.1)
    assert strength[0] > 0.9 and np.all(strength[1:] < 0.5)
    # On the peaks, the strength is the height over the image's range (1.7 here).
    found, strength = result.detect(with_strength=True)
    assert np.hypot(*(found[0, :2] - 60)) <= 1.0
    assert found[0, 2] == pytest.approx(16, rel=0.1)
    assert strength[0] == pytest.approx(1 / np.ptp(image), rel=0.1)
    assert np.all(strength[1:] < 0.5 * strength[0])


@pytest.mark.parametrize("mode", ["reflect", "periodic"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_kernels_equal_the_plain_reference(mode, threads):
    rng = np.random.default_rng(7)
    image = disks([(20, 20, 8), (40, 45, 12)], n=64)[:64, :60] + 0.2 * rng.random(
        (64, 60)).astype(np.float32)
    image = image.astype(np.float64)
    system = cached_system(image.shape, "blob", mode=mode, dtype=np.float64,
                           min_diameter=4, max_diameter=16)
    work, _ = normalise(image)
    got = _blob_maps(system, work, 0.02, 0, threads)
    want = [system.crop(m) for m in naive.blobs(system, work, 0.02, 0)
            + naive.blob_peaks(system, work, 0.02, 0)]
    assert len(got) == len(want) == 6
    for g, w in zip(got[:3], want[:3]):
        np.testing.assert_allclose(g, w, atol=1e-9)
    # The peaks compare neighbours: reflection makes exact ties on the image's border,
    # which rounding breaks either way, so the border ring is left out.
    for g, w in zip(got[3:], want[3:]):
        np.testing.assert_allclose(g[1:-1, 1:-1], w[1:-1, 1:-1], atol=1e-9)
    assert (got[3] > 0).any() and (got[3] < 0).any()          # bright and dark peaks


def test_pair_spectra_equal_the_filters():
    system = sf.ShearletSystem((50, 44), "blob", mode="periodic", max_diameter=20)
    half = system.n_orientations // 2
    pairs = system._pairs
    filters = system.filters.reshape(system.n_scales, system.n_orientations, 50, 44)
    for j in range(system.n_scales):
        parts = [system._blob_parts(j, r) for r in range(system.n_orientations)]
        scale = np.abs(parts[0][0]).max()
        for r in range(system.n_orientations):
            np.testing.assert_allclose(filters[j, r], parts[r][0] + 1j * parts[r][1],
                                       atol=1e-6 * scale)
        for r in range(half):
            np.testing.assert_allclose(pairs[j, r], filters[j, r], atol=1e-6 * scale)
        for k in range(half // 2):
            want = parts[half + 2 * k][1] + 1j * parts[half + 2 * k + 1][1]
            np.testing.assert_allclose(pairs[j, half + k], want, atol=1e-6 * scale)


def test_coefficient_maps_are_real_pairs():
    # even + 1j * odd: both parts are the real responses of real filters
    image = np.random.default_rng(0).random((48, 40))
    system = sf.ShearletSystem(image.shape, "blob", dtype=np.float64, max_diameter=12)
    spectrum = np.fft.fft2(system.pad(image - image.mean()))
    for k in (0, 5, system.n_filters - 1):
        j, r = divmod(k, system.n_orientations)
        even, odd = system._blob_parts(j, r)
        for part in (even, odd):
            response = np.fft.ifft2(spectrum * part) * np.prod(system.transform_shape)
            assert np.abs(response.imag).max() < 1e-12 * np.abs(response.real).max()


def test_system_metadata():
    system = sf.ShearletSystem((64, 64), "blob")
    assert system.n_scales == 11 and system.n_orientations == 8
    assert system.n_filters == 88
    np.testing.assert_allclose(system.blob_diameters[1:-1], 64 * 2 ** (-np.arange(9) / 2))
    assert system.transform((np.arange(64 * 64) % 7).reshape(64, 64)).shape == (88, 64, 64)
    assert sorted(set(system.angles.tolist())) == [0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5]
    assert "blob" in repr(system)


def test_float64_stays_float64():
    result = sf.blobs(disk((32, 32), 10, n=64).astype(np.float64))
    assert result.measure.dtype == result.diameter.dtype == np.float64


def test_tiled_blobs_equal_whole_image(monkeypatch):
    truth = [(60, 60, 12), (100, 300, 20), (330, 120, 30), (300, 330, 8)]
    image = disks(truth, n=400)
    whole = sf.blobs(image, max_diameter=32)
    monkeypatch.setenv("SHEARFEAT_TILE_SIZE", "360")
    tiled = sf.blobs(image, max_diameter=32)
    # The odd partners' tails reach beyond the margin a little.
    difference = np.abs(tiled.measure - whole.measure)
    assert difference.max() < 0.01 and np.quantile(difference, 0.999) < 2e-3
    def by_position(found):
        return found[np.lexsort((found[:, 1], found[:, 0]))]

    np.testing.assert_allclose(by_position(tiled.detect()), by_position(whole.detect()),
                               atol=0.05)


@pytest.mark.parametrize("kwargs, match", [
    (dict(min_diameter=-3), "min_diameter"),
    (dict(max_diameter=0), "max_diameter"),
    (dict(min_diameter=30, max_diameter=10), "min_diameter"),
    (dict(min_diameter=1), "min_diameter"),
    (dict(max_diameter=float("nan")), "max_diameter"),
    (dict(polarity="white"), "polarity"),
    (dict(min_contrast=-1), "min_contrast"),
    (dict(rotations=3), "rotations"),
    (dict(wavelet_width=3), "wavelet_width"),
])
def test_bad_arguments_name_the_parameter(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sf.blobs(np.zeros((32, 32)), **kwargs)


@pytest.mark.parametrize("threshold", [-0.1, 1.0, 1.5, "0.3", True])
def test_bad_detect_threshold(threshold):
    result = sf.blobs(disk((32, 32), 10, n=64))
    with pytest.raises(ValueError, match="threshold"):
        result.detect(threshold)


def test_detect_with_strength_is_sorted():
    image = disks([(30, 30, 10), (30, 90, 16)], n=120) + disk((90, 60), 12, n=120,
                                                              height=0.2)
    found, strength = sf.blobs(image).detect(with_strength=True)
    assert len(found) == len(strength) == 3
    assert np.all(np.diff(strength) <= 0) and strength.max() <= 1


def _one_to_one(found, centres, tolerance):
    """For each centre, the blob found nearest it, checked to be unique and in reach."""
    distance = np.hypot(found[:, None, 0] - centres[None, :, 0],
                        found[:, None, 1] - centres[None, :, 1])
    nearest = distance.argmin(axis=0)
    assert len(set(nearest.tolist())) == len(centres), "two disks share one blob"
    assert distance[nearest, np.arange(len(centres))].max() <= tolerance
    return found[nearest]


@pytest.mark.parametrize("diameter", [8, 12])
@pytest.mark.parametrize("spacing", [1.25, 1.5, 2.5])
def test_packed_disks_are_found_one_by_one(diameter, spacing):
    # Disks 1.25 diameters apart sit deep in each other's surrounds: the SymFD measure
    # sees none of the inner ones, the peaks see every one.
    from synthetic import disk_grid
    image, centres = disk_grid(diameter, spacing, noise=0.05)
    result = sf.blobs(image, min_diameter=4, max_diameter=32)
    found = result.detect()
    assert len(found) == len(centres)
    matched = _one_to_one(found, centres, 1.0)
    np.testing.assert_allclose(matched[:, 2], diameter, rtol=0.15)
    # The neighbours in a disk's negative surround pull the map's diameters small (10-17 %
    # at 1.25 diameters apart); detect() corrects them for that, centres unchanged.
    raw = result.detect(deblend=False)
    np.testing.assert_array_equal(raw[:, :2], found[:, :2])
    raw_error = np.abs(_one_to_one(raw, centres, 1.0)[:, 2] / diameter - 1)
    error = np.abs(matched[:, 2] / diameter - 1)
    if spacing < 2.5:
        assert np.median(error) < 0.5 * np.median(raw_error)
        assert np.median(raw_error) > 0.05
    else:                                    # isolated enough: nothing to correct
        assert error.max() < 0.05 and raw_error.max() < 0.05
    if spacing == 1.25:
        assert error.max() < 0.12
        assert len(result.detect(on="measure")) < len(centres) / 2


def test_deblending_keeps_an_isolated_disk_and_needs_a_measured_result():
    image = disk((60.3, 70.6), 17, n=140, height=2.0, background=1.0)
    result = sf.blobs(image)
    (row, col, diameter), = result.detect()
    (_, _, raw), = result.detect(deblend=False)
    assert abs(diameter - raw) < 0.02 * raw and abs(raw - 17) < 0.1 * 17
    # the correction measures a picture of the blobs again: a result built from maps
    # cannot, and says so
    rebuilt = sf.BlobResult(result.measure, result.diameter, result.height,
                            result.peak_height, result.peak_diameter, result.peak_scale)
    np.testing.assert_array_equal(rebuilt.detect(), result.detect(deblend=False))
    with pytest.raises(ValueError, match="deblend=False"):
        rebuilt.detect(deblend=True)
    with pytest.raises(TypeError, match="deblend"):
        result.detect(deblend="yes")
    # and it travels with the result (to worker processes, say)
    import pickle
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(result)).detect(),
                                  result.detect())


@pytest.mark.xfail(strict=True, reason="touching disks (1.0 diameters apart): at the "
                   "disks' scale the molecules' negative lobes lie on the bright neighbours, "
                   "so an inner disk's mean even response is negative at its centre at the "
                   "coarser scales and a crater (a ring of maxima 2 px off) at the finer "
                   "ones: there is no peak to find (blob_log and blob_dog miss them too); "
                   "the outer ones come out 1.4-1.5 px off, pushed away from the crowd")
@pytest.mark.parametrize("diameter", [8, 12])
def test_touching_disks_are_found_one_by_one(diameter):
    from synthetic import disk_grid
    image, centres = disk_grid(diameter, 1.0, noise=0.05)
    found = sf.blobs(image, min_diameter=4, max_diameter=32).detect()
    assert len(found) == len(centres)
    np.testing.assert_allclose(_one_to_one(found, centres, 1.0)[:, 2], diameter, rtol=0.15)


def test_peaks_are_invariant_to_contrast_and_offset():
    from synthetic import disk_grid
    image, _ = disk_grid(10, 1.5, noise=0.05)
    a, b = sf.blobs(image), sf.blobs(3.0 * image + 7.0)
    # Rounding may break a tie between a weak noise peak and its neighbour: a handful
    # of pixels, all far below the disks' peaks (about 0.8).
    same = (a.peak_scale == b.peak_scale) & np.isclose(a.peak_height, b.peak_height,
                                                       atol=1e-5)
    assert np.count_nonzero(~same) <= 10
    assert np.abs(a.peak_height[~same]).max(initial=0) < 0.1
    assert np.abs(b.peak_height[~same]).max(initial=0) < 0.1
    np.testing.assert_allclose(b.detect(), a.detect(), atol=1e-3)


def test_peak_maps_are_consistent():
    from synthetic import disk_grid
    image, _ = disk_grid(10, 1.5, noise=0.05)
    for polarity, sign in (("bright", 1), ("dark", -1)):
        result = sf.blobs(sign * image, polarity=polarity)
        peak = result.peak_height != 0
        assert peak.any()
        assert np.all(np.sign(result.peak_height[peak]) == sign)
        assert np.all(result.peak_diameter[peak] > 0) and np.all(result.peak_diameter[~peak] == 0)
        assert np.all(result.peak_scale[peak] >= 1) and np.all(result.peak_scale[~peak] == -1)
        assert np.all(result.peak_scale == np.round(result.peak_scale))
    both = sf.blobs(disk((30, 30), 12, n=96) - disk((66, 66), 12, n=96), polarity="both")
    assert (both.peak_height > 0).any() and (both.peak_height < 0).any()


def test_bad_detect_map():
    with pytest.raises(ValueError, match="on must be one of"):
        sf.blobs(disk((32, 32), 10, n=64)).detect(on="strength")


def test_default_threshold_finds_the_coins():
    # scikit-image's coins: 24 coins of 40-70 px on an uneven background.  The SymFD
    # detection found none of them at its default; the peaks find most, each with its
    # diameter (the rest are split into the relief of their faces).
    from scipy import ndimage
    from skimage import data, filters, measure, segmentation
    image = data.coins().astype(np.float32)
    markers = np.zeros(image.shape, int)
    markers[image < 30], markers[image > 150] = 1, 2
    coins = ndimage.binary_fill_holes(segmentation.watershed(filters.sobel(image), markers) - 1)
    regions = [r for r in measure.regionprops(ndimage.label(coins)[0]) if r.area > 300]
    assert len(regions) == 24
    result = sf.blobs(image)
    found = result.detect()
    hits = 0
    for region in regions:
        size = region.equivalent_diameter_area
        distance = np.hypot(*(found[:, :2] - region.centroid).T)
        hits += np.any((distance < size / 6) & (np.abs(found[:, 2] / size - 1) < 0.3))
    assert hits >= 14                                   # 15 when this was written
    assert len(result.detect(on="measure")) == 0
