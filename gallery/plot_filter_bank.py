"""
The complex filters, in space and frequency
===========================================

Each filter of an edge system is a 1-D Mexican hat times a Gaussian window, sheared to
its orientation and dilated to its scale; made analytic along its wavelet axis, its real
part is even (answers ridges) and its imaginary part odd (answers edges).  Shown for
three scales of one orientation and three orientations of one scale: the even and odd
parts in space (centred) and the magnitude of the spectrum (zero frequency centred).
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import shearfeat as sf

OUT = os.environ.get("SHEARFEAT_GALLERY_OUT") or tempfile.mkdtemp(prefix="shearfeat-")

# %%
# A small system, so that the filters fill the frame
system = sf.ShearletSystem((96, 96), kind="edge", mode="periodic", wavelet_width=40,
                           gaussian_width=14)
chosen = [(0, 0), (2, 0), (4, 0), (2, 2), (2, 5), (2, 8)]       # (scale, orientation)

fig, axes = plt.subplots(3, len(chosen), figsize=(13, 7), constrained_layout=True)
for col, (scale, orientation) in enumerate(chosen):
    k = scale * system.n_orientations + orientation
    spectrum = system.filters[k]
    # ifft2(spectrum) is the filter reflected (correlation); flip it back for display
    space = np.fft.fftshift(np.fft.ifft2(spectrum))[::-1, ::-1]
    for row, (picture, name, cmap) in enumerate((
            (space.real, "even (real)", "RdBu_r"), (space.imag, "odd (imaginary)", "RdBu_r"),
            (np.abs(np.fft.fftshift(spectrum)), "|spectrum|", "magma"))):
        limit = np.abs(picture).max()
        axes[row, col].imshow(picture, cmap=cmap,
                              vmin=-limit if cmap == "RdBu_r" else 0, vmax=limit)
        axes[row, col].set_axis_off()
        if row == 0:
            axes[row, col].set_title(f"scale {scale}, {system.angles[k]:.0f} deg",
                                     fontsize=9)
        if col == 0:
            axes[row, col].text(-5, 48, name, rotation=90, va="center", ha="right")
fig.savefig(os.path.join(OUT, "plot_filter_bank.png"), dpi=80)
