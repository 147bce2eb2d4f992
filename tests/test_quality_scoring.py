"""The quality harness's scoring (benchmarks/quality), on cases with known answers; the
annotated data itself never enters the test suite."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.quality import scoring  # noqa: E402


def test_pooled_auc_known_cases():
    labels = np.array([0, 0, 1, 1], bool)
    assert scoring.pooled_auc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    assert scoring.pooled_auc([0.9, 0.8, 0.2, 0.1], labels) == 0.0
    assert scoring.pooled_auc([0.5, 0.5, 0.5, 0.5], labels) == 0.5       # ties averaged
    assert scoring.pooled_auc([0.1, 0.6, 0.5, 0.9], labels) == 0.75
    with pytest.raises(ValueError, match="finite"):
        scoring.pooled_auc([np.nan, 0, 1, 1], labels)


def test_cells_are_matched_one_to_one_within_tolerance():
    cells = np.array([[10.0, 10.0], [50.0, 50.0]])
    two_on_one = np.array([[11.0, 10.0], [9.0, 10.0]])            # both near the first
    assert scoring.cell_counts(two_on_one, cells).tolist() == [1, 2, 2]
    far = np.array([[10.0, 17.0]])                                 # 7 px > 6 px away
    assert scoring.cell_counts(far, cells).tolist() == [0, 1, 2]
    assert scoring.cell_counts(np.empty((0, 2)), cells).tolist() == [0, 0, 2]
    p, r, f = scoring.cell_f1([1, 2, 2])
    assert (p, r, f) == (0.5, 0.5, 0.5)


def test_boundaries_perfect_shifted_and_empty():
    truth = np.zeros((100, 150), bool)
    truth[50, 10:140] = True
    counts = scoring.boundary_counts(truth, [truth, truth])
    assert counts.tolist() == [260, 260, 130, 130]            # recall sums annotators
    shifted = np.roll(truth, 1, axis=0)                       # within 0.0075 * diagonal
    assert scoring.prf(scoring.boundary_counts(shifted, [truth]))[2] == 1.0
    far = np.roll(truth, 10, axis=0)
    assert scoring.prf(scoring.boundary_counts(far, [truth]))[2] == 0.0
    p, r, f = scoring.prf(scoring.boundary_counts(np.zeros_like(truth), [truth]))
    assert r == 0.0 and f == 0.0


def test_ods_of_a_graded_map_that_ranks_truth_first():
    truth = np.zeros((60, 80), bool)
    truth[30, 5:75] = True
    noise = np.zeros_like(truth, dtype=float)
    noise[10, 5:75] = 0.3                                      # a weaker false line
    graded = np.where(truth, 0.9, noise)
    levels = scoring.thresholds(9)
    counts = [scoring.graded_counts(graded, [truth], levels)]
    ods, ois, ap, best = scoring.ods_ois_ap(counts)
    assert ods == ois == 1.0 and 0.3 < levels[best] <= 0.9
    assert ap > 0.9


def test_ods_is_interpolated_between_levels_like_the_benchmark():
    # two levels: (P 1, R 0.5) and (P 0.5, R 1), each F 2/3; halfway, P = R = 0.75
    assert scoring.interpolated_best_f([1.0, 0.5], [0.5, 1.0]) == pytest.approx(0.75)
    # a monotone curve whose best is a level keeps that level's F
    assert scoring.interpolated_best_f([0.9, 0.8], [0.5, 0.6]) == pytest.approx(
        2 * 0.8 * 0.6 / 1.4)
    assert scoring.interpolated_best_f([0.7], [0.7]) == pytest.approx(0.7)
    counts = np.array([[[50, 100, 50, 50], [100, 100, 100, 200]]])   # the first case
    ods, ois, _, best = scoring.ods_ois_ap(counts)
    assert ods == pytest.approx(0.75) and ois == pytest.approx(2 / 3) and best == 0


def test_perturbations_do_what_they_say():
    from benchmarks.quality import robust
    rng = np.random.default_rng(0)
    grey = 0.2 + 0.6 * rng.random((40, 60))
    contrast = robust.perturb("contrast x0.25", grey, 0)
    assert contrast.mean() == pytest.approx(grey.mean())
    assert contrast.std() == pytest.approx(0.25 * grey.std())
    np.testing.assert_allclose(robust.perturb("gamma 2.2", grey, 0), grey ** 2.2)
    ramp = robust.perturb("ramp 0.2-1.0", grey, 0)
    np.testing.assert_allclose(ramp[:, 0], 0.2 * grey[:, 0])
    np.testing.assert_allclose(ramp[:, -1], grey[:, -1])
    noisy = robust.perturb("noise 0.10", grey, 3)
    np.testing.assert_array_equal(noisy, robust.perturb("noise 0.10", grey, 3))   # seeded
    assert (noisy - grey).std() == pytest.approx(0.10, rel=0.1)
    smooth = np.add.outer(np.linspace(0.2, 0.5, 40), np.linspace(0.0, 0.4, 60))
    jpeg = robust.perturb("jpeg 20", smooth, 0)           # 8-bit, blocky, close
    assert 0 < np.abs(jpeg - smooth).mean() < 0.02
    for name in robust.PERTURBATIONS:                       # every one stays in [0, 1]
        out = robust.perturb(name, grey, 1)
        assert out.shape == grey.shape and 0 <= out.min() and out.max() <= 1
