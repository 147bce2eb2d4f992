"""Synthetic test images with known geometry."""

import numpy as np


def step(theta, n=128, contrast=1.0, background=0.0, offset=0.0, dtype=np.float32):
    """A straight step edge through the image centre whose tangent makes ``theta``
    degrees with the row axis (0: vertical edge, 90: horizontal), antialiased by a
    one-pixel ramp.  Returns the image and the signed distance of every pixel centre to
    the edge.  ``offset`` moves the edge along its normal, in pixels."""
    t = np.radians(theta)
    normal_r, normal_c = -np.sin(t), np.cos(t)
    r, c = np.mgrid[:n, :n].astype(float)
    # Half a pixel off the centre, so that axis-aligned edges fall between pixels.
    distance = (r - n / 2 + 0.5) * normal_r + (c - n / 2 + 0.5) * normal_c + offset
    image = background + contrast * np.clip(0.5 + distance, 0, 1)
    return image.astype(dtype), distance


def box_ridge(width, n=96, height=1.0, vertical=True, dtype=np.float32):
    """A box ridge ``width`` pixels wide through the middle, and its centre position
    (column for vertical ridges, row for horizontal ones)."""
    image = np.zeros((n, n), dtype)
    start = n // 2 - width // 2
    if vertical:
        image[:, start:start + width] = height
    else:
        image[start:start + width, :] = height
    return image, start + (width - 1) / 2
