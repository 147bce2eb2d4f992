import dataclasses
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import shearfeat as sf
from shearfeat import _system


@pytest.mark.parametrize("mode", ["periodic", "reflect"])
def test_results_do_not_depend_on_thread_count(mode):
    # Workers fold disjoint orientations and merge at the end: the same numbers exactly.
    from skimage import data
    image = data.camera()[100:228, 100:260]
    for func in (sf.edges, lambda im, **kw: sf.ridges(im, polarity="both", **kw), sf.blobs):
        one = func(image, mode=mode, threads=1)
        for threads in (2, 3):
            other = func(image, mode=mode, threads=threads)
            for field in dataclasses.fields(one):
                np.testing.assert_array_equal(getattr(one, field.name),
                                              getattr(other, field.name))


def test_concurrent_calls_equal_serial_calls():
    rng = np.random.default_rng(0)
    images = [rng.random((64, 80)).astype(np.float32) + (i % 3) * np.eye(64, 80, dtype=np.float32)
              for i in range(12)]
    serial = [sf.edges(im, threads=1).measure for im in images]
    sf.clear_cache()
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda im: sf.edges(im, threads=1).measure, images))
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
    with ThreadPoolExecutor(max_workers=3) as pool:   # each call deals its own workers
        ridges = list(pool.map(lambda im: sf.ridges(im, threads=2).measure, images[:6]))
    for im, r in zip(images[:6], ridges):
        np.testing.assert_array_equal(r, sf.ridges(im).measure)


def test_system_cache_is_bounded_and_reused():
    sf.clear_cache()
    a = _system.cached_system((40, 40), "edge")
    assert _system.cached_system((40, 40), "edge") is a
    assert _system.cached_system((40, 40), "edge", mode="periodic") is not a
    for n in range(20, 20 + 2 * _system._CACHE_MAX_SYSTEMS):
        _system.cached_system((n, n), "edge", mode="periodic")
    info = sf.cache_info()
    assert len(info["systems"]) <= info["max_systems"]
    assert _system.cached_system((40, 40), "edge") is not a       # evicted, rebuilt


def test_cache_respects_byte_budget(monkeypatch):
    sf.clear_cache()
    monkeypatch.setenv("SHEARFEAT_CACHE_BYTES", "1")
    _system.cached_system((30, 30), "edge")
    _system.cached_system((31, 31), "edge")
    assert len(sf.cache_info()["systems"]) == 1                # only the newest stays


def test_metadata():
    system = sf.ShearletSystem((64, 48), "edge")
    assert system.n_filters == 70 and system.n_scales == 7 and system.n_orientations == 10
    assert set(np.round(system.angles, 1)) == {0, 26.6, 45, 63.4, 90, 116.6, 135, 153.4}
    assert system.scales.min() == 0 and system.scales.max() == 6
    assert "ShearletSystem(shape=(64, 48)" in repr(system)


