"""The robustness claim on real photos: BSDS500 images after a change of contrast,
gamma, illumination, noise or compression, scored three ways.

Each perturbation maps a grey image in [0, 1] to another in [0, 1]:

- ``contrast x0.25``: ``m + 0.25 (g - m)`` around the image's mean ``m``;
- ``gamma 2.2``: ``g ** 2.2``;
- ``ramp 0.2-1.0``: ``g`` times an illumination that rises from 0.2 at the left border
  to 1.0 at the right one;
- ``noise 0.05``, ``noise 0.10``: additive Gaussian noise of that standard deviation,
  clipped to [0, 1], seeded by the image's place in the split;
- ``jpeg 20``: JPEG at quality 20 (Pillow), of the image as 8-bit grey.

The three ways (``__main__`` prints one row per method and perturbation):

- ``ODS``: the threshold chosen again on the perturbed images;
- ``F@clean``: the graded map's F at the threshold chosen on the clean images (what a
  deployed detector with a fixed threshold faces);
- ``F``: for the binary outputs at their defaults, ``thin(edges(image))`` against
  ``skimage.feature.canny(image, sigma=2)``.

``kept`` is the figure over the same method's figure on the clean images.  A map that is
normalised per image by its largest value (Canny's graded map here) is blind to a global
contrast change, so the local perturbations (gamma, ramp, noise, JPEG) are the ones that
separate methods.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def contrast(grey, seed):
    mean = float(grey.mean())
    return mean + 0.25 * (grey - mean)


def gamma(grey, seed):
    return grey ** 2.2


def ramp(grey, seed):
    return grey * np.linspace(0.2, 1.0, grey.shape[1])[None, :]


def _noise(sigma):
    def noisy(grey, seed):
        rng = np.random.default_rng(seed)
        return np.clip(grey + rng.normal(0.0, sigma, grey.shape), 0.0, 1.0)
    return noisy


def jpeg(grey, seed, quality=20):
    buffer = io.BytesIO()
    Image.fromarray(np.round(grey * 255).astype(np.uint8)).save(buffer, "JPEG",
                                                                quality=quality)
    return np.asarray(Image.open(buffer), np.float64) / 255.0


PERTURBATIONS = {"clean": lambda grey, seed: grey,
                 "contrast x0.25": contrast,
                 "gamma 2.2": gamma,
                 "ramp 0.2-1.0": ramp,
                 "noise 0.05": _noise(0.05),
                 "noise 0.10": _noise(0.10),
                 "jpeg 20": jpeg}

#: The methods compared: graded maps (thresholded by the protocol) and binary outputs.
GRADED = ("shearfeat graded_thin(edges)", "shearfeat strength+NMS", "canny sigma 2 +NMS")
BINARY = ("shearfeat thin(edges)", "canny binary sigma 2")


def perturb(name, grey, seed):
    """The perturbation ``name`` of ``grey`` (float64 in [0, 1])."""
    out = np.asarray(PERTURBATIONS[name](grey, seed), np.float64)
    if not np.isfinite(out).all() or out.min() < 0.0 or out.max() > 1.0:
        raise AssertionError(f"perturbation {name!r} left [0, 1]")
    return out
