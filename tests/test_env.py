"""The SHEARFEAT_* variables are parsed in one place, bounded, and named when wrong;
absurd parameters fail at once, naming the parameter."""

import time

import numpy as np
import pytest

import shearfeat as sf
from shearfeat import _env


@pytest.mark.parametrize("name,value,message", [
    ("SHEARFEAT_MEMORY_LIMIT", "1e20", "machine's memory"),        # used to hang
    ("SHEARFEAT_MEMORY_LIMIT", "inf", "finite"),                   # OverflowError before
    ("SHEARFEAT_MEMORY_LIMIT", "1000", "from 1,048,576 bytes"),
    ("SHEARFEAT_MEMORY_LIMIT", "lots", "must be a number"),
    ("SHEARFEAT_NUM_THREADS", "0", "from 1 to 1,024"),
    ("SHEARFEAT_NUM_THREADS", "5000", "from 1 to 1,024"),
    ("SHEARFEAT_NUM_THREADS", "2.5", "whole number"),
    ("SHEARFEAT_TILE_SIZE", "10", "from 64 to 65,536"),
    ("SHEARFEAT_CACHE_BYTES", "abc", "SHEARFEAT_CACHE_BYTES must be a number"),
    ("SHEARFEAT_CACHE_BYTES", "-1", "from 0"),
    ("SHEARFEAT_FFT_EFFORT", "fast", "estimate, measure, patient, exhaustive"),
])
def test_bad_variables_are_named_with_what_is_allowed(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message) as info:
        _env.check_environment()
    assert name in str(info.value) and repr(value) in str(info.value)
    sf.clear_cache()                                 # so that every variable is read
    start = time.perf_counter()
    with pytest.raises(ValueError, match=name):
        sf.edges(np.eye(64, dtype=np.float32))       # the library reads them the same way
    assert time.perf_counter() - start < 5


def test_good_variables_are_read(monkeypatch):
    monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", "2e9")
    monkeypatch.setenv("SHEARFEAT_NUM_THREADS", "3")
    monkeypatch.setenv("SHEARFEAT_FFT_EFFORT", "measure")
    monkeypatch.setenv("SHEARFEAT_CACHE_BYTES", "0")
    _env.check_environment()
    assert _env.memory_limit() == 2_000_000_000 and _env.num_threads() == 3
    assert _env.fft_effort() == "FFTW_MEASURE" and _env.cache_bytes() == 0
    assert sf.cache_info()["max_bytes"] == 0


def test_memory_limit_is_at_most_the_machine(monkeypatch):
    physical = _env.physical_memory()
    assert physical is None or physical > 2 ** 28
    if physical:
        monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", str(physical))
        assert _env.memory_limit() == physical
        monkeypatch.setenv("SHEARFEAT_MEMORY_LIMIT", str(physical * 2))
        with pytest.raises(ValueError, match="machine's memory"):
            _env.memory_limit()


def test_threads_argument_is_bounded_too():
    with pytest.raises(ValueError, match="from 1 to 1024"):
        sf.edges(np.eye(16), threads=100_000)


@pytest.mark.parametrize("measure,params,message", [
    (sf.edges, {"scales_per_octave": 1e6}, "scales_per_octave must be a positive number "
                                            "of at most 8"),           # worked 130 s
    (sf.edges, {"wavelet_width": 1e6}, "wavelet_width must be .* at most 4096"),  # 2.3 GB
    (sf.blobs, {"max_diameter": 1e6}, "max_diameter must be .* at most 2048"),
    (sf.ridges, {"octaves": 100}, "octaves must be"),
    (sf.edges, {"scales_per_octave": 2, "octaves": 0.4}, "must be at least 1"),
    (sf.blobs, {"min_diameter": 2, "max_diameter": 2048, "scales_per_octave": 8},
     "at most 64"),
    (sf.edges, {"wavelet_width": 4000}, r"wavelet_width=4000.*use narrower filters"),
])
def test_absurd_parameters_fail_at_once_naming_the_parameter(measure, params, message):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        measure(np.eye(64, dtype=np.float32), **params)
    assert time.perf_counter() - start < 5
