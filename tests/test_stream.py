"""The stream deals orientations to workers and merges their states: the merge must
give what one worker folding every orientation in order gives, ties included."""

import numpy as np
import pytest

from shearfeat import _fft, _kernels
from shearfeat._stream import group_order, merge_best, stream, workers
from shearfeat._system import PRUNE_MIN_ZERO_COLUMNS, cached_system, support_columns


def fold_in_order(values, order):
    """One worker's state after folding ``values[f]`` for f in ``order``: the first of
    equal values that beat the initial 0 wins (the kernels' strict ``>``)."""
    best = np.zeros(values.shape[1:], values.dtype)
    slot = np.full(values.shape[1:], -1, np.int32)
    for f in order:
        better = values[f] > best
        best = np.where(better, values[f], best)
        slot = np.where(better, f, slot)
    return best, slot


@pytest.mark.parametrize("n_workers", [2, 3, 4])
def test_ridge_merge_equals_one_worker_ties_included(n_workers):
    rng = np.random.default_rng(0)
    n_o, S = 10, 3
    values = rng.integers(0, 4, (n_o, 6, 50)).astype(np.float32)    # many ties, some 0
    want_abs, want_slot = fold_in_order(values, range(n_o))
    owner = rng.integers(0, n_workers, n_o)          # any partition, as workers take them
    states = []
    for w in range(n_workers):
        best, slot = fold_in_order(values, np.flatnonzero(owner == w))
        states.append(ridge_state(best, slot, S))
    mine = states[0]
    for other in states[1:]:
        merge_best(mine, other, n_o, threads=1, per_slot=4 * S)
    for got, want in zip(mine, ridge_state(want_abs, want_slot, S)):
        np.testing.assert_array_equal(got, want)


def ridge_state(best, slot, S):
    """A ridge state: the winner code ((slot * 4 + signed parity) * S + scale), whose
    parity and scale here follow from the slot, and a measure that names the slot."""
    code = np.where(slot >= 0, (slot * 4 + slot % 4) * S + slot % S, -1).astype(np.int32)
    return [best, code, slot.astype(np.float32)]


@pytest.mark.parametrize("n_workers", [2, 3])
def test_edge_merge_ties_go_to_the_lower_orientation(n_workers):
    # Slots o and o + n_o both belong to orientation o.
    rng = np.random.default_rng(1)
    n_o = 10
    values = rng.integers(0, 3, (2 * n_o, 4, 40)).astype(np.float64)
    order = [s for o in range(n_o) for s in (o, o + n_o)]
    want_p, want_slot = fold_in_order(values, order)
    states = []
    for w in range(n_workers):
        mine = [s for o in range(w, n_o, n_workers) for s in (o, o + n_o)]
        best, slot = fold_in_order(values, mine)
        states.append([best, edge_code(slot), best * 10])
    result = states[0]
    for other in states[1:]:
        merge_best(result, other, n_o, threads=2, per_slot=5)
    np.testing.assert_array_equal(result[0], want_p)
    np.testing.assert_array_equal(result[1], edge_code(want_slot))
    np.testing.assert_array_equal(result[2], want_p * 10)


def edge_code(slot):
    """The edge winner code (slot * S + pivot scale, S = 5) with the scale from the
    slot."""
    return np.where(slot >= 0, slot * 5 + (3 * slot) % 5, -1).astype(np.int32)


def test_workers_never_exceed_the_groups():
    edge = cached_system((32, 32), "edge")
    blob = cached_system((32, 32), "blob")
    assert workers(edge, 1) == 1
    assert workers(edge, 2) == 2
    assert workers(edge, 64) == edge.n_orientations
    assert workers(blob, 64) == blob.n_scales


def test_memory_estimate_counts_each_worker():
    system = cached_system((64, 64), "ridge")
    one, two = system.memory_estimate(1), system.memory_estimate(2)
    assert one["filters"] == two["filters"]
    assert two["work"] > one["work"]
    many = system.memory_estimate(10 ** 6)              # capped at one per orientation
    assert many == system.memory_estimate(system.n_orientations)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        system.memory_estimate(0)


def test_workers_stay_within_the_memory_limit(monkeypatch):
    system = cached_system((256, 256), "ridge")
    one = system.memory_estimate(1)["total"]
    two = system.memory_estimate(2)["total"]
    monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", str((one + two) // 2))
    assert workers(system, 2) == 1                   # a second worker would not fit
    monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", str(two))
    assert workers(system, 2) == 2


def test_multiply_skips_zero_rows_and_still_zeroes_them():
    system = cached_system((64, 64), "blob", mode="periodic")
    pairs, nonzero = system._pairs, system._nonzero_rows
    assert nonzero.shape == pairs.shape[:3]
    assert not nonzero.all() and nonzero.any()         # coarse scales: many zero rows
    np.testing.assert_array_equal(nonzero, (pairs != 0).any(axis=-1))
    rng = np.random.default_rng(2)
    spectrum = (rng.standard_normal((2 * 64, 64)) + 1j).astype(np.complex64)   # 2 images
    out = np.full((pairs.shape[1], 2 * 64, 64), np.nan, np.complex64)
    _kernels.multiply_rows(spectrum, pairs[1], nonzero[1], out, 0, 2 * 64)
    want = (spectrum.reshape(2, 64, 64)[None] * pairs[1][:, None]).reshape(out.shape)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=0)
    zero_rows = np.tile(~nonzero[1], (1, 2))                 # both images' rows
    assert zero_rows.any() and not out[zero_rows].any()      # zeroed, not left as NaN


