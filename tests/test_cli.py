import shutil
import subprocess
import sys
import time

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

from shearfeat_cli.main import cli


@pytest.fixture
def step_png(tmp_path):
    image = np.zeros((48, 64), np.uint8)
    image[:, 32:] = 200
    path = tmp_path / "step.png"
    iio.imwrite(path, image)
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_edges_writes_next_to_input(step_png):
    result = run("edges", step_png)
    assert result.exit_code == 0, result.output
    out = step_png.with_name("step.edges.png")
    assert f"wrote {out}" in result.output
    measure = iio.imread(out)
    assert measure.dtype == np.uint8 and measure.shape == (48, 64)
    assert int(measure[24].argmax()) == 31 and measure[24].max() > 240


def test_npz_has_named_fields(step_png, tmp_path):
    result = run("ridges", step_png, "--format", "npz", "-o", tmp_path / "r.npz", "--thin",
                 "--polarity", "both")
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "r.npz") as data:
        assert sorted(data.files) == ["thin"]
    assert run("edges", step_png, "--format", "npz", "-o", tmp_path / "e.npz").exit_code == 0
    with np.load(tmp_path / "e.npz") as data:
        assert sorted(data.files) == ["measure", "orientation"]
        assert data["measure"].dtype == np.float32


def test_overlay(step_png, tmp_path):
    result = run("edges", step_png, "--overlay")
    assert result.exit_code == 0, result.output
    picture = iio.imread(step_png.with_name("step.edges.overlay.png"))
    assert picture.shape == (48, 64, 3) and picture.dtype == np.uint8
    edge = picture[24, 31].astype(int)
    assert edge.max() - edge.min() > 200          # saturated colour on the edge
    flat = picture[24, 5].astype(int)
    assert flat.max() - flat.min() == 0           # grey elsewhere
    assert run("edges", step_png, "--overlay", "--format", "tiff").exit_code == 2


