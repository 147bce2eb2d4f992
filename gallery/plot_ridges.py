"""
Vessels as dark ridges, with their widths
=========================================

Retinal vessels are darker than the tissue around them: dark ridges.  The ridge measure
finds them at every width its scales cover, and reports each one's width in pixels and
its height (contrast); the thinned centre lines are drawn over the image.  Bright ridges
of the same image (the optic disc's rim, reflexes) are kept apart by ``polarity``.

A fundus photo is seen through a round aperture with a black surround, whose border
reads as a dark ridge just inside it.  ``mask="auto"`` estimates that field of view
(:func:`shearfeat.field_of_view`) and fills the image beyond it, less a margin, before
measuring (:func:`shearfeat.fill_outside`): the rim is gone and the maps are 0 outside.
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from skimage import data, transform

import shearfeat as sf

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

# %%
# Dark and bright ridges of the green channel
# -------------------------------------------
green = data.retina()[..., 1].astype(np.float32)
image = transform.resize(green, (480, 480), anti_aliasing=True).astype(np.float32)
unmasked = sf.ridges(image, polarity="dark")
dark = sf.ridges(image, polarity="dark", mask="auto", mask_margin=6)
bright = sf.ridges(image, polarity="bright", mask="auto", mask_margin=6)
centre = sf.thin(dark)

width = np.where(dark.measure > 0.3, dark.width, np.nan)

fig, axes = plt.subplots(1, 5, figsize=(20, 4.4), constrained_layout=True)
axes[0].imshow(image, cmap="gray")
axes[0].set_title("retina, green channel")
axes[1].imshow(unmasked.strength, cmap="magma", vmin=0, vmax=1)
axes[1].set_title("dark ridge strength: the rim reads as a ridge")
axes[2].imshow(dark.strength, cmap="magma", vmin=0, vmax=1)
axes[2].set_title('mask="auto", mask_margin=6')
shown = axes[3].imshow(width, cmap="viridis")
axes[3].set_title("width (px) where measure > 0.3")
fig.colorbar(shown, ax=axes[3], shrink=0.8)
overlay = np.dstack([image / image.max()] * 3)
overlay[centre] = (1.0, 0.2, 0.0)
overlay[sf.thin(bright)] = (0.0, 0.6, 1.0)
axes[4].imshow(overlay)
axes[4].set_title("centre lines: dark (red), bright (blue)")
for ax in axes:
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_ridges.png"), dpi=80)
