"""``strength``: the measure weighted by contrast, invariant to ``a * image + b``."""

import numpy as np
import pytest

import shearfeat as sf
from shearfeat._strength import (box_mean, brightness_gain, brightness_reach,
                                 contrast_strength, local_brightness, references,
                                 strength_scale)


def two_steps(faint=0.05, strong=1.0, n=128):
    """A faint step at column 32 and a strong one at column 96, both vertical."""
    image = np.zeros((n, n), np.float32)
    image[:, 32:] += faint
    image[:, 96:] += strong
    return image


def test_faint_step_is_weaker_than_strong_boundary_with_equal_measure():
    # a dark corner, far from both, puts the faint step at mid-brightness, where the
    # brightness gain is near 1 (a step in shadow ranks higher: see the test below)
    image = two_steps() + 0.5
    image[:4, :4] = 0.0
    e = sf.edges(image, min_contrast=1e-4)
    row = 64
    faint, strong = e.measure[row, 28:36].max(), e.measure[row, 92:100].max()
    assert faint == pytest.approx(strong, abs=0.01)            # same shape: same measure
    s_faint, s_strong = e.strength[row, 28:36].max(), e.strength[row, 92:100].max()
    # (the strong step's own surround, in so small an image, takes 0.58 of it: see the
    # surround suppression below)
    assert s_strong > 0.5 and s_faint < 0.25 * s_strong
    # where it peaks across each step is where the measure peaks
    assert np.argmax(e.strength[row, 28:36]) == np.argmax(e.measure[row, 28:36])
    assert np.argmax(e.strength[row, 92:100]) == np.argmax(e.measure[row, 92:100])


@pytest.mark.parametrize("a,b", [(3.0, -7.0), (0.01, 100.0), (250.0, 0.0)])
def test_strength_is_invariant_to_affine_intensity_changes(a, b):
    image = two_steps() + 0.05 * np.random.default_rng(0).random((128, 128)).astype(np.float32)
    reference = sf.edges(image)
    changed = sf.edges((a * image.astype(np.float64) + b).astype(np.float32))
    np.testing.assert_allclose(changed.strength, reference.strength, atol=2e-3)
    r_ref = sf.ridges(image, polarity="both")
    r_new = sf.ridges((a * image.astype(np.float64) + b).astype(np.float32), polarity="both")
    np.testing.assert_allclose(r_new.strength, r_ref.strength, atol=2e-3)