def test_folders_globs_and_jobs(step_png, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(3):
        shutil.copy(step_png, folder / f"im{i}.png")
    (folder / "notes.txt").write_text("not an image")
    result = run("edges", folder, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert result.output.count("wrote") == 3           # no progress bar when not a terminal
    assert sorted(p.name for p in folder.glob("*.edges.png")) == [
        "im0.edges.png", "im1.edges.png", "im2.edges.png"]
    # a second run over the folder does not read its own outputs
    result = run("edges", folder, "--force", "-q")
    assert result.exit_code == 0 and result.output == ""
    result = run("ridges", str(folder / "im*.png"), "--format", "npy", "-q")
    assert result.exit_code == 0
    assert len(list(folder.glob("*.ridges.npy"))) == 3


def test_inputs_that_give_no_image(tmp_path, step_png):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("edges", empty)
    assert result.exit_code == 2 and "folder has no images" in result.output
    result = run("edges", str(tmp_path / "*.jpg"))
    assert result.exit_code == 2 and "no file matches" in result.output
    result = run("edges", empty, step_png, "-q")     # the other input is still processed
    assert result.exit_code == 1 and "folder has no images" in result.output
    assert step_png.with_name("step.edges.png").exists()


def test_output_folder_that_cannot_be_written(step_png, tmp_path):
    result = run("edges", step_png, "-o", tmp_path / "missing" / "out.png")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_formats_and_fields(step_png, tmp_path):
    assert run("edges", step_png, "--format", "tiff", "-o", tmp_path / "e.tiff").exit_code == 0
    measure = iio.imread(tmp_path / "e.tiff")
    assert measure.dtype == np.float32 and measure.max() == pytest.approx(0.98, abs=0.01)
    result = run("ridges", step_png, "--format", "npy", "-o", tmp_path / "r.npy",
                 "--polarity", "both")
    assert result.exit_code == 0, result.output
    fields = np.load(tmp_path / "r.npy")
    assert fields.shape == (4, 48, 64)           # measure, orientation, width, height


def test_never_overwrites_without_force(step_png):
    assert run("edges", step_png).exit_code == 0
    result = run("edges", step_png)
    assert result.exit_code == 2 and "--force" in result.output
    assert run("edges", step_png, "--force").exit_code == 0


def test_several_inputs_to_a_folder(step_png, tmp_path):
    other = tmp_path / "other.png"
    shutil.copy(step_png, other)
    outdir = tmp_path / "out"
    outdir.mkdir()
    result = run("edges", step_png, other, "-o", outdir, "-q")
    assert result.exit_code == 0 and result.output == ""
    assert sorted(p.name for p in outdir.iterdir()) == ["other.edges.png", "step.edges.png"]
    result = run("edges", step_png, other, "-o", tmp_path / "missing")
    assert result.exit_code == 2 and "existing folder" in result.output


def test_failed_inputs_are_named_and_others_still_written(step_png, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    tiny = tmp_path / "tiny.png"
    iio.imwrite(tiny, np.zeros((2, 2), np.uint8))
    result = run("edges", broken, tmp_path / "missing.png", tiny, step_png)
    assert result.exit_code == 1
    assert "broken.png: is not an image file shearfeat can read" in result.output
    assert "missing.png: no such file" in result.output
    assert "tiny.png: image must be at least 3x3" in result.output
    assert "Traceback" not in result.output
    assert step_png.with_name("step.edges.png").exists()
    assert not list(tmp_path.glob(".*"))          # no temporary files left behind


def test_usage_errors_exit_2(step_png):
    assert run("edges", step_png, "--format", "gif").exit_code == 2
    assert run("ridges", step_png, "--polarity", "white").exit_code == 2
    assert run("edges").exit_code == 2


def test_info():
    result = run("info", "--shape", "100", "120", "--kind", "ridge")
    assert result.exit_code == 0
    assert "filters K = 140" in result.output and "ridge widths" in result.output
    assert "MiB of filters kept between calls" in result.output
    one = run("info", "--shape", "100", "120", "--kind", "ridge", "--threads", 1)
    two = run("info", "--shape", "100", "120", "--kind", "ridge", "--threads", 2)
    assert "call on 1 thread:" in one.output and "call on 2 threads:" in two.output
    work = [int(r.output.split("MiB of work arrays")[0].split(",")[-1]) for r in (one, two)]
    assert work[1] > work[0]                 # each worker has its own FFT buffers


def test_installed_executable(step_png):
    exe = shutil.which("shearfeat")
    assert exe, "the shearfeat console script is not installed"
    done = subprocess.run([exe, "edges", str(step_png), "-o", str(step_png.with_suffix(".x.png"))],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert iio.imread(step_png.with_suffix(".x.png")).max() > 240
    done = subprocess.run([exe, "edges", str(step_png.with_name("nope.png"))],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "no such file" in done.stderr
    assert "Traceback" not in done.stderr
    version = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "shearfeat" in version.stdout


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, time; t = time.perf_counter(); "
            "from shearfeat_cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(time.perf_counter() - t, "
            "[m for m in ('numba', 'pyfftw', 'torch', 'numpy') if m in sys.modules])")
    best = None
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
        seconds, modules = out.split(" ", 1)
        best = min(best or 1e9, float(seconds))
    assert modules == "[]"
    assert best < 0.5


def test_thin_output(step_png, tmp_path):
    result = run("edges", step_png, "--thin", "-o", tmp_path / "thin.png")
    assert result.exit_code == 0, result.output
    mask = iio.imread(tmp_path / "thin.png")
    assert set(np.unique(mask)) == {0, 255}
    assert (mask[5:-5] == 255).sum(axis=1).tolist() == [1] * (48 - 10)   # one pixel per row
    assert (mask[5:-5, 31] == 255).all()


@pytest.mark.parametrize("name,data", [
    ("deep.tif", (np.arange(48 * 64).reshape(48, 64) % 64 > 31).astype(np.uint16) * 60000),
    ("float.tif", (np.arange(48 * 64).reshape(48, 64) % 64 > 31).astype(np.float32) * 0.25),
    ("colour.png", np.repeat(((np.arange(48 * 64).reshape(48, 64) % 64 > 31) * 200)
                             .astype(np.uint8)[..., None], 3, axis=2)),
])
def test_reads_16_bit_float_and_colour_images(tmp_path, name, data):
    path = tmp_path / name
    iio.imwrite(path, data)
    result = run("edges", path, "--format", "tiff", "-o", tmp_path / "out.tiff")
    assert result.exit_code == 0, result.output
    measure = iio.imread(tmp_path / "out.tiff")
    assert measure.shape == (48, 64)
    assert int(measure[24].argmax()) == 31 and measure.max() > 0.95


def test_readme_figure_script_runs(tmp_path):
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "figure.png"
    subprocess.run([sys.executable, os.path.join(root, "docs", "make_readme_figure.py"),
                    str(out)], check=True, capture_output=True)
    assert iio.imread(out).shape == (256, 776, 3)


def test_extract_command(step_png, tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    for i in range(3):
        shutil.copy(step_png, folder / f"s{i}.png")
    out = tmp_path / "features.npz"
    result = run("extract", folder, "-o", out, "--features", "edges,ridges")
    assert result.exit_code == 0, result.output
    with np.load(out) as data:
        assert data["features"].shape == (3, 7, 48, 64)
        assert list(data["names"])[:3] == ["edges", "edges_cos2", "edges_sin2"]
        assert [p.rsplit("/", 1)[-1] for p in data["files"]] == ["s0.png", "s1.png", "s2.png"]
    result = run("extract", folder, "-o", out, "--features", "coefficients",
                 "--preset", "small", "--force")
    assert result.exit_code == 0, result.output
    with np.load(out) as data:
        assert data["coefficients"].shape == (3, 20, 48, 64)
    assert run("extract", folder, "-o", out).exit_code == 2            # exists, no --force


def test_extract_command_errors(step_png, tmp_path):
    iio.imwrite(tmp_path / "other.png", np.zeros((20, 30), np.uint8))
    result = run("extract", step_png, tmp_path / "other.png", "-o", tmp_path / "f.npz")
    assert result.exit_code == 1 and "different shapes" in result.output
    assert "48x64: step.png" in result.output
    result = run("extract", step_png, "-o", tmp_path / "f.npz", "--features", "blobz")
    assert result.exit_code == 2 and "valid names" in result.output
    assert not (tmp_path / "f.npz").exists()


@pytest.fixture
def spots_png(tmp_path):
    from synthetic import disks
    image = disks([(30, 30, 10), (40, 90, 16), (90, 60, 8)], n=128)
    image[100:, :] = 0
    path = tmp_path / "spots.png"
    iio.imwrite(path, np.round(40 + 150 * image).astype(np.uint8))
    return path


def test_blobs_csv_overlay_and_fields(spots_png, tmp_path):
    csv_path = tmp_path / "blobs.csv"
    result = run("blobs", spots_png, "--csv", csv_path, "--overlay", "--max-diameter", 32)
    assert result.exit_code == 0, result.output
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "file,row,col,diameter,strength,height"
    table = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    assert len(table) == 3
    order = np.argsort(table[:, 2])
    np.testing.assert_allclose(table[order, :3], [[90, 60, 8], [30, 30, 10], [40, 90, 16]],
                               atol=1.0, rtol=0.15)
    assert np.all(table[:, 4] > 100)                       # heights in grey levels
    picture = iio.imread(spots_png.with_name("spots.blobs.overlay.png"))
    assert picture.shape == (128, 128, 3)
    assert tuple(picture[30, 25]) == (255, 60, 0)          # circle of radius 5 round (30, 30)
    # npz holds the maps and the table; npy the maps only
    assert run("blobs", spots_png, "--format", "npz").exit_code == 0
    with np.load(spots_png.with_name("spots.blobs.npz")) as data:
        assert {"measure", "diameter", "height", "blobs", "blob_strengths"} <= set(data.files)
        assert data["blobs"].shape == (3, 3)
    assert run("blobs", spots_png, "--format", "npy").exit_code == 0
    assert np.load(spots_png.with_name("spots.blobs.npy")).shape == (3, 128, 128)


def test_blobs_errors(spots_png, tmp_path):
    csv_path = tmp_path / "b.csv"
    csv_path.write_text("keep me")
    result = run("blobs", spots_png, "--csv", csv_path)
    assert result.exit_code == 2 and "--force" in result.output
    assert csv_path.read_text() == "keep me"
    assert run("blobs", spots_png, "--min-diameter", 20, "--max-diameter", 10).exit_code == 2
    assert run("blobs", spots_png, "--threshold", 1.5).exit_code == 2
    assert run("blobs", spots_png, "--csv", tmp_path / "no" / "b.csv").exit_code == 2
    result = run("blobs", spots_png, tmp_path / "missing.png", "--csv", tmp_path / "c.csv")
    assert result.exit_code == 1 and "missing.png: no such file" in result.output
    assert len((tmp_path / "c.csv").read_text().splitlines()) == 4   # the good input's rows


def test_info_blob():
    result = run("info", "--kind", "blob", "--shape", 100, 100)
    assert result.exit_code == 0 and "filters K = 88" in result.output
    assert "blob diameters 4-64 px" in result.output


def test_nn_train_and_evaluate(tmp_path):
    pytest.importorskip("torch")
    from test_datasets import write_set
    write_set(tmp_path / "data", n_train=40, n_test=12)
    model = tmp_path / "m.npz"
    result = run("nn", "train", "--dataset", "mnist", "--data", tmp_path / "data", "-o", model,
                 "--epochs", 1, "--schedule", "constant", "-q")
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "45,742 parameters" in result.output
    assert model.is_file()
    result = run("nn", "evaluate", model, "--dataset", "mnist", "--data", tmp_path / "data")
    assert result.exit_code == 0 and "accuracy" in result.output and "12 mnist" in result.output
    assert run("nn", "train", "--dataset", "mnist", "--data", tmp_path / "data", "-o",
               model, "--epochs", 1).exit_code == 2                     # exists, no --force
    result = run("nn", "evaluate", model, "--dataset", "mnist", "--data", tmp_path / "none")
    assert result.exit_code == 1 and "not found" in result.output
    (tmp_path / "junk.npz").write_bytes(b"junk")
    result = run("nn", "evaluate", tmp_path / "junk.npz", "--data", tmp_path / "data",
                 "--dataset", "mnist")
    assert result.exit_code == 1 and "junk.npz" in result.output


def test_demo_writes_every_measure(tmp_path):
    result = run("demo", "-o", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert names == ["camera.blobs.overlay.png", "camera.edges.overlay.png",
                     "camera.edges.png", "camera.png", "camera.ridges.overlay.png",
                     "camera.ridges.png"]
    assert iio.imread(tmp_path / "demo" / "camera.blobs.overlay.png").shape == (512, 512, 3)
