"""fill_outside: an image filled beyond a mask, so that the mask's border is no feature."""

import numpy as np
import pytest

import naive
import shearfeat as sf
from synthetic import fundus


def test_fill_matches_the_plain_ring_by_ring_mean():
    rng = np.random.default_rng(1)
    image = rng.random((40, 57)).astype(np.float64)
    known = np.zeros((40, 57), bool)
    known[5:20, 30:50] = True
    known[33, 3] = True                                   # two separate seeds
    out = sf.fill_outside(image, known)
    np.testing.assert_allclose(out, naive.fill_outside(image, known), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(out[known], image[known])
    assert out.dtype == np.float64


def test_fill_keeps_the_inside_and_removes_the_rim_step():
    image, mask, r = fundus()
    out = sf.fill_outside(image, mask, margin=6)
    kept = r < 38 + 2 - 6 - 1                             # well inside the margin
    np.testing.assert_array_equal(out[kept], image[kept])
    inside = image[r < 32]
    assert out.min() >= inside.min() and out.max() <= inside.max()
    assert out.dtype == np.float32 and np.isfinite(out).all()
    jumps = np.abs(np.diff(out, axis=1))
    assert jumps[r[:, 1:] >= 33].max() < 0.1    # no rim (0.35), no black step (0.83)
    for margin in (0, 4):                     # nothing outside: nothing to take off
        full = sf.fill_outside(image, np.ones(image.shape, bool), margin=margin)
        np.testing.assert_array_equal(full, image)
    # a field of view cut by the image's border keeps its pixels on that border
    half = np.zeros(image.shape, bool)
    half[:, 50:] = True
    np.testing.assert_array_equal(sf.fill_outside(image, half, margin=4)[:, 55:],
                                  image[:, 55:])
    grey = sf.fill_outside((mask * 128).astype(np.uint8), mask)   # 0/1 masks, integers
    assert grey.dtype == np.float32 and np.all(grey == 128)


def test_filled_field_of_view_has_no_rim_ridge_and_keeps_the_vessel():
    image, mask, r = fundus()
    raw = sf.ridges(image, polarity="dark").strength
    filled = sf.ridges(sf.fill_outside(image, mask, margin=5), polarity="dark").strength
    across = np.abs(np.mgrid[:96, :96][1] - 48)
    band = mask & (r >= 34) & (across > 6)                # the rim and the black ring
    vessel = (r < 28) & (across <= 1) & (np.abs(np.mgrid[:96, :96][0] - 48) > 8)
    # unfilled, the border outranks the vessel; filled, it ranks well below it (the
    # fill's own streaks of smeared noise are all that is left there)
    assert raw[band].max() > raw[vessel].mean()
    assert filled[band].max() < 0.6 * filled[vessel].mean()
    assert filled[vessel].min() > raw[vessel].min()       # the range is the retina's now


def test_fill_validates_its_input():
    image, mask, _ = fundus(n=32, radius=12)
    with pytest.raises(ValueError, match="shape"):
        sf.fill_outside(image, mask[:-1])
    with pytest.raises(ValueError, match="such as 255: pass mask > 0"):
        sf.fill_outside(image, mask.astype(np.uint8) * 255)
    with pytest.raises(ValueError, match="boolean"):
        sf.fill_outside(image, np.where(mask, "a", "b"))
    for margin in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="margin"):
            sf.fill_outside(image, mask, margin=margin)
    with pytest.raises(ValueError, match="no pixel .* margin of 20"):
        sf.fill_outside(image, mask, margin=20)
    with pytest.raises(ValueError, match="no pixel"):
        sf.fill_outside(image, np.zeros_like(mask))
    bad = image.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sf.fill_outside(bad, mask)


def test_field_of_view_finds_the_aperture_with_what_lies_in_it():
    image, _, r = fundus()
    found = sf.field_of_view(image)
    assert found.dtype == bool and found.shape == image.shape
    assert found[r < 36].all() and not found[r > 43].any()     # the disk, vessel included
    # invariant to image -> a * image + b, but for float32 rounding at the threshold
    assert np.count_nonzero(sf.field_of_view(3.0 * image + 7.0) != found) <= 4
    spot = image.copy()
    spot[2:6, 2:6] = 0.6                 # a bright speck outside is not the field of view
    with_spot = sf.field_of_view(spot)
    assert not with_spot[:8, :8].any() and np.count_nonzero(with_spot != found) <= 4
    for level in (0, 1, True, "0.2"):
        with pytest.raises(ValueError, match="level"):
            sf.field_of_view(image, level=level)
    with pytest.raises(ValueError, match="no field of view"):
        sf.field_of_view(np.full((32, 32), 0.5))


