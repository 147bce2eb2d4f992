"""Readers of the three annotated benchmarks (``../shared/data``, see its README).

Nothing here is copied into the project: every reader takes the data folder as given on
the command line and fails with a message naming what is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import io as sio
from skimage import color

from shearfeat import fill_outside

#: Which images each split holds: tuned on ``tune``, checked on ``aside``.
SPLITS = {
    "bsds": {"tune": "train", "aside": "val"},
    "drive": {"tune": range(21, 31), "aside": range(31, 41)},
    "cells": {"tune": range(1, 51), "aside": range(51, 101)},
}


def _need(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"missing {path}: --data must name the folder of "
                         "../shared/data/README.md (bsds500/, drive/, vgg_cells/)")
    return path


def bsds(root, split, limit=None):
    """(name, grey image in [0, 1] float64, list of boundary maps) of a BSDS500 split."""
    folder = SPLITS["bsds"][split]
    images = sorted(_need(Path(root) / "bsds500" / "images" / folder).glob("*.jpg"))
    for path in images[:limit]:
        truth = sio.loadmat(_need(Path(root) / "bsds500" / "groundTruth" / folder /
                                  (path.stem + ".mat")))["groundTruth"]
        boundaries = [truth[0, k]["Boundaries"][0, 0].astype(bool)
                      for k in range(truth.shape[1])]
        grey = color.rgb2gray(np.asarray(Image.open(path).convert("RGB")))
        yield path.stem, grey, boundaries


def drive(root, split, limit=None, fov_margin=None):
    """(name, green channel in [0, 1], vessel mask, field-of-view mask) of DRIVE; with
    ``fov_margin``, the green channel filled beyond the field of view less that many
    pixels (:func:`shearfeat.fill_outside`), the same for every method: the masks hold
    one to three black pixels outside a rim brighter than the retina, which filters read
    as a dark ridge inside the field of view.  Scoring stays inside the original mask."""
    base = _need(Path(root) / "drive" / "training")
    for number in list(SPLITS["drive"][split])[:limit]:
        rgb = np.asarray(Image.open(_need(base / "images" / f"{number}_training.tif")))
        vessels = np.asarray(Image.open(_need(base / "1st_manual" / f"{number}_manual1.gif")))
        fov = np.asarray(Image.open(_need(base / "mask" / f"{number}_training_mask.gif")))
        if fov.ndim == 3:
            fov = fov[..., 0]
        green, fov = rgb[..., 1] / 255.0, fov > 0
        if fov_margin is not None:
            green = fill_outside(green, fov, margin=fov_margin)
        yield str(number), green, vessels > 0, fov



def cells(root, split, limit=None):
    """(name, blue channel in [0, 1], (K, 2) cell centres) of the VGG cells."""
    base = _need(Path(root) / "vgg_cells")
    for number in list(SPLITS["cells"][split])[:limit]:
        image = np.asarray(Image.open(_need(base / f"{number:03d}cell.png")).convert("RGB"))
        dots = np.asarray(Image.open(_need(base / f"{number:03d}dots.png")).convert("RGB"))
        centres = np.argwhere((dots[..., 0] > 127) & (dots[..., 1] < 128)
                              & (dots[..., 2] < 128)).astype(float)
        yield f"{number:03d}", image[..., 2] / 255.0, centres
