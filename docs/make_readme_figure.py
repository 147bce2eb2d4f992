"""Draw docs/shearfeat.png, the picture at the top of the README.

scikit-image's camera image, its edge measure drawn over it (orientation as hue) and
the thinned edges.  Run from the repository root:  python docs/make_readme_figure.py [OUT]
"""

import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from skimage import data, transform

import shearfeat as sf
from shearfeat_cli.main import _overlay


def main(out=None):
    image = data.camera().astype(np.float32)
    edges = sf.edges(image)
    mask = sf.thin(edges)
    panels = [
        np.repeat(image[..., None] / 255.0, 3, axis=2),
        _overlay(image, edges.measure, edges.orientation) / 255.0,
        np.repeat(mask[..., None].astype(float), 3, axis=2),
    ]
    small = [transform.resize(p, (256, 256), anti_aliasing=True) for p in panels]
    gap = np.ones((256, 4, 3))
    figure = np.concatenate([small[0], gap, small[1], gap, small[2]], axis=1)
    out = Path(out) if out else Path(__file__).with_name("shearfeat.png")
    iio.imwrite(out, np.round(figure * 255).astype(np.uint8))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
