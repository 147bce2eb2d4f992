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


def disk(centre, diameter, n=128, height=1.0, background=0.0, slope=0.0, dtype=np.float32):
    """A disk of ``diameter`` pixels at ``centre`` (row, col), antialiased by 4 x 4
    supersampling, on a background rising by ``slope`` per pixel along the columns and
    half that along the rows."""
    fine = (np.arange(4 * n) + 0.5) / 4 - 0.5
    r, c = np.meshgrid(fine, fine, indexing="ij")
    inside = (r - centre[0]) ** 2 + (c - centre[1]) ** 2 <= (diameter / 2) ** 2
    image = inside.reshape(n, 4, n, 4).mean(axis=(1, 3)) * height
    rows, cols = np.mgrid[:n, :n]
    return (background + image + slope * (cols + rows / 2)).astype(dtype)


def disks(blobs, n=128, dtype=np.float32):
    """Unit-height disks ``(row, col, diameter)`` on a zero background."""
    image = np.zeros((n, n))
    for row, col, diameter in blobs:
        image = np.maximum(image, disk((row, col), diameter, n=n, dtype=np.float64))
    return image.astype(dtype)


def disk_grid(diameter, spacing, count=5, margin=2.0, noise=0.0, seed=0, dtype=np.float32):
    """``count`` x ``count`` unit disks of ``diameter`` pixels, their centres ``spacing``
    diameters apart (1: touching), ``margin`` diameters from the borders, slightly off
    the pixel grid, plus Gaussian noise of standard deviation ``noise``; and the (K, 2)
    centres."""
    step = spacing * diameter
    n = int(round(2 * margin * diameter + (count - 1) * step + diameter))
    first = margin * diameter + diameter / 2 + 0.3
    centres = [(first + i * step, first + j * step + 0.2)
               for i in range(count) for j in range(count)]
    image = disks([(r, c, diameter) for r, c in centres], n=n, dtype=np.float64)
    image += noise * np.random.default_rng(seed).standard_normal(image.shape)
    return image.astype(dtype), np.array(centres)


def fundus(n=96, radius=38, rim=3, seed=0):
    """A DRIVE-like field of view: a grey disk with a bright rim and a bright optic disc,
    a dark vertical vessel (3 px wide, 0.05 deep), black outside, and a mask that takes
    in a black ring."""
    yy, xx = np.mgrid[:n, :n]
    r = np.hypot(yy - n / 2, xx - n / 2)
    image = np.where(r < radius, 0.5, 0.02)
    image[(r >= radius - rim) & (r < radius)] = 0.85
    image[(r < radius - rim) & (np.abs(xx - n / 2) <= 1)] = 0.45
    image[np.hypot(yy - n / 2, xx - 0.72 * n) < n / 16] = 0.9
    image += np.random.default_rng(seed).normal(0, 0.005, image.shape)
    return image.astype(np.float32), r < radius + 2, r
