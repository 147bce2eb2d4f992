"""Image files of every common kind reach one correct grey (shearfeat.io.read_image),
and our outputs are told apart by their metadata."""

import numpy as np
import pytest
import tifffile
from PIL import Image

import shearfeat as sf
from shearfeat.io import is_shearfeat_output, read_image, write_png, write_tiff

RAMP = np.tile(np.linspace(0, 255, 64).round().astype(np.uint8), (48, 1))


def _line(bright=True):
    """A 3-px line on a flat background, as uint8."""
    image = np.full((64, 64), 60, np.uint8)
    image[:, 30:33] = 200 if bright else 10
    return image


def _with_transparency(image):
    image.info["transparency"] = 0
    return image


def test_cmyk_jpeg_is_not_inverted(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(np.stack([RAMP] * 3, -1)).convert("CMYK").save(path, quality=95)
    grey = read_image(path)
    assert grey.shape == RAMP.shape
    np.testing.assert_allclose(grey, RAMP, atol=6)           # JPEG rounding, not 255 - x
    # and so a bright line stays a bright ridge
    line = tmp_path / "line.jpg"
    Image.fromarray(np.stack([_line()] * 3, -1)).convert("CMYK").save(line, quality=95)
    result = sf.ridges(read_image(line), polarity="both")
    assert result.height[32, 31] > 0


@pytest.mark.parametrize("mode", ["LA", "P", "P+alpha", "1", "I;16", "RGBA", "YCbCr"])
def test_pillow_modes_reach_the_same_grey(tmp_path, mode):
    base = Image.fromarray(RAMP)
    suffix = ".jpg" if mode == "YCbCr" else ".png"
    image = {"LA": lambda: Image.merge("LA", [base, Image.new("L", base.size, 128)]),
             "P": lambda: base.convert("P"),
             "P+alpha": lambda: _with_transparency(base.convert("P")),
             "1": lambda: base.point(lambda v: 255 if v > 127 else 0).convert("1"),
             "I;16": lambda: Image.fromarray(RAMP.astype(np.uint16) * 257),
             "RGBA": lambda: base.convert("RGBA"),
             "YCbCr": lambda: base.convert("RGB").convert("YCbCr")}[mode]()
    path = tmp_path / f"image{suffix}"
    image.save(path, quality=95) if suffix == ".jpg" else image.save(path)
    grey = read_image(path).astype(np.float64)
    assert grey.ndim == 2 and grey.shape == RAMP.shape
    want = RAMP.astype(np.float64)
    if mode == "I;16":
        want = want * 257
    elif mode == "1":
        want = np.where(want > 127, 255.0, 0.0)
    np.testing.assert_allclose(grey, want, atol=3 if suffix == ".jpg" else 1e-3)


def test_tiff_photometrics(tmp_path):
    deep = (RAMP.astype(np.uint16) * 257)
    tifffile.imwrite(tmp_path / "rgb16.tif", np.stack([deep] * 3, -1), photometric="rgb")
    tifffile.imwrite(tmp_path / "planar.tif", np.stack([deep] * 3), photometric="rgb",
                     planarconfig="separate")
    tifffile.imwrite(tmp_path / "white.tif", 255 - RAMP, photometric="miniswhite")
    tifffile.imwrite(tmp_path / "palette.tif", RAMP, photometric="palette",
                     colormap=np.stack([np.arange(256, dtype=np.uint16) * 257] * 3))
    tifffile.imwrite(tmp_path / "cmyk.tif",
                     np.stack([255 - RAMP] * 3 + [np.zeros_like(RAMP)], -1),
                     photometric="separated")
    for name, want in [("rgb16.tif", deep), ("planar.tif", deep), ("white.tif", RAMP),
                       ("palette.tif", deep), ("cmyk.tif", RAMP)]:
        grey = read_image(tmp_path / name)
        np.testing.assert_allclose(grey, want, atol=1, err_msg=name)
    assert read_image(tmp_path / "rgb16.tif").dtype == np.float32     # not float64


@pytest.mark.parametrize("content,message", [
    (b"", r"is empty \(0 bytes\)"),
    (b"hello, this is text\n", "is not an image file shearfeat can read.*'hello"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "like a PNG file, so it is damaged or truncated"),
    ("npy", r"a NumPy array \(.npy\): load it with numpy.load"),
    ("npz", "a zip archive"),
])
def test_files_that_are_no_images(tmp_path, content, message):
    if content in ("npy", "npz"):                     # arrays saved by NumPy
        saved = tmp_path / f"a.{content}"
        (np.save if content == "npy" else np.savez)(saved, np.zeros((4, 4)))
        content = saved.read_bytes()
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_image(path)
    assert "pip install" not in str(info.value)


def test_outputs_carry_a_marker(tmp_path):
    write_png(tmp_path / "a.edges.png", RAMP, "edges")
    write_tiff(tmp_path / "a.edges.tif", RAMP / 255.0, "edges")
    Image.fromarray(RAMP).save(tmp_path / "river.edges.png")           # a user's own
    assert is_shearfeat_output(tmp_path / "a.edges.png")
    assert is_shearfeat_output(tmp_path / "a.edges.tif")
    assert not is_shearfeat_output(tmp_path / "river.edges.png")
    (tmp_path / "junk.png").write_bytes(b"junk")
    assert not is_shearfeat_output(tmp_path / "junk.png")
    np.testing.assert_array_equal(read_image(tmp_path / "a.edges.png"), RAMP)
    assert read_image(tmp_path / "a.edges.tif").dtype == np.float32
