"""
Edges beside Canny
==================

The CoShREM edge measure of scikit-image's camera image, its tangent orientation as
hue, and the thinned edges (non-maximum suppression and hysteresis, like Canny's last
steps) beside :func:`skimage.feature.canny`.  The measure is in [0, 1] whatever the
local contrast: the faint building in the background and the dark coat are measured
alike.
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from skimage import color, data, feature

import shearfeat as sf

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

# %%
# Measure, orientation, thin edges
# --------------------------------
image = data.camera().astype(np.float32)
result = sf.edges(image)
thin = sf.thin(result)
canny = feature.canny(image, sigma=2)

hue = np.nan_to_num(result.orientation / 180)
orientation = color.hsv2rgb(np.stack([hue, np.ones_like(hue), result.measure], axis=-1))

fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), constrained_layout=True)
panels = [(image, "image", "gray"), (result.measure, "edge measure", "magma"),
          (orientation, "orientation as hue, measure as value", None),
          (np.dstack([thin, canny, thin]).astype(float),
           f"thin edges (magenta, {thin.sum()} px) vs Canny (green, {canny.sum()} px)", None)]
for ax, (picture, title, cmap) in zip(axes, panels):
    ax.imshow(picture, cmap=cmap)
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_edges.png"), dpi=80)