def test_an_edge_among_texture_ranks_below_the_same_edge_alone():
    # divisive surround suppression: the same vertical step of 0.5, once on a plain
    # ground and once amid a grating of vertical stripes of 0.25 (texture), 8 pixels
    # wide, beginning 24 pixels from it on each side
    n = 256
    alone = np.zeros((n, n), np.float32)
    alone[:, n // 2:] = 0.5
    textured = alone.copy()
    columns = np.arange(n)
    stripes = (((columns // 8) % 2) == 1) & (np.abs(columns - n // 2) > 24)
    textured[:, stripes] += 0.25
    for image in (alone, textured):
        image[:4, :4] = 1.0                  # the same range in both, far from the step
    row, cols = n // 2, slice(n // 2 - 4, n // 2 + 4)
    e_alone, e_textured = sf.edges(alone), sf.edges(textured)
    assert e_textured.measure[row, cols].max() == pytest.approx(
        e_alone.measure[row, cols].max(), abs=0.02)        # the same step: the same measure
    s_alone = e_alone.strength[row, cols].max()
    s_textured = e_textured.strength[row, cols].max()
    assert s_textured < 0.8 * s_alone        # 0.69 of it (0.97 without the suppression)
    # the suppression is the strength over 1 + weight * its surround mean
    from shearfeat._strength import surround_suppressed
    from shearfeat.edges import EDGE_SURROUND_WEIGHT, EDGE_SURROUND_WIDTH
    block = np.random.default_rng(3).random((2, 40, 50)).astype(np.float32)
    expected = block / (1 + EDGE_SURROUND_WEIGHT * local_brightness(
        block, EDGE_SURROUND_WIDTH, "reflect"))
    np.testing.assert_allclose(
        surround_suppressed(block.copy(), EDGE_SURROUND_WIDTH, EDGE_SURROUND_WEIGHT,
                            "reflect"), expected, rtol=1e-6)
    # a lone straight step in a large image keeps most of its strength
    big = np.zeros((512, 512), np.float32)
    big[:, 256:] = 1.0
    e = sf.edges(big)
    assert 0.6 < e.strength[256, 250:262].max() / e.measure[256, 250:262].max() < 1.0


def test_strength_weights_the_measure_by_a_saturating_contrast():
    measure = np.full((1, 4, 4), 0.8, np.float32)
    contrast = np.full((1, 4, 4), 0.3, np.float32)
    out = contrast_strength(measure, contrast.copy(), np.array([1.0]), 0.3)
    np.testing.assert_allclose(out, 0.8 * 1.3 / 2, rtol=1e-6)
    full = contrast_strength(measure, np.ones((1, 4, 4), np.float32), np.array([1.0]), 0.3)
    np.testing.assert_allclose(full, 0.8, rtol=1e-6)     # the reference contrast: measure
    huge = contrast_strength(measure, np.full((1, 4, 4), np.inf, np.float32),
                             np.array([np.inf]), 0.3)
    np.testing.assert_allclose(huge, 0.8)                  # saturated, never NaN


def test_reference_is_checked():
    block = np.zeros((1, 4, 4))
    with pytest.raises(ValueError, match="reference"):
        references(block, -1.0)
    assert np.isfinite(references(block, None)).all()     # flat: no division by zero


def test_a_step_in_shadow_ranks_near_the_same_step_in_the_light():
    # The same two reflectance steps (0.5 to 0.7), lit at 0.3 on the left and 1.0 on
    # the right: the shadowed step has 0.3 times the contrast.  Relative to the local
    # brightness it keeps more than 0.65 of the lit step's strength (0.45 when the
    # contrast is relative to the range alone, as before).
    col = np.arange(128)
    reflectance = np.where(((col >= 24) & (col < 40)) | ((col >= 88) & (col < 104)),
                           0.7, 0.5)
    light = 0.3 + 0.7 / (1 + np.exp(-(col - 64) / 3.0))
    image = np.tile(reflectance * light, (128, 1)).astype(np.float32)
    e = sf.edges(image)
    shadow, lit = e.strength[64, 20:28].max(), e.strength[64, 84:92].max()
    assert 0.65 < shadow / lit < 1.0
    assert e.measure[64, 20:28].max() > 0.6 and e.measure[64, 84:92].max() > 0.6


def test_steps_under_a_lighting_ramp_rank_near_each_other():
    # Three equal reflectance steps (0.5 to 0.7) under light rising from 0.2 to 1.0 from
    # left to right, with a little noise: the left step has a third of the right one's
    # contrast.  Relative to the lighting (the image averaged over about 25 pixels) it
    # keeps 0.77 of the right one's strength; relative to the brightness within 5
    # pixels (dark level 0.6, the ridges' gain) it kept 0.61.
    col = np.arange(384)
    reflectance = np.full(384, 0.5)
    for first in (40, 180, 320):
        reflectance[first:first + 24] = 0.7
    image = np.tile(reflectance * np.linspace(0.2, 1.0, 384), (160, 1))
    image += 0.01 * np.random.default_rng(0).standard_normal(image.shape)
    e = sf.edges(image.astype(np.float32))
    left, middle, right = (e.strength[80, c - 4:c + 4].max() for c in (40, 180, 320))
    assert 0.72 < left / right < 1.0
    assert left < middle < right                 # still ranked by contrast, less steeply


@pytest.mark.parametrize("mode", ["reflect", "periodic"])
def test_brightness_gain_is_relative_to_the_local_brightness(mode):
    dark = 0.6
    block = np.zeros((1, 64, 96), np.float32)
    block[0, :, 32:64] = 0.5
    block[0, :, 64:] = 1.0
    width = 9                        # reaches 12 pixels: plateaus 16 from each transition
    gain = brightness_gain(block, *strength_scale(block), dark, width, mode)
    assert gain.shape == block.shape and gain.dtype == np.float32
    # far from the transitions: (0.5 + dark) / (b + dark) for b = 0, 0.5 and 1
    np.testing.assert_allclose(gain[0, 32, [16, 48, 80]],
                               [(0.5 + dark) / dark, 1.0, (0.5 + dark) / (1 + dark)],
                               rtol=1e-5)
    # relative to the darkest value and the range: invariant to a * image + b
    moved = 40.0 * block - 3.0
    np.testing.assert_allclose(
        brightness_gain(moved, *strength_scale(moved), dark, width, mode), gain, rtol=1e-5)
    # given a low and a reference (a Dask chunk of a larger image), those are used
    lows, spans = strength_scale(block, 2.0, -1.0)
    assert lows.tolist() == [-1.0] and spans.tolist() == [2.0]
    np.testing.assert_allclose(brightness_gain(block, lows, spans, dark, width, mode)[0, 32, 48],
                               (0.5 + dark) / (0.75 + dark), rtol=1e-5)
    with pytest.raises(ValueError, match="low"):
        strength_scale(block, 1.0, float("nan"))


def test_strength_scale_reads_the_range_through_a_small_box():
    # what the strengths are relative to: the range of the image's 5 x 5 box means, so a
    # hot pixel or noise does not stretch it (and a plateau's level is kept exactly)
    rng = np.random.default_rng(3)
    block = np.zeros((2, 40, 50))
    block[:, :, 25:] = 1.0
    block[1] += rng.normal(0.0, 0.05, block.shape[1:])
    block[1, 10, 10] = 1.5                                   # a hot pixel
    lows, spans = strength_scale(block)
    np.testing.assert_allclose([lows[0], spans[0]], [0.0, 1.0], atol=1e-12)
    assert abs(spans[1] - 1.0) < 0.1 and np.ptp(block[1]) > 1.6
    # but an image whose range lies in a line 1 pixel wide keeps half its plain range
    line = np.zeros((1, 40, 50))
    line[0, :, 20] = 1.0
    np.testing.assert_allclose(strength_scale(line)[1], [0.5])
    # a box mean of the plain, fixed-order sums of each pixel's 5 x 5 neighbours, borders
    # reflected as scipy's "reflect"
    from scipy import ndimage
    image = rng.random((7, 9))
    np.testing.assert_allclose(box_mean(image), ndimage.uniform_filter(image, 5,
                                                                       mode="reflect"),
                               rtol=1e-12)
    # a window with 2 pixels of overlap gives the same values there, to the bit
    window = box_mean(block[1, 8:30, 20:45])
    np.testing.assert_array_equal(window[2:-2, 2:-2], box_mean(block[1])[10:28, 22:43])
    # the kernel's extremes are those of the box means, to the bit (float32 in, too)
    from shearfeat._strength import box_extremes
    # and on any number of threads (each takes a block of rows), for tall images too
    tall = rng.random((150, 7))
    for image in (block[1], block[1].astype(np.float32), image, tall):
        whole = box_mean(image)
        for threads in (1, 2, 3):
            assert box_extremes(image, threads) == (whole.min(), whole.max())
    flat = strength_scale(np.ones((1, 8, 8)))[1]
    assert np.isfinite(flat).all() and flat[0] > 1e300       # flat: no division by zero


@pytest.mark.parametrize("width", [9, 49])
def test_local_brightness_is_a_bell_of_known_spread(width):
    # three box passes: a smooth kernel of unit mass, variance 3 (w^2 - 1) / 12 per
    # axis, that reads brightness_reach(w) pixels on each side and no further
    n = 2 * brightness_reach(width) + 21
    impulse = np.zeros((2, n, n), np.float64)
    impulse[:, n // 2, n // 2] = 1.0
    kernel = local_brightness(impulse, width, "reflect")
    assert kernel.dtype == np.float64
    np.testing.assert_allclose(kernel[0], kernel[1])
    np.testing.assert_allclose(kernel[0].sum(), 1.0, rtol=1e-9)
    offset = np.arange(n) - n // 2
    np.testing.assert_allclose((kernel[0].sum(axis=0) * offset ** 2).sum(),
                               3 * (width ** 2 - 1) / 12, rtol=1e-9)
    reached = np.flatnonzero(kernel[0, n // 2] > 1e-15) - n // 2
    assert reached.min() == -brightness_reach(width) and reached.max() == brightness_reach(width)
    np.testing.assert_allclose(kernel[0], kernel[0].T, atol=1e-15)
    # periodic borders wrap around: a constant stays constant either way
    flat = np.full((1, 40, 30), 0.25, np.float32)
    for mode in ("reflect", "periodic"):
        np.testing.assert_allclose(local_brightness(flat, width, mode), flat, rtol=1e-6)


@pytest.mark.parametrize("mode", ["reflect", "periodic"])
@pytest.mark.parametrize("shape, width", [((2, 70, 53), 9), ((1, 37, 20), 49),
                                          ((3, 5, 3), 9), ((2, 100, 130), 61)])
def test_local_brightness_equals_repeated_box_filters(mode, shape, width):
    # the running sums give scipy's box filter, passes and borders included, also where
    # the box is wider than the image (reflected more than once)
    from scipy import ndimage
    rng = np.random.default_rng(7)
    for dtype, rtol in ((np.float32, 1e-6), (np.float64, 1e-12)):
        block = rng.random(shape).astype(dtype)
        expected = block.astype(np.float64)
        border = "wrap" if mode == "periodic" else "reflect"
        for axis in (2, 1):
            for _ in range(3):
                expected = ndimage.uniform_filter1d(expected, width, axis=axis, mode=border)
        got = local_brightness(block, width, mode)
        assert got.dtype == dtype and got.shape == shape
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
        for threads in (2, 3):       # row blocks, then column blocks: the same bits
            np.testing.assert_array_equal(local_brightness(block, width, mode, threads), got)
    with pytest.raises(ValueError, match="odd"):
        local_brightness(block, 10, mode)


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("shape", [(2, 31, 20), (1, 3, 1), (1, 1, 5)])
def test_binomial_smoothing_equals_scipy(periodic, shape):
    # the ridge strength's smoothing of its oriented part: [1, 2, 1] / 4 along each axis,
    # borders reflected (half-sample) or wrapped, in place
    from scipy import ndimage
    from shearfeat import _kernels
    rng = np.random.default_rng(3)
    for dtype, tol in ((np.float32, 1e-6), (np.float64, 1e-14)):
        block = rng.random(shape).astype(dtype)
        expected = block.astype(np.float64)
        for axis in (1, 2):
            expected = ndimage.correlate1d(expected, [0.25, 0.5, 0.25], axis=axis,
                                           mode="wrap" if periodic else "reflect")
        _kernels.binomial_smooth(block, periodic, np.empty(shape[1:], dtype))
        assert block.dtype == dtype
        np.testing.assert_allclose(block, expected, rtol=tol, atol=tol)


def test_results_built_without_strength_rank_by_measure():
    e = sf.edges(two_steps())
    rebuilt = sf.EdgeResult(e.measure, e.orientation)
    assert rebuilt.strength is rebuilt.measure


@pytest.mark.parametrize("width", [1, 2, 4, 8])
def test_dark_line_region_covers_its_width(width):
    rng = np.random.default_rng(width)
    n = 96
    image = np.full((n, n), 0.5, np.float32)
    start = 48 - width // 2
    image[:, start:start + width] -= 0.1                    # 10 % contrast
    image += rng.normal(0, 0.01, image.shape).astype(np.float32)
    r = sf.ridges(image, polarity="dark")
    rows = slice(16, n - 16)
    region = r.strength[rows] > 0.5 * np.median(r.strength[rows, start:start + width])
    inside = region[:, start:start + width].mean()
    outside = np.concatenate([region[:, :start - 2], region[:, start + width + 2:]], axis=1)
    assert inside > 0.9                                     # the full width is covered
    assert outside.mean() < 0.01                            # and little beyond it
    # the centre line is still one pixel wide
    centre = sf.thin(r)[rows]
    assert (centre.sum(axis=1) <= 2).mean() > 0.9


def test_a_strong_bright_line_does_not_hide_a_faint_dark_one_beside_it():
    # The measure's pivot is the strongest even response of either sign, so next to a
    # bright line four times stronger the dark line's measure is weak (0.25 here); the
    # oriented part of the strength asks each filter for the kept polarity only.  (The
    # flanks of the bright line, where filters see it in their negative lobes, grade as
    # dark ridges too, as they do for Hessian-based filters such as Sato's, but less.)
    n = 96
    image = np.full((n, n), 0.5, np.float32)
    image[:, 38:41] += 0.4                                  # bright, 3 px
    image[:, 46:48] -= 0.1                                  # dark, 2 px, 6 px away
    image += np.random.default_rng(5).normal(0, 0.01, image.shape).astype(np.float32)
    r = sf.ridges(image, polarity="dark")
    dark = np.median(r.strength[16:-16], axis=0)
    on_dark = dark[46:48].min()
    assert on_dark > 1.25 * np.median(r.measure[16:-16, 46:48])
    assert dark[38:41].max() < 0.25 * on_dark               # the bright line is not dark
    assert dark[30:37].max() < 0.75 * on_dark               # its flanks are less so
    assert dark[60:80].max() < 0.15 * on_dark               # nor is the flat background