def test_import_loads_neither_torch_nor_click():
    code = ("import sys, shearfeat; "
            "print(sorted(m for m in ('torch', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_public_api_is_explicit():
    assert set(sf.__all__) >= {"ShearletSystem", "edges", "ridges", "EdgeResult",
                               "RidgeResult", "clear_cache", "cache_info", "presets"}
    for name in sf.__all__:
        assert hasattr(sf, name)


def test_results_are_frozen():
    result = sf.edges(np.eye(16))
    with pytest.raises(AttributeError):
        result.measure = None


def test_fftw_wisdom_is_kept_between_processes(tmp_path):
    import os

    from shearfeat._fft import decode_wisdom
    env = dict(os.environ, SHEARFEAT_CACHE_DIR=str(tmp_path),
               SHEARFEAT_FFT_EFFORT="FFTW_MEASURE")
    code = "import numpy as np, shearfeat as sf; print(sf.edges(np.eye(24)).measure.max() > 0)"
    wisdom = tmp_path / "fftw-wisdom"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "True"
    assert len(decode_wisdom(wisdom.read_bytes())) == 3
    wisdom.write_bytes(b"not wisdom")             # a corrupt file costs planning time only
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "True"
    assert len(decode_wisdom(wisdom.read_bytes())) == 3
    env["SHEARFEAT_CACHE_DIR"] = ""               # in memory only: nothing written
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fftw-wisdom"]


def test_memory_estimate_matches_what_is_built():
    system = sf.ShearletSystem((100, 90), "edge")
    before = system.memory_estimate()
    assert system.nbytes == 0                        # nothing built yet
    system._pairs
    assert system.nbytes == before["filters"]
    ridge = sf.ShearletSystem((100, 90), "ridge").memory_estimate()
    assert ridge["filters"] > 2 * before["filters"]  # twice the maps on a larger grid
    assert before["total"] == before["filters"] + before["work"]


def test_memory_estimate_counts_the_pivot_scales_an_edge_call_keeps():
    system = sf.ShearletSystem((100, 90), "edge")
    pixels = int(np.prod(system.transform_shape))
    whole, lowest = system.memory_estimate(2), system.memory_estimate(2, "lowest")
    assert system.memory_estimate(2, "all") == whole          # the most a call keeps
    assert whole["filters"] == lowest["filters"]
    assert whole["work"] - lowest["work"] == (
        system.n_orientations * (system.n_measure_scales - 1) * pixels * 4)
    ridge = sf.ShearletSystem((100, 90), "ridge")
    assert ridge.memory_estimate(2, "lowest") == ridge.memory_estimate(2)   # keeps all
    with pytest.raises(ValueError, match="pivot_scales"):
        system.memory_estimate(2, "middle")
    # an edge call's tiles count what it keeps: larger windows at the default pivot
    from shearfeat import _plan
    from shearfeat._params import resolve_params
    resolved = resolve_params((4096, 4096), "edge")
    assert (_plan.tile_size("edge", resolved, np.float32, "lowest")
            > _plan.tile_size("edge", resolved, np.float32))


def _mirrored(spectrum):
    """``H(-w)`` on the FFT grid."""
    return np.roll(np.flip(spectrum, axis=(-2, -1)), 1, axis=(-2, -1))


@pytest.mark.parametrize("kind", ["edge", "ridge"])
@pytest.mark.parametrize("mode", ["periodic", "reflect"])
@pytest.mark.parametrize("shape", [(40, 36), (33, 47)])
def test_real_pair_spectra_times_their_ramps_are_the_filters_pairs(kind, mode, shape):
    # Each pair is Re-part(A) + i Im-part(B) of two filters (see _build_pairs); it is
    # held as a real spectrum and a phase ramp along one axis.
    system = sf.ShearletSystem(shape, kind, mode=mode)
    pairs = system._pairs
    ramp_of, row_ramps, col_ramps = system._pair_phases
    assert pairs.dtype == np.float32 and row_ramps.dtype == np.complex64
    d, S = system.measure_offset, system.n_measure_scales
    parities = (1,) if kind == "edge" else (0, 1)
    for o in range(system.n_orientations):
        for i, e in enumerate(parities):
            for s in range(S):
                a = system._spectrum(s if kind == "edge" else s + d, o, e)
                b = system._spectrum(s + d if kind == "edge" else s, o, e)
                want = (a + np.conj(_mirrored(a))) / 2 + (b - np.conj(_mirrored(b))) / 2
                v = ramp_of[o, i * S + s]
                got = pairs[o, i * S + s] * row_ramps[v][:, None] * col_ramps[v]
                np.testing.assert_allclose(got, want, rtol=0, atol=3e-7 * np.abs(want).max())
    assert len(row_ramps) == 3             # the origin, and half a pixel along each axis


def test_work_arrays_are_bounded_and_released(monkeypatch):
    from shearfeat import _workers
    sf.clear_cache()
    sf.edges(np.eye(40))
    kept = sf.cache_info()["workspace_bytes"]
    assert 0 < kept <= 2 * _workers.WORKSPACE_MAX_BYTES
    for mode in ("reflect", "periodic"):               # periodic crops nothing
        first = sf.edges(np.eye(40), mode=mode).measure
        saved = first.copy()
        sf.edges(np.fliplr(np.eye(40)), mode=mode)     # reuses the work arrays ...
        np.testing.assert_array_equal(first, saved)    # ... not the returned ones
    sf.clear_cache()
    assert sf.cache_info()["workspace_bytes"] == 0
    monkeypatch.setattr(_workers, "WORKSPACE_MAX_BYTES", 1)
    sf.edges(np.eye(40))
    assert sf.cache_info()["workspace_bytes"] == 0     # too large to keep


def test_fft_effort_is_patient_for_small_transforms_unless_set(monkeypatch):
    from shearfeat import _fft
    monkeypatch.delenv("SHEARFEAT_FFT_EFFORT", raising=False)
    assert _fft.default_effort((32, 32)) == "FFTW_PATIENT"
    assert _fft.default_effort((64, 64)) == "FFTW_PATIENT"
    assert _fft.default_effort((64, 65)) == "FFTW_MEASURE"
    assert _fft.default_effort() == "FFTW_MEASURE"
    monkeypatch.setenv("SHEARFEAT_FFT_EFFORT", "estimate")     # an explicit choice wins
    assert _fft.default_effort((32, 32)) == "FFTW_ESTIMATE"
    monkeypatch.setenv("SHEARFEAT_FFT_EFFORT", "FFTW_FAST")
    with pytest.raises(ValueError, match="SHEARFEAT_FFT_EFFORT must be one of"):
        _fft.default_effort((32, 32))