def test_ramped_multiply_equals_the_complex_pairs_and_zeroes_zero_rows():
    system = cached_system((40, 36), "ridge", mode="periodic")
    pairs, nonzero = system._pairs, system._nonzero_rows
    ramp_of, row_ramps, col_ramps = system._pair_phases
    f = 2
    assert len(set(ramp_of[f])) == 2                  # two parities: two ramps in a group
    rng = np.random.default_rng(4)
    spectrum = (rng.standard_normal((2 * 40, 36)) + 1j).astype(np.complex64)   # 2 images
    cut = nonzero[f].copy()
    cut[:, 5] = False                                 # a row declared zero is zeroed
    out = np.full((pairs.shape[1], 2 * 40, 36), np.nan, np.complex64)
    _kernels.multiply_ramped_rows(spectrum, pairs[f], ramp_of[f], row_ramps, col_ramps,
                                  cut, out, 0, 2 * 40)
    ramps = row_ramps[ramp_of[f]][:, :, None] * col_ramps[ramp_of[f]][:, None, :]
    complex_pairs = (pairs[f] * ramps).astype(np.complex128)
    want = (spectrum.reshape(2, 40, 36)[None] * complex_pairs[:, None])
    want[:, :, 5] = 0
    np.testing.assert_allclose(out, want.reshape(out.shape), rtol=2e-6,
                               atol=2e-6 * np.abs(want).max())
    assert not out.reshape(-1, 2, 40, 36)[:, :, 5].any()


@pytest.mark.parametrize("true, want", [
    ([0, 1, 2, 14, 15], ((14, 16), (0, 3))),     # around column 0: two ranges
    ([3, 4, 5], ((3, 6),)),
    ([3, 4, 5, 9], ((3, 10),)),                  # only the longest gap is skipped
    ([15], ((15, 16),)),
    ([], ()),
])
def test_support_columns_cover_every_nonzero_column(true, want):
    mask = np.zeros(16, bool)
    mask[true] = True
    columns = support_columns(mask)
    assert columns == want
    covered = np.zeros(16, bool)
    for start, stop in columns:
        covered[start:stop] = True
    assert covered[mask].all()


def test_support_columns_leave_short_gaps_alone():
    mask = np.ones(64, bool)
    mask[10:10 + int(PRUNE_MIN_ZERO_COLUMNS * 64) - 1] = False
    assert support_columns(mask) is None


@pytest.mark.parametrize("mode", ["periodic", "reflect"])
def test_pruned_inverse_equals_the_full_one(mode):
    system = cached_system((48, 40), "blob", mode=mode)
    pairs, columns = system._pairs, system._nonzero_columns
    pruned = [f for f, c in enumerate(columns) if c is not None]
    assert pruned and len(pruned) < len(columns)       # coarse scales only
    images = 2                                          # a block: the columns of each image
    plans = _fft.Plans(system.transform_shape, pairs.shape[1] * images,
                       system.complex_dtype, 1, "FFTW_ESTIMATE", images=images)
    rng = np.random.default_rng(3)
    spectrum = (rng.standard_normal((images,) + system.transform_shape) + 1j).astype(
        np.complex64).reshape(-1, system.transform_shape[1])
    n_rows = spectrum.shape[0]
    products = plans.products.reshape(pairs.shape[1], n_rows, -1)
    for f in pruned:
        _kernels.multiply_rows(spectrum, pairs[f], system._nonzero_rows[f], products, 0,
                               n_rows)
        kept = plans.products.copy()
        want = plans.inverse().copy()
        plans.products[...] = kept
        got = plans.inverse_columns(columns[f])
        scale = np.abs(want).max()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * scale)


def test_group_order_is_the_index_order_when_states_are_merged():
    blob = cached_system((256, 256), "blob", mode="periodic")
    n = blob.n_scales
    assert group_order(blob, in_order=True) == list(range(n))
    by_cost = group_order(blob, in_order=False)
    assert sorted(by_cost) == list(range(n))
    widths = [256 if c is None else sum(b - a for a, b in c) for c in blob._nonzero_columns]
    assert [widths[f] for f in by_cost] == sorted(widths, reverse=True)   # widest first


@pytest.mark.parametrize("in_order", [True, False])
def test_workers_take_every_group_once_a_late_one_fewer(monkeypatch, in_order):
    import threading
    import time
    system = cached_system((48, 48), "blob", mode="periodic")
    main = threading.get_ident()
    taken = {}

    def fold(f, coeffs, state):
        if threading.get_ident() != main:
            time.sleep(0.05)                      # a slow worker: it should take fewer
        taken.setdefault(threading.get_ident(), []).append(f)

    stream(system, np.zeros((48, 48), np.float32), 2, fold,
           merge=(lambda state, other: None) if in_order else None)
    groups = sorted(f for mine in taken.values() for f in mine)
    assert groups == list(range(system.n_scales))
    assert len(taken[main]) > system.n_scales // 2
    if in_order:                                  # each worker folds its groups in order
        assert all(mine == sorted(mine) for mine in taken.values())


def test_active_region_covers_the_kept_core_and_its_margin():
    from shearfeat._stream import active_region
    system = cached_system((64, 80), "edge", mode="periodic")
    rows, c0, c1 = active_region(system, 2)
    assert rows.all() and (c0, c1) == (0, 80)          # a whole periodic image
    rows, c0, c1 = active_region(system, 2, margin=1, core=((10, 30), (5, 70)))
    assert rows.shape == (128,) and (c0, c1) == (4, 71)
    np.testing.assert_array_equal(np.flatnonzero(rows[:64]), np.arange(9, 31))
    np.testing.assert_array_equal(rows[64:], rows[:64])  # every image of the block
