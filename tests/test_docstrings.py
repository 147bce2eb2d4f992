"""The examples in the docstrings run and print what they say (doctest)."""

import doctest
import importlib

import pytest

MODULES = ["shearfeat._system", "shearfeat._thin", "shearfeat.blobs", "shearfeat.edges",
           "shearfeat.extract", "shearfeat.ridges"]
OPTIONAL = {"shearfeat.dask": "dask.array", "shearfeat.nn.features": "torch",
            "shearfeat.nn.model": "torch", "shearfeat.nn.train": "torch"}


@pytest.mark.parametrize("name", MODULES + sorted(OPTIONAL))
def test_docstring_examples(name):
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name])
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
