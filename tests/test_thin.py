import numpy as np
import pytest
from scipy import ndimage

import shearfeat as sf


def disk(n=96, radius=24.5, value=1.0):
    r, c = np.mgrid[:n, :n]
    distance = np.hypot(r - n / 2 + 0.5, c - n / 2 + 0.5)
    return np.where(distance <= radius, value, 0.0).astype(np.float32), distance


def assert_one_pixel_wide(mask):
    # no 2 x 2 block entirely set
    blocks = mask[:-1, :-1] & mask[1:, :-1] & mask[:-1, 1:] & mask[1:, 1:]
    assert not blocks.any()


def assert_closed(mask, inside, outside):
    """The curve separates ``inside`` from ``outside`` (4-connected background)."""
    labels, _ = ndimage.label(~mask)
    assert labels[inside] != labels[outside]


def test_disk_boundary_is_thin_closed_and_in_place():
    image, distance = disk()
    mask = sf.thin(sf.edges(image))
    assert_one_pixel_wide(mask)
    assert_closed(mask, (48, 48), (0, 0))
    assert np.abs(distance[mask] - 24.5).max() <= 1.0
    perimeter = 2 * np.pi * 24.5
    assert 0.8 * perimeter < mask.sum() < 1.2 * perimeter


def test_square_boundary():
    image = np.zeros((80, 80), np.float32)
    image[20:60, 20:60] = 1
    mask = sf.thin(sf.edges(image))
    assert_one_pixel_wide(mask)
    assert_closed(mask, (40, 40), (0, 0))
    rows, cols = np.nonzero(mask)
    # every pixel is on the square's outline, within 1 px of it, except short diagonal
    # spurs that the measure has at corners (as Canny does)
    near = (((np.abs(rows - 19.5) <= 1) | (np.abs(rows - 59.5) <= 1)) & (cols >= 18) & (cols <= 61)) \
        | (((np.abs(cols - 19.5) <= 1) | (np.abs(cols - 59.5) <= 1)) & (rows >= 18) & (rows <= 61))
    corner = (np.minimum(np.abs(rows - 19.5), np.abs(rows - 59.5)) <= 5) \
        & (np.minimum(np.abs(cols - 19.5), np.abs(cols - 59.5)) <= 5)
    assert (near | corner).all()
    assert (~near).sum() <= 4 * 4


def test_line_gives_one_centre_line_without_gaps():
    image = np.zeros((80, 80), np.float32)
    r, c = np.mgrid[:80, :80]
    distance = (r - 40) * -np.sin(np.radians(30)) + (c - 40) * np.cos(np.radians(30))
    image[np.abs(distance) <= 1.5] = 1.0                  # a bright line 3 px wide at 30 deg
    mask = sf.thin(sf.ridges(image))
    centre = mask[16:64, 16:64]
    assert_one_pixel_wide(centre)
    assert np.abs(distance[16:64, 16:64][centre]).max() <= 1.0
    labels, count = ndimage.label(centre, structure=np.ones((3, 3)))
    assert count == 1                                      # no gaps along the line
    assert centre.sum() >= 40


def test_flat_image_gives_nothing():
    assert not sf.thin(sf.edges(np.full((32, 32), 3.0))).any()
    assert not sf.thin(sf.ridges(np.zeros((32, 32)))).any()


def test_contrast_scaled_copy_gives_the_same_map():
    image, _ = disk(value=1.0)
    rng = np.random.default_rng(2)
    image = image + 0.05 * rng.standard_normal(image.shape).astype(np.float32)
    a = sf.thin(sf.edges(image.astype(np.float64)))
    b = sf.thin(sf.edges(7.5 * image.astype(np.float64) + 100))
    np.testing.assert_array_equal(a, b)


def test_thresholds_select():
    image, _ = disk()
    result = sf.edges(image)
    assert sf.thin(result, low=0.0, high=0.0).sum() >= sf.thin(result).sum()
    assert not sf.thin(result, low=1.0, high=1.0).any()


