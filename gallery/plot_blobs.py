"""
Blobs and their diameters beside blob_log
=========================================

The SymFD blob measure on a crop of the Hubble deep field: each detected blob is drawn
with the diameter the measure found, strongest first.  Beside it,
:func:`skimage.feature.blob_log` (its radii are ``sqrt(2) * sigma``).  The measure asks
for a disk-like profile at every rotation and no edge around, whatever the brightness.
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from skimage import color, data, feature

import shearfeat as sf

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

# %%
# Detect, then draw circles
# -------------------------
image = color.rgb2gray(data.hubble_deep_field()[:400, :400]).astype(np.float32)
result = sf.blobs(image, max_diameter=48)
found, strength = result.detect(with_strength=True)
log = feature.blob_log(image, min_sigma=1.5, max_sigma=16, num_sigma=10, threshold=0.05)

fig, axes = plt.subplots(1, 3, figsize=(14, 5), constrained_layout=True)
axes[0].imshow(result.measure, cmap="magma")
axes[0].set_title("blob measure")
for ax, circles, title, colour in (
        (axes[1], [(r, c, d / 2) for r, c, d in found], f"shearfeat.blobs: {len(found)}",
         "orangered"),
        (axes[2], [(r, c, s * np.sqrt(2)) for r, c, s in log], f"blob_log: {len(log)}",
         "deepskyblue")):
    ax.imshow(image, cmap="gray")
    for r, c, radius in circles:
        ax.add_patch(plt.Circle((c, r), radius, color=colour, fill=False, linewidth=1))
    ax.set_title(title)
for ax in axes:
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_blobs.png"), dpi=80)
