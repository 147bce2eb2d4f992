"""
Robustness on a real photo: thin edges under lighting, gamma, noise and JPEG
============================================================================

The camera image, clean and after the perturbations that the BSDS500 robustness benchmark
applies (``benchmarks/quality/robust.py``): contrast x0.25 around the mean, gamma 2.2, an
illumination ramp from x0.2 at the left border to x1.0 at the right, Gaussian noise of
sigma 0.10 and JPEG at quality 20.  Each detector runs at its defaults, as a deployed one
would: ``thin(edges(image))`` and ``skimage.feature.canny(image, sigma=2)``.  Each panel's
title gives the F of its edges against the same detector's edges on the clean image
(a match within 2 px): how much of what it saw it still sees.
"""

import os
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage
from skimage import data, feature, transform

import shearfeat as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # the repository's root
from benchmarks.quality.robust import perturb                   # noqa: E402

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

# %%
# The photo, at half size, in [0, 1]
photo = transform.rescale(data.camera() / 255.0, 0.5, anti_aliasing=True)
perturbations = ["clean", "contrast x0.25", "gamma 2.2", "ramp 0.2-1.0", "noise 0.10",
                 "jpeg 20"]
detectors = {"shearfeat thin(edges)": lambda g: sf.thin(sf.edges(g.astype(np.float32))),
             "Canny sigma 2": lambda g: feature.canny(g, sigma=2.0)}


def agreement(found, reference, tolerance=2.0):
    """F of ``found`` against ``reference``, a pixel matching within ``tolerance``."""
    if not found.any() or not reference.any():
        return 0.0
    precision = (ndimage.distance_transform_edt(~reference)[found] <= tolerance).mean()
    recall = (ndimage.distance_transform_edt(~found)[reference] <= tolerance).mean()
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# %%
# Each detector's edges under each perturbation
fig, axes = plt.subplots(len(detectors) + 1, len(perturbations),
                         figsize=(3 * len(perturbations), 3.1 * (len(detectors) + 1)),
                         constrained_layout=True)
images = {name: perturb(name, photo, seed=0) for name in perturbations}
for j, name in enumerate(perturbations):
    axes[0, j].imshow(images[name], cmap="gray", vmin=0, vmax=1)
    axes[0, j].set_title(name, fontsize=9)
for i, (detector, run) in enumerate(detectors.items(), start=1):
    clean = run(images["clean"])
    for j, name in enumerate(perturbations):
        found = run(images[name])
        axes[i, j].imshow(found, cmap="gray_r")
        axes[i, j].set_title(f"{detector}\nF vs clean {agreement(found, clean):.2f}",
                             fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_robustness.png"), dpi=60)