@pytest.mark.parametrize("kwargs,message", [
    (dict(low=-0.1), "low must be a number in"),
    (dict(high=1.5), "high must be a number in"),
    (dict(low="0.1"), "low must be a number in"),
    (dict(low=0.5, high=0.2), "low must not exceed high"),
])
def test_bad_thresholds(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sf.thin(sf.edges(np.eye(16)), **kwargs)


def test_wrong_result_type():
    with pytest.raises(TypeError, match="EdgeResult or RidgeResult"):
        sf.thin(np.zeros((8, 8)))


def test_blob_results_are_refused():
    result = sf.blobs(np.zeros((16, 16), np.float32))
    with pytest.raises(TypeError, match="EdgeResult or RidgeResult"):
        sf.thin(result)


def test_results_check_their_fields_so_thin_never_reads_out_of_bounds():
    rng = np.random.default_rng(0)
    measure = rng.random((3000, 3000)).astype("f4")
    with pytest.raises(ValueError, match=r"orientation has shape \(1, 3000\)"):
        sf.EdgeResult(measure, np.zeros((1, 3000), "f4"))     # was a segfault in thin
    with pytest.raises(ValueError, match="must be 2-D"):
        sf.EdgeResult(np.zeros(10, "f4"), np.zeros(10, "f4"))
    with pytest.raises(TypeError, match="float32 or float64, got float16"):
        sf.EdgeResult(np.zeros((8, 8), "f2"), np.zeros((8, 8), "f2"))
    with pytest.raises(TypeError, match="one dtype"):         # a variant: mixed types
        sf.RidgeResult(*(np.zeros((8, 8), t) for t in ("f4", "f8", "f4", "f4")))
    with pytest.raises(ValueError, match="width has shape"):
        sf.RidgeResult(*(np.zeros(s, "f4") for s in ((8, 8), (8, 8), (8, 9), (8, 8))))
    with pytest.raises(ValueError, match="diameter must be 2-D"):
        sf.BlobResult(np.zeros((8, 8), "f4"), object(),
                      *(np.zeros((8, 8), "f4") for _ in range(4)))


def test_a_result_built_by_hand_thins_like_the_measure():
    image = np.zeros((48, 48), np.float32)
    image[:, 24:] = 1
    e = sf.edges(image)
    rebuilt = sf.EdgeResult(e.measure.tolist(), e.orientation.tolist())   # lists: converted
    assert rebuilt.measure.dtype == np.float64
    np.testing.assert_array_equal(sf.thin(rebuilt), sf.thin(e))


# --- graded_thin: each threshold a hysteresis -------------------------------------------

def textured_disk():
    image, _ = disk()
    rng = np.random.default_rng(5)
    texture = ndimage.gaussian_filter(rng.standard_normal(image.shape), 2.0)
    return (image + 0.6 * texture / texture.std()).astype(np.float32)


@pytest.mark.parametrize("ratio", [1.0, 2.0, 3.0])
def test_every_threshold_of_graded_thin_is_a_hysteresis_thin(ratio):
    result = sf.edges(textured_disk())
    graded = sf.graded_thin(result, ratio=ratio)
    assert graded.dtype == np.float32 and 0 <= graded.min() and graded.max() <= 1
    for fraction in (0.05, 0.13, 0.27, 0.41, 0.66, 0.9):
        t = fraction * float(graded.max())
        expected = sf.thin(result, low=t / ratio, high=t)
        assert expected.any()
        np.testing.assert_array_equal(graded >= t, expected)


def test_ratio_one_gives_the_suppressed_strength():
    result = sf.edges(textured_disk())
    maxima = sf.thin(result, low=0.0, high=0.0)
    np.testing.assert_array_equal(sf.graded_thin(result, ratio=1),
                                  np.where(maxima, result.strength, 0))


def test_a_fading_boundary_ranks_with_its_strong_part_and_a_faint_step_by_its_own():
    # a vertical step whose height falls from 1 to 0.2 down the image, and beside it a
    # step of a constant 0.3 (the height of the first one's faint end)
    n = 128
    image = np.zeros((n, n), np.float32)
    image[:, 32:] = np.linspace(1.0, 0.2, n)[:, None]
    image[:, 96:] += 0.3
    result = sf.edges(image)
    graded = sf.graded_thin(result)
    strength = np.where(sf.thin(result, low=0, high=0), result.strength, 0)
    rows = slice(24, n - 24)                               # away from the image's ends
    fading = graded[rows, 30:35].max(axis=1)
    faint = graded[rows, 94:99].max(axis=1)
    own = strength[rows, 30:35].max(axis=1)
    assert (fading > 0).all() and (faint > 0).all()
    # the suppressed strength of the step falls with its height (by less than the
    # contrast alone would say: each stretch is divided by its own surround, see
    # test_strength.py); the graded map holds the level of the chain's strongest part
    # all the way down
    assert own[-1] < 0.95 * own[0]
    np.testing.assert_allclose(fading, fading.max(), rtol=1e-6)
    assert faint.max() < fading.min()


def test_graded_thin_is_invariant_to_contrast_and_offset():
    image = textured_disk().astype(np.float64)
    a = sf.graded_thin(sf.edges(image))
    b = sf.graded_thin(sf.edges(7.5 * image + 100))
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_graded_thin_of_ridges_lies_on_their_centre_lines():
    image = np.zeros((64, 64), np.float32)
    image[:, 30:33] = 1.0
    result = sf.ridges(image)
    graded = sf.graded_thin(result)
    assert graded[16:48, 31].min() > 0.5
    np.testing.assert_array_equal(graded > 0, sf.thin(result, low=0, high=0)
                                  & (result.strength > 0))


@pytest.mark.parametrize("ratio", [0.5, float("nan"), float("inf"), True, "3"])
def test_graded_thin_refuses_a_bad_ratio(ratio):
    with pytest.raises(ValueError, match="ratio must be a finite number >= 1"):
        sf.graded_thin(sf.edges(np.eye(16)), ratio=ratio)


def test_graded_thin_refuses_other_inputs():
    with pytest.raises(TypeError, match="EdgeResult or RidgeResult"):
        sf.graded_thin(np.zeros((8, 8)))
