import os
import sys

# The naive reference lives beside the tests.
sys.path.insert(0, os.path.dirname(__file__))
# Tests build many small systems; exhaustive FFT planning would dominate their time.
os.environ.setdefault("SHEARFEAT_FFT_EFFORT", "FFTW_ESTIMATE")
