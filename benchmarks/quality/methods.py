"""The detectors the harness scores: shearfeat at its defaults, beside the classic peers
scikit-image ships, on the same images.

Each BSDS method maps a grey image in [0, 1] to a graded map in [0, 1] (thresholded by
the protocol) or to a binary one-pixel map (one P/R point).  Each DRIVE method maps the
green channel to a score per pixel (higher: more vessel).  Each cells method maps the blue
channel and a threshold to (K, 2) centres.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import feature, filters

import shearfeat as sf


def _unit(a):
    peak = float(a.max())
    return a / peak if peak > 0 else a


# -- BSDS500 ------------------------------------------------------------------------------

def sf_edges_measure(grey):
    """The CoShREM edge measure at its defaults, with non-maximum suppression."""
    e = sf.edges(grey.astype(np.float32))
    return e.measure * sf.thin(e, low=0.0, high=0.0)


def sf_edges_measure_v1(grey):
    """The measure at the first release's defaults (pivot over all scales); the measure
    itself is unchanged, so this is the 'before' row."""
    e = sf.edges(grey.astype(np.float32), pivot_scales="all")
    return e.measure * sf.thin(e, low=0.0, high=0.0)


def sf_thin_v1(grey):
    """``thin`` as the first release had it: hysteresis (0.1, 0.3) on the measure, pivot
    over all scales."""
    e = sf.edges(grey.astype(np.float32), pivot_scales="all")
    return sf.thin(sf.EdgeResult(e.measure, e.orientation), low=0.1, high=0.3)


def sf_edges_strength(grey):
    """``EdgeResult.strength`` at its defaults, with non-maximum suppression."""
    e = sf.edges(grey.astype(np.float32))
    return e.strength * sf.thin(e, low=0.0, high=0.0)


def sf_graded_thin(grey):
    """``graded_thin(edges(image))`` at its defaults: the suppressed strength, each
    threshold a hysteresis."""
    return sf.graded_thin(sf.edges(grey.astype(np.float32)))


def sf_thin(grey):
    """``thin(edges(image))`` at its defaults (binary)."""
    return sf.thin(sf.edges(grey.astype(np.float32)))


def canny_magnitude(grey, sigma=2.0):
    """Canny's graded map: Gaussian-smoothed gradient magnitude after Canny's own
    non-maximum suppression, over its largest value."""
    smoothed = ndimage.gaussian_filter(grey, sigma, mode="nearest")
    magnitude = np.hypot(ndimage.sobel(smoothed, 0), ndimage.sobel(smoothed, 1))
    maxima = feature.canny(grey, sigma=sigma, low_threshold=0.0, high_threshold=0.0)
    return _unit(magnitude * maxima)


def canny_binary_2(grey):
    """``skimage.feature.canny(image, sigma=2)``, its default thresholds (binary)."""
    return feature.canny(grey, sigma=2.0)


def canny_binary_3(grey):
    """``skimage.feature.canny(image, sigma=3)`` (binary)."""
    return feature.canny(grey, sigma=3.0)


BSDS_GRADED = {"shearfeat v1 measure+NMS": sf_edges_measure_v1,
               "shearfeat measure+NMS": sf_edges_measure,
               "shearfeat strength+NMS": sf_edges_strength,
               "shearfeat graded_thin(edges)": sf_graded_thin,
               "canny sigma 2 +NMS": canny_magnitude}
BSDS_BINARY = {"shearfeat v1 thin(edges)": sf_thin_v1,
               "shearfeat thin(edges)": sf_thin,
               "canny binary sigma 2": canny_binary_2,
               "canny binary sigma 3": canny_binary_3}


# -- DRIVE --------------------------------------------------------------------------------

def sf_ridges_measure(green):
    """The dark-ridge measure at its defaults."""
    return sf.ridges(green.astype(np.float32), polarity="dark").measure


def sf_ridges_strength(green):
    """``RidgeResult.strength`` (dark) at its defaults."""
    return sf.ridges(green.astype(np.float32), polarity="dark").strength


def sf_ridges_strength_fov(green):
    """``RidgeResult.strength`` (dark) with the field of view estimated and filled
    beyond, less 6 pixels: ``mask="auto", mask_margin=6``."""
    return sf.ridges(green.astype(np.float32), polarity="dark", mask="auto",
                     mask_margin=6).strength


def sato(green):
    return filters.sato(green, sigmas=range(1, 5), black_ridges=True)


def frangi(green):
    return filters.frangi(green, black_ridges=True)


DRIVE = {"shearfeat ridge measure": sf_ridges_measure,
         "shearfeat ridge strength": sf_ridges_strength,
         "shearfeat ridge strength, mask auto": sf_ridges_strength_fov,
         "sato sigma 1-4": sato, "frangi": frangi}


# -- VGG cells ----------------------------------------------------------------------------
# Each returns a function of the threshold, so the costly part runs once per image.

def sf_blobs(blue):
    """``blobs(4-16 px).detect(t)``: the timed first call at its defaults; the threshold
    sweep skips the diameters' correction for crowding, which moves no centre."""
    b = sf.blobs(blue.astype(np.float32), min_diameter=4, max_diameter=16)
    timed = [True]                  # the harness times the first call only

    def detect(threshold):
        deblend, timed[0] = timed[0], False
        return b.detect(threshold, deblend=deblend)[:, :2]
    return detect


def sf_blobs_measure(blue):
    b = sf.blobs(blue.astype(np.float32), min_diameter=4, max_diameter=16)
    return lambda t: b.detect(t, on="measure")[:, :2]


def blob_dog(blue):
    sigmas = dict(min_sigma=4 / (2 * np.sqrt(2)), max_sigma=16 / (2 * np.sqrt(2)))
    return lambda t: feature.blob_dog(blue, threshold=t, **sigmas)[:, :2]


PEER_THRESHOLDS = np.round(np.geomspace(0.001, 0.3, 40), 5)


def blob_log(blue):
    sigmas = dict(min_sigma=4 / (2 * np.sqrt(2)), max_sigma=16 / (2 * np.sqrt(2)))
    return lambda t: feature.blob_log(blue, threshold=t, num_sigma=7, **sigmas)[:, :2]


CELLS = {"shearfeat blobs.detect": (sf_blobs, np.round(np.arange(0.02, 0.9, 0.02), 2)),
         "shearfeat blobs.detect(on=measure)": (sf_blobs_measure,
                                                np.round(np.arange(0.02, 0.9, 0.02), 2)),
         "blob_dog": (blob_dog, PEER_THRESHOLDS),
         "blob_log": (blob_log, PEER_THRESHOLDS)}
