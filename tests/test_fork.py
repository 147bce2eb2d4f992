"""shearfeat in a forked child (``multiprocessing``'s default start method on Linux) after
the parent has run its threads: the child must not wait on the parent's pool or locks."""

import multiprocessing
import sys

import numpy as np
import pytest

import shearfeat as sf

pytestmark = pytest.mark.skipif(sys.platform == "win32" or "fork" not in
                                multiprocessing.get_all_start_methods(),
                                reason="needs the fork start method")


def _child(image, queue):
    result = sf.edges(image, threads=2)
    queue.put((result.measure, sf.thin(result, threads=2)))


def test_a_forked_child_computes_what_its_parent_does():
    image = np.random.default_rng(3).random((160, 150)).astype(np.float32)
    image[:, 75:] += 1.0
    parent = sf.edges(image, threads=2)                  # starts the pool, plans the FFTs
    parent_thin = sf.thin(parent, threads=2)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(image, queue))
    child.start()
    try:
        measure, thin = queue.get(timeout=60)            # a deadlocked child never answers
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    np.testing.assert_array_equal(measure, parent.measure)
    np.testing.assert_array_equal(thin, parent_thin)
