"""An FFTW that is not FFTW (Intel MKL's FFTW3 wrappers, loaded into the process before
pyFFTW) is detected: the wisdom file is left intact and column-pruned plans fall back to
whole transforms."""

import glob
import os
import subprocess
import sys

import numpy as np
import pyfftw
import pytest

import shearfeat as sf
from shearfeat import _fft


def _disk(n=96):
    rows, cols = np.mgrid[:n, :n]
    return (((rows - 44) ** 2 + (cols - 50) ** 2) <= 12 ** 2).astype(np.float32)


def test_only_fftw_wisdom_is_saved():
    assert _fft.is_fftw_wisdom(pyfftw.export_wisdom())
    # what pyFFTW exported with MKL's wrappers loaded first (measured with mkl 2026.2)
    assert not _fft.is_fftw_wisdom((b"", b"", b"(fftw-3.3.5 fftwl_wisdom #x0 #x0 #x0 #x0\n)"))


def test_a_foreign_fftw_is_reported_and_worked_around(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEARFEAT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SHEARFEAT_FFT_EFFORT", "FFTW_MEASURE")
    reference = sf.blobs(_disk())
    wisdom = tmp_path / "fftw-wisdom"
    wisdom.write_bytes(b"their wisdom")
    # What _provider() finds when MKL was loaded first (the real case runs below, where
    # MKL is installed); plans built from now on take the whole-transform path.
    monkeypatch.setattr(_fft, "FOREIGN_FFT", "FFTW 3.3.4 wrappers to  Intel oneMKL")
    monkeypatch.setattr(_fft, "_warned", False)
    monkeypatch.setattr(_fft, "_wisdom_loaded", False)
    sf.clear_cache()
    with pytest.warns(RuntimeWarning, match="wrappers to  Intel oneMKL.*not to FFTW"):
        result = sf.blobs(_disk())
    sf.clear_cache()
    np.testing.assert_allclose(result.measure, reference.measure, atol=1e-5)
    np.testing.assert_allclose(result.detect(), reference.detect(), atol=1e-4)
    assert wisdom.read_bytes() == b"their wisdom"


def _mkl_runtime():
    """libmkl_rt from a pip-installed ``mkl`` (or $SHEARFEAT_TEST_MKL), else None."""
    candidates = [os.environ.get("SHEARFEAT_TEST_MKL", "")]
    candidates += glob.glob(os.path.join(sys.prefix, "lib", "libmkl_rt.so*"))
    return next((c for c in candidates if c and os.path.isfile(c)), None)


@pytest.mark.skipif(_mkl_runtime() is None,
                    reason="needs Intel MKL (pip install mkl, or $SHEARFEAT_TEST_MKL)")
def test_real_mkl_loaded_first(tmp_path):
    wisdom = tmp_path / "fftw-wisdom"
    wisdom.write_bytes(b"their wisdom")
    code = (f"import ctypes; ctypes.CDLL({_mkl_runtime()!r}, mode=ctypes.RTLD_GLOBAL)\n"
            "import warnings, numpy as np, shearfeat as sf\n"
            "from shearfeat import _fft\n"
            "print('foreign', _fft.FOREIGN_FFT)\n"
            "rows, cols = np.mgrid[:96, :96]\n"
            "disk = (((rows - 44) ** 2 + (cols - 50) ** 2) <= 144).astype(np.float32)\n"
            "print('blobs', len(sf.blobs(disk).detect()))\n")
    env = dict(os.environ, SHEARFEAT_CACHE_DIR=str(tmp_path), MKL_THREADING_LAYER="sequential",
               LD_LIBRARY_PATH=os.path.dirname(_mkl_runtime()),
               SHEARFEAT_FFT_EFFORT="FFTW_MEASURE")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "foreign FFTW 3.3.4 wrappers" in done.stdout and "blobs 1" in done.stdout
    assert "not to FFTW" in done.stderr
    assert wisdom.read_bytes() == b"their wisdom"


@pytest.mark.parametrize("columns", [None, ((0, 5), (27, 32))])
def test_in_place_plans_transform_like_out_of_place_ones(columns):
    rng = np.random.default_rng(0)
    spectra = rng.standard_normal((3, 32, 32)) + 1j * rng.standard_normal((3, 32, 32))
    if columns is not None:                     # what a pruned inverse may assume
        spectra[:, :, 5:27] = 0
    spectra = spectra.astype(np.complex64)
    shape = spectra.shape[1:]
    separate = _fft.Plans(shape, 3, np.complex64, 1, "FFTW_ESTIMATE")
    shared = _fft.Plans(shape, 3, np.complex64, 1, "FFTW_ESTIMATE", in_place=True)
    assert shared.coefficients is shared.products
    results = []
    for plans in (separate, shared):
        plans.products[...] = spectra
        out = plans.inverse() if columns is None else plans.inverse_columns(columns)
        results.append(out.copy())
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=1e-4)
    np.testing.assert_allclose(results[0], np.fft.ifft2(spectra) * spectra[0].size,
                               rtol=0, atol=1e-3)
    with pytest.raises(ValueError, match="in place"):
        shared.inverse(_fft.empty_aligned(spectra.shape, np.complex64))
