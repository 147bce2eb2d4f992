import numpy as np
import pytest
import scipy.signal

import shearfeat as sf
from shearfeat._filters import orientation_table


def space_filters(system):
    """The space-domain filters S_k (centred at the origin) of a system."""
    # The stored spectra are S_hat(-w); flip the frequency axes back.
    spectra = np.roll(system.filters[:, ::-1, ::-1], 1, axis=(1, 2))
    return np.fft.ifft2(spectra, axes=(1, 2)) * np.prod(system.transform_shape)


def test_orientation_table_matches_coshrem():
    table = orientation_table(3)
    np.testing.assert_allclose(table.slope, [0, .5, 1, 1, .5, 0, -.5, -1, -1, -.5])
    # cones: v v v | h h h h h | v v  (wavelet along cols for the vertical cone)
    assert table.wavelet_axis.tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 1, 1]
    assert table.duplicate.tolist() == [-1, -1, 3, 2, -1, -1, -1, 8, 7, -1]
    np.testing.assert_allclose(table.tangent_angle,
                               [0, 153.435, 135, 135, 116.565, 90, 63.435, 45, 45, 26.565],
                               atol=1e-3)
    assert np.all(np.diff(table.normal_angle) <= 0)


@pytest.mark.parametrize("kind,preset,expected", [
    ("edge", "default", 70), ("ridge", "default", 140), ("edge", "coshrem", 70),
    ("edge", "small", 20), ("ridge", "small", 40)])
def test_filter_count_of_each_preset(kind, preset, expected):
    system = sf.ShearletSystem((32, 32), kind, preset=preset, mode="periodic")
    assert system.n_filters == expected
    assert system.scales.shape == system.angles.shape == (expected,)


@pytest.mark.parametrize("kind", ["edge", "ridge"])
def test_filters_have_zero_mean(kind):
    system = sf.ShearletSystem((48, 40), kind, mode="periodic", wavelet_width=20,
                               gaussian_width=8)
    assert np.abs(system.filters[:, 0, 0]).max() == 0
    assert np.abs(space_filters(system).sum(axis=(1, 2))).max() < 1e-6


@pytest.mark.parametrize("kind", ["edge", "ridge"])
def test_odd_part_is_hilbert_transform_of_even_part(kind):
    system = sf.ShearletSystem((64, 64), kind, mode="periodic", dtype=np.float64,
                               wavelet_width=24, gaussian_width=9)
    filters = space_filters(system)
    table = system.orientation_table
    for k in range(system.n_filters):
        o = system.orientations[k]
        axis, sign = table.wavelet_axis[o], table.sign[o]
        analytic = scipy.signal.hilbert(filters[k].real, axis=axis)
        expected = analytic.imag if sign > 0 else -analytic.imag
        scale = np.abs(filters[k]).max()
        # hilbert() keeps the Nyquist bin, the filters drop it: a tiny difference.
        np.testing.assert_allclose(filters[k].imag, expected, atol=2e-3 * scale)


def test_unit_step_gives_odd_coefficient_one_at_every_scale():
    n = 256
    image = np.zeros((n, n))
    image[:, n // 2:] = 1.0                      # rises between columns n/2-1 and n/2
    system = sf.ShearletSystem((n, n), "edge", mode="reflect", dtype=np.float64)
    coefficients = system.transform(image)
    o = 0                                        # slot 0: vertical edge, rising along +col
    for j in range(system.n_scales):
        k = j * system.n_orientations + o
        assert coefficients[k, n // 2, n // 2 - 1].imag == pytest.approx(1.0, abs=0.01)
        assert abs(coefficients[k, n // 2, n // 2 - 1].real) < 1e-4


def test_transform_equals_direct_correlation():
    rng = np.random.default_rng(1)
    image = rng.random((12, 10))
    system = sf.ShearletSystem(image.shape, "edge", mode="periodic", dtype=np.float64,
                               wavelet_width=6, gaussian_width=3, octaves=2)
    filters = space_filters(system)
    coefficients = system.transform(image)
    k, r, c = 5, 3, 7
    rows = (np.arange(12)[:, None] - r) % 12
    cols = (np.arange(10)[None, :] - c) % 10
    direct = ((image - image.mean()) * filters[k][rows, cols]).sum()
    assert coefficients[k, r, c] == pytest.approx(direct, abs=1e-10)


def test_transform_dtype_and_shape():
    image = np.zeros((30, 41), np.float32)
    coefficients = sf.ShearletSystem((30, 41), "ridge").transform(image)
    assert coefficients.shape == (140, 30, 41) and coefficients.dtype == np.complex64
    with pytest.raises(ValueError, match="built for"):
        sf.ShearletSystem((30, 41)).transform(np.zeros((30, 40)))


def test_ridge_tables_describe_box_responses():
    system = sf.ShearletSystem((128, 128), "ridge", dtype=np.float64)
    widths = system.ridge_widths
    assert (widths[:, 0] % 2 == 1).all() and (widths[:, 1] % 2 == 0).all()
    # a box exactly as wide as the positive lobe gives half the L1 norm: 1/2
    for j in range(system.n_scales):
        for e in (0, 1):
            assert system.ridge_response[widths[j, e], j] == pytest.approx(0.5, abs=0.03)


def test_reflect_padding_is_fft_friendly_and_bounded():
    system = sf.ShearletSystem((512, 512), "edge")
    (top, bottom), (left, right) = system.padding
    assert top == left and bottom >= top
    for n in system.transform_shape:
        m = n
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        assert m == 1
    assert system.transform_shape[0] <= 512 + 2 * top + 32
