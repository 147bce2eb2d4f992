"""
Blobs and their diameters beside blob_log
=========================================

The SymFD blob measure on a crop of the Hubble deep field, and the blobs
:meth:`BlobResult.detect` finds, each drawn with its diameter.  Beside them,
:func:`skimage.feature.blob_log` (its radii are ``sqrt(2) * sigma``).  The measure asks
for a disk-like profile at every rotation and no edge around, whatever the brightness;
so it is zero where blobs touch.  The second row is a crowd of touching spots, like
cells under a microscope: ``detect()`` resolves the blobs' space-scale peaks and finds
them one by one, where a detection on the measure (``on="measure"``) finds few.
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

# %%
# A crowd: blurred spots of 9-13 px, most touching a neighbour, on a noisy background
rng = np.random.default_rng(3)
rows, cols = np.mgrid[:240, :240]
crowd = np.zeros((240, 240))
centres = []
while len(centres) < 140:
    r, c = rng.uniform(8, 232, 2)
    if all(np.hypot(r - a, c - b) > 9.5 for a, b in centres):
        centres.append((r, c))
        crowd += np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * rng.uniform(2.2, 3.2) ** 2))
crowd = (crowd + 0.05 * rng.standard_normal(crowd.shape)).astype(np.float32)
packed = sf.blobs(crowd, min_diameter=4, max_diameter=16)
crowd_log = feature.blob_log(crowd, min_sigma=1.4, max_sigma=5.7, num_sigma=7, threshold=0.05)

fig, axes = plt.subplots(2, 3, figsize=(14, 9.5), constrained_layout=True)
axes[0, 0].imshow(result.measure, cmap="magma")
axes[0, 0].set_title("blob measure")
on_measure = packed.detect(on="measure")
for ax, picture, circles, title, colour in (
        (axes[0, 1], image, [(r, c, d / 2) for r, c, d in found],
         f"shearfeat.blobs: {len(found)}", "orangered"),
        (axes[0, 2], image, [(r, c, s * np.sqrt(2)) for r, c, s in log],
         f"blob_log: {len(log)}", "deepskyblue"),
        (axes[1, 0], crowd, [(r, c, d / 2) for r, c, d in on_measure],
         f"{len(centres)} spots; detect(on='measure'): {len(on_measure)}", "gold"),
        (axes[1, 1], crowd, [(r, c, d / 2) for r, c, d in packed.detect()],
         f"detect(): {len(packed.detect())}", "orangered"),
        (axes[1, 2], crowd, [(r, c, s * np.sqrt(2)) for r, c, s in crowd_log],
         f"blob_log: {len(crowd_log)}", "deepskyblue")):
    ax.imshow(picture, cmap="gray")
    for r, c, radius in circles:
        ax.add_patch(plt.Circle((c, r), radius, color=colour, fill=False, linewidth=1))
    ax.set_title(title)
for ax in axes.ravel():
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_blobs.png"), dpi=80)