@pytest.mark.parametrize("name", ["edges", "ridges", "blobs"])
def test_measures_fill_beyond_their_mask_and_clear_it(name):
    # mask= is fill_outside first, then every map cleared outside (angles undefined)
    from dataclasses import fields
    image, mask, _ = fundus()
    options = {"polarity": "dark"} if name == "ridges" else {}
    measure = getattr(sf, name)
    got = measure(image, mask=mask, mask_margin=5, **options)
    want = measure(sf.fill_outside(image, mask, margin=5), **options)
    for field in fields(got):
        a, b = getattr(got, field.name), getattr(want, field.name)
        np.testing.assert_array_equal(a[mask], b[mask], err_msg=field.name)
        outside = a[~mask]
        if field.name == "orientation":
            assert np.isnan(outside).all()
        else:
            assert np.all(outside == (-1 if field.name == "peak_scale" else 0)), field.name
    # the mask as 0/1 integers is the same mask
    again = measure(image, mask=mask.astype(np.uint8), mask_margin=5, **options)
    np.testing.assert_array_equal(again.measure, got.measure)


def test_masked_blobs_are_the_blobs_inside():
    # unmasked, the whole field of view is one big bright disk; inside it, the optic
    # disc (n / 8 = 12 px across, at column 0.72 n) is the blob
    image, mask, _ = fundus()
    (row, col, diameter), = sf.blobs(image, mask=mask, mask_margin=5).detect()
    assert abs(row - 48) <= 1 and abs(col - 0.72 * 96) <= 1 and abs(diameter - 12) < 2
    assert sf.blobs(image).detect()[0, 2] > 60


def test_measures_check_their_mask():
    image, mask, _ = fundus(n=32, radius=12)
    with pytest.raises(ValueError, match=r"shape \(32, 32\)"):
        sf.edges(image, mask=mask[:-1])
    with pytest.raises(ValueError, match="pass mask > 0"):
        sf.ridges(image, mask=mask * 255)
    with pytest.raises(ValueError, match="mask_margin=3 needs a mask"):
        sf.blobs(image, mask_margin=3)
    for margin in (-1, 2.5, True):
        with pytest.raises(ValueError, match="mask_margin must be an integer"):
            sf.edges(image, mask=mask, mask_margin=margin)
    with pytest.raises(ValueError, match="margin of 20"):
        sf.ridges(image, mask=mask, mask_margin=20)


def test_extract_fills_and_clears_each_image_beyond_its_mask():
    image, mask, _ = fundus(n=64, radius=26)
    images, masks = np.stack([image, image.T[::-1]]), np.stack([mask, mask.T[::-1]])
    masks[1, :, :20] = False                          # the second field of view is cut
    features = ("edges", "ridges", "blobs")
    got = sf.extract(images, features=features, mask=masks, mask_margin=4)
    want = sf.extract(np.stack([sf.fill_outside(i, m, margin=4)
                                for i, m in zip(images, masks)]), features=features)
    for b in range(2):
        np.testing.assert_array_equal(got[b][:, masks[b]], want[b][:, masks[b]])
        assert not got[b][:, ~masks[b]].any()
    # one (M, N) mask for every image
    shared = sf.extract(images, features=("edges",), mask=mask, mask_margin=4)
    np.testing.assert_array_equal(shared[0], got[0, :4])
    assert not shared[1][:, ~mask].any()
    with pytest.raises(ValueError, match="3 fields of view for 2 images"):
        sf.extract(images, mask=np.stack([mask] * 3))
    with pytest.raises(ValueError, match="shape"):
        sf.extract(images, mask=mask[:-1])
    with pytest.raises(ValueError, match="needs a mask"):
        sf.extract(images, mask_margin=2)
    with pytest.raises(ValueError, match="fill the images first"):
        sf.extract(images, features="coefficients", mask=mask)


def test_mask_auto_is_the_field_of_view():
    image, _, _ = fundus()
    fov = sf.field_of_view(image)
    got = sf.ridges(image, polarity="dark", mask="auto", mask_margin=6)
    want = sf.ridges(image, polarity="dark", mask=fov, mask_margin=6)
    np.testing.assert_array_equal(got.strength, want.strength)
    images = np.stack([image, image[::-1]])
    stack = sf.extract(images, mask="auto", mask_margin=6)
    np.testing.assert_array_equal(stack[1], sf.extract(images[1:], mask=fov[::-1],
                                                       mask_margin=6)[0])
    with pytest.raises(ValueError, match="'auto', got 'fov'"):
        sf.edges(image, mask="fov")
    with pytest.raises(ValueError, match="no field of view"):
        sf.blobs(np.full((32, 32), 0.5), mask="auto")
