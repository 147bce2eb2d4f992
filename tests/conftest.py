import atexit
import os
import shutil
import sys
import tempfile

# The naive reference lives beside the tests.
sys.path.insert(0, os.path.dirname(__file__))
# Tests build many small systems; exhaustive FFT planning would dominate their time.
os.environ.setdefault("SHEARFEAT_FFT_EFFORT", "FFTW_ESTIMATE")
# Keep FFTW wisdom of test runs out of the user's cache, in a folder removed at exit.
if "SHEARFEAT_CACHE_DIR" not in os.environ:
    os.environ["SHEARFEAT_CACHE_DIR"] = tempfile.mkdtemp(prefix="shearfeat-test-cache-")
    atexit.register(shutil.rmtree, os.environ["SHEARFEAT_CACHE_DIR"], ignore_errors=True)
