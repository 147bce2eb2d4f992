"""
A feature stack, as a pipeline sees it
======================================

:func:`shearfeat.extract` turns a batch of same-shaped images into one float32 array
(B, C, M, N): per feature the measure, the orientation as cos 2θ and sin 2θ (continuous
across 0/180 degrees), and the ridge width or blob diameter.  Here four crops of the
coins image, one row each, with the channel names of :func:`shearfeat.feature_names`.
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

import shearfeat as sf

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

# %%
# Four 128 x 128 crops, three features
coins = data.coins().astype(np.float32)
batch = np.stack([coins[r:r + 128, c:c + 128] for r, c in
                  ((0, 0), (0, 128), (150, 60), (170, 250))])
features = ("edges", "ridges", "blobs")
stack = sf.extract(batch, features=features, max_diameter=48)
names = sf.feature_names(features)
print(stack.shape, stack.dtype, names)

fig, axes = plt.subplots(len(batch), len(names) + 1, figsize=(19, 8.5),
                         constrained_layout=True)
for b in range(len(batch)):
    axes[b, 0].imshow(batch[b], cmap="gray")
    axes[b, 0].set_title("image" if b == 0 else "", fontsize=9)
    for c, name in enumerate(names):
        cmap = "RdBu_r" if name.endswith(("cos2", "sin2")) else "magma"
        limits = (-1, 1) if cmap == "RdBu_r" else (0, None)
        axes[b, c + 1].imshow(stack[b, c], cmap=cmap, vmin=limits[0], vmax=limits[1])
        if b == 0:
            axes[b, c + 1].set_title(name, fontsize=9)
for ax in axes.ravel():
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_extract.png"), dpi=70)
