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
