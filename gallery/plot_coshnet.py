"""
A CoShNet trained in seconds, and what its first layer answers to
=================================================================

:func:`shearfeat.nn.fit` trains the tiny CoShNet (under 50,000 real parameters) on the
fixed complex shearlet coefficients.  Here two epochs on 3,000 Fashion-MNIST images
(when the dataset is installed: ``apt-get install dataset-fashion-mnist``; otherwise on
synthetic shapes), then the magnitude of the first complex layer's responses to one test
image: each channel combines the 20 shearlet coefficient maps into a detector of its own.
Needs PyTorch (``pip install 'shearfeat[nn]'``); without it the script says so and stops.
"""

import os
import sys
import tempfile

import matplotlib.pyplot as plt
import numpy as np

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

try:
    import torch
except ImportError:
    print("plot_coshnet needs PyTorch: pip install 'shearfeat[nn]'; skipped")
    sys.exit(0)

from shearfeat.datasets import load_fashion_mnist  # noqa: E402
from shearfeat.nn import fit  # noqa: E402

# %%
# Data: a small subset
try:
    (X, y), (X_test, y_test) = load_fashion_mnist()
    labels = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
              "sneaker", "bag", "boot"]
except FileNotFoundError:
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[:28, :28]
    y = rng.integers(0, 2, 4000)
    X = np.stack([np.where(((rows - 14) ** 2 + (cols - 14) ** 2 <= 64) if k == 0 else
                           ((abs(rows - 14) <= 7) & (abs(cols - 14) <= 7)), 200, 30)
                  + rng.normal(0, 25, (28, 28)) for k in y]).clip(0, 255).astype(np.uint8)
    (X, y), (X_test, y_test) = (X[:3000], y[:3000]), (X[3000:], y[3000:])
    labels = ["disk", "square"]
X, y = X[:3000], y[:3000]
X_test, y_test = X_test[:1000], y_test[:1000]

# %%
# Train, score, look inside
clf = fit(X, y, model="tiny", epochs=2, progress=False, seed=0)
accuracy = clf.score(X_test, y_test)
print(f"test accuracy after 2 epochs on {len(X)} images: {accuracy:.3f}")

image = X_test[0]
with torch.no_grad():
    x = clf.preprocess(image[None]).to(clf.device)
    first = clf.model.convolutions[0](clf.model.features(x))[0].abs().cpu().numpy()

fig, axes = plt.subplots(2, 9, figsize=(16, 4.2), constrained_layout=True)
axes[0, 0].imshow(image, cmap="gray")
axes[0, 0].set_title(f"{labels[y_test[0]]}", fontsize=9)
axes[1, 0].text(0.0, 0.5, f"tiny CoShNet\n{clf.model.n_parameters():,} parameters\n"
                f"2 epochs, {len(X)} images\ntest accuracy {accuracy:.1%}", fontsize=9,
                va="center")
slots = [(row, col) for row in (0, 1) for col in range(1, 9)]
for k, (row, col) in enumerate(slots[:first.shape[0]]):
    axes[row, col].imshow(first[k], cmap="magma")
    axes[row, col].set_title(f"|channel {k}|", fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
fig.savefig(os.path.join(OUT, "plot_coshnet.png"), dpi=80)
