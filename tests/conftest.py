import os
import sys
import tempfile

# The naive reference lives beside the tests.
sys.path.insert(0, os.path.dirname(__file__))
# Tests build many small systems; exhaustive FFT planning would dominate their time.
os.environ.setdefault("SHEARFEAT_FFT_EFFORT", "FFTW_ESTIMATE")
# Keep FFTW wisdom of test runs out of the user's cache.
os.environ.setdefault("SHEARFEAT_CACHE_DIR", tempfile.mkdtemp(prefix="shearfeat-test-cache-"))
