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
    # the PNG is the strength: a lone step in so small an image is most of its own
    # surround, which suppresses it to about 0.6 (see tests/test_strength.py)
    assert int(measure[24].argmax()) == 31 and measure[24].max() > 140


def test_npz_has_named_fields(step_png, tmp_path):
    result = run("ridges", step_png, "--format", "npz", "-o", tmp_path / "r.npz", "--thin",
                 "--polarity", "both")
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "r.npz") as data:
        assert sorted(data.files) == ["thin"]
    assert run("edges", step_png, "--format", "npz", "-o", tmp_path / "e.npz").exit_code == 0
    with np.load(tmp_path / "e.npz") as data:
        assert sorted(data.files) == ["measure", "orientation", "strength"]
        assert data["measure"].dtype == np.float32


def test_defaults_are_the_librarys(tmp_path):
    """The command at its defaults writes what the library's call at its defaults gives."""
    import shearfeat as sf
    from shearfeat.io import read_image
    rng = np.random.default_rng(3)
    picture = np.zeros((64, 64))
    picture[:, 20:] += 0.5
    picture[40:, :] += 0.3                                   # edges of several scales
    picture = np.clip(picture + rng.normal(0, 0.05, picture.shape), 0, 1)
    path = tmp_path / "scene.png"
    iio.imwrite(path, np.round(picture * 255).astype(np.uint8))
    image = read_image(path)
    for command, call in (("edges", sf.edges), ("ridges", sf.ridges)):
        assert run(command, path, "--format", "npz", "-o", tmp_path / f"{command}.npz",
                   "-q").exit_code == 0
        with np.load(tmp_path / f"{command}.npz") as data:
            np.testing.assert_allclose(data["strength"], call(image).strength, atol=1e-6)
    other = sf.edges(image, pivot_scales="all").strength
    with np.load(tmp_path / "edges.npz") as data:
        assert np.abs(data["strength"] - other).max() > 1e-3   # the choice shows


def test_overlay(step_png, tmp_path):
    result = run("edges", step_png, "--overlay")
    assert result.exit_code == 0, result.output
    picture = iio.imread(step_png.with_name("step.edges.overlay.png"))
    assert picture.shape == (48, 64, 3) and picture.dtype == np.uint8
    edge = picture[24, 31].astype(int)
    # saturated colour on the edge, as bright as the step's strength (about 0.6 in so
    # small an image, its own surround: see tests/test_strength.py)
    assert edge.max() - edge.min() > 140
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
    assert fields.shape == (5, 48, 64)     # measure, orientation, width, height, strength


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
    assert iio.imread(step_png.with_suffix(".x.png")).max() > 140
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
        assert data["features"].shape == (3, 9, 48, 64)
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


def test_blobs_deblend_option(tmp_path):
    # packed disks: the default corrects the diameters for crowding, --no-deblend gives
    # the maps' (10-17 % small); the centres are the same either way
    from synthetic import disk_grid
    image, _ = disk_grid(12, 1.25, noise=0.02, dtype=np.float64)
    path = tmp_path / "packed.png"
    iio.imwrite(path, np.round(40 + 150 * np.clip(image, 0, 1)).astype(np.uint8))
    tables = {}
    for flag in ("--deblend", "--no-deblend"):
        csv_path = tmp_path / f"{flag}.csv"
        result = run("blobs", path, "--csv", csv_path, "--min-diameter", 4,
                     "--max-diameter", 32, "--force", flag)
        assert result.exit_code == 0, result.output
        lines = csv_path.read_text().splitlines()[1:]
        tables[flag] = np.array([[float(v) for v in line.split(",")[1:4]] for line in lines])
    corrected, raw = tables["--deblend"], tables["--no-deblend"]
    assert len(corrected) == len(raw) == 25
    np.testing.assert_array_equal(corrected[:, :2], raw[:, :2])
    assert np.median(np.abs(corrected[:, 2] / 12 - 1)) < 0.5 * np.median(np.abs(raw[:, 2] / 12 - 1))


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


# -- reliability: what a hostile newcomer tried ------------------------------------------
def _camera_folder(folder, count, size=384):
    from skimage import data, transform
    folder.mkdir()
    base = transform.resize(data.camera(), (size, size), preserve_range=True)
    for i in range(count):
        iio.imwrite(folder / f"img{i:02d}.png", np.roll(base, 17 * i, axis=1).astype(np.uint8))
    return folder


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_ctrl_c_stops_a_folder_run_at_once(tmp_path):
    import signal
    folder = _camera_folder(tmp_path / "photos", 10)
    process = subprocess.Popen([sys.executable, "-m", "shearfeat_cli.main", "ridges",
                                str(folder), "--jobs", "2"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(folder.glob("*.ridges.png")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    assert process.returncode == 130, err
    assert elapsed < 5, elapsed                     # not after computing the queue
    written = sorted(folder.glob("*.ridges.png"))
    assert 1 <= len(written) < 10
    assert f"interrupted: {len(written)} of 10 output(s) written" in err
    assert "Traceback" not in err and "Exception ignored" not in err
    for path in written:                            # every file kept is whole
        assert iio.imread(path).shape == (384, 384)
    assert _leftovers(folder) == []


def test_ctrl_c_during_extract_leaves_nothing(tmp_path):
    import signal
    folder = _camera_folder(tmp_path / "photos", 6, size=512)
    out = tmp_path / "f.npz"
    process = subprocess.Popen([sys.executable, "-m", "shearfeat_cli.main", "extract",
                                str(folder), "-o", str(out), "--features",
                                "edges,ridges,blobs"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_two_processes_writing_one_output(tmp_path):
    _camera_folder(tmp_path / "in", 1, size=512)
    source, target = tmp_path / "in" / "img00.png", tmp_path / "out.png"
    command = [sys.executable, "-m", "shearfeat_cli.main", "ridges", str(source), "-o",
               str(target), "-q"]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(r.wait(timeout=120), r.stderr.read()) for r in runs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] in (1, 2), results     # one wins, one is refused
    loser = next(err for code, err in results if code)
    assert "appeared while it was being computed" in loser or "exists" in loser
    assert iio.imread(target).shape == (512, 512) and _leftovers(tmp_path) == []


def test_the_final_move_never_replaces_a_file_that_appeared(tmp_path):
    from shearfeat_cli._files import Publisher
    target = tmp_path / "x.edges.png"

    def racing(handle):
        handle.write(b"ours")
        target.write_bytes(b"theirs")           # another process, meanwhile
    with pytest.raises(FileExistsError, match="appeared while it was being computed"):
        Publisher(force=False).write(target, racing)
    assert target.read_bytes() == b"theirs" and _leftovers(tmp_path) == []
    Publisher(force=True).write(target, lambda handle: handle.write(b"ours"))
    assert target.read_bytes() == b"ours"


def test_two_inputs_with_one_output_are_refused_before_any_work(tmp_path, step_png):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(step_png, tmp_path / "a" / "x.png")
    shutil.copy(step_png, tmp_path / "b" / "x.png")
    out = tmp_path / "out"
    out.mkdir()
    result = run("edges", tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "-o", out)
    assert result.exit_code == 2 and "would both be written to" in result.output
    shutil.copy(step_png, tmp_path / "a" / "text.png")            # a variant: suffixes
    iio.imwrite(tmp_path / "a" / "text.jpg", iio.imread(step_png))
    result = run("edges", tmp_path / "a", "-o", out)
    assert result.exit_code == 2 and "text.edges.png" in result.output
    assert list(out.iterdir()) == []
    result = run("edges", step_png, "-o", step_png, "--force")    # its own input
    assert result.exit_code == 2 and "is an input" in result.output


def test_skip_existing_resumes_a_run(tmp_path, step_png):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        shutil.copy(step_png, folder / f"s{i}.png")
    assert run("edges", folder, "-q").exit_code == 0
    (folder / "s1.edges.png").unlink()
    before = (folder / "s0.edges.png").stat().st_mtime_ns
    result = run("edges", folder, "--skip-existing")
    assert result.exit_code == 0, result.output
    assert "2 input(s) left, their outputs exist" in result.output
    assert "wrote" in result.output and (folder / "s1.edges.png").exists()
    assert (folder / "s0.edges.png").stat().st_mtime_ns == before
    assert run("edges", folder, "--force", "--skip-existing").exit_code == 2


def test_outputs_follow_the_umask(tmp_path, step_png):
    exe = shutil.which("shearfeat")
    if exe is None:
        pytest.skip("the shearfeat executable is not installed")
    script = (f"umask 027 && {exe} edges {step_png} -o {tmp_path}/a.png -q && "
              f"chmod 604 {tmp_path}/a.png && {exe} edges {step_png} -o {tmp_path}/a.png "
              f"-q --force && umask 022 && {exe} edges {step_png} -o {tmp_path}/b.tif -q")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.png").stat().st_mode & 0o777 == 0o604    # --force keeps the mode
    assert (tmp_path / "b.tif").stat().st_mode & 0o777 == 0o644
    done = subprocess.run(["bash", "-c", f"umask 027 && {exe} edges {step_png} -o "
                           f"{tmp_path}/c.png -q"], capture_output=True, text=True)
    assert (tmp_path / "c.png").stat().st_mode & 0o777 == 0o640


def test_output_names_never_lie(tmp_path, step_png):
    result = run("edges", step_png, "-o", tmp_path / "out.jpg")
    assert result.exit_code == 2 and "name the output with one of these suffixes" in result.output
    result = run("edges", step_png, "-o", tmp_path / "out.png", "--format", "tiff")
    assert result.exit_code == 2 and "names a png file but --format is tiff" in result.output
    assert run("edges", step_png, "-o", tmp_path / "out.tif", "-q").exit_code == 0
    assert (tmp_path / "out.tif").read_bytes()[:4] == b"II*\x00"       # TIFF, as named
    assert iio.imread(tmp_path / "out.tif").dtype == np.float32
    assert run("edges", step_png, "-o", tmp_path / "out.npz", "-q").exit_code == 0
    assert "measure" in np.load(tmp_path / "out.npz").files
    result = run("edges", step_png, "-o", f"{tmp_path / 'newdir'}/", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "newdir" / "step.edges.png").is_file()        # a folder, created
    result = run("edges", step_png, "--overlay", "-o", tmp_path / "o.tif")
    assert result.exit_code == 2 and "--overlay writes PNG" in result.output


def test_files_named_like_outputs_are_read_unless_shearfeat_wrote_them(tmp_path, step_png):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(step_png, folder / "river.edges.png")         # a user's own photo
    result = run("edges", folder)
    assert result.exit_code == 0, result.output
    ours = folder / "river.edges.edges.png"
    assert ours.is_file()
    (folder / "river.edges.png").unlink()
    result = run("ridges", folder)                             # only our output is left
    assert result.exit_code == 2
    assert "has only outputs of shearfeat" in result.output and "river.edges.edges.png" in result.output
    shutil.copy(step_png, folder / "new.png")
    result = run("ridges", folder)
    assert result.exit_code == 0 and "passed over 1 file(s) that shearfeat wrote" in result.output


def test_messages_say_what_is_wrong(tmp_path, step_png):
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    result = run("edges", tmp_path / "zero.png", tmp_path / "text.png", "-q")
    assert result.exit_code == 1
    assert "zero.png: is empty (0 bytes)" in result.output
    assert "text.png: is not an image file" in result.output and "pip" not in result.output
    result = run("edges", step_png, "--min-contrast", -5)
    assert result.exit_code == 2 and "--min-contrast" in result.output
    result = CliRunner(env={"SHEARFEAT_NUM_THREADS": "abc"}).invoke(
        cli, ["extract", str(step_png), "-o", str(tmp_path / "f.npz")])
    assert result.exit_code == 2 and "SHEARFEAT_NUM_THREADS must be a number, got 'abc'" \
        in result.output and "--features" not in result.output
    result = CliRunner(env={"SHEARFEAT_MEMORY_LIMIT": "1e20"}).invoke(cli, ["edges", str(step_png)])
    assert result.exit_code == 2 and "SHEARFEAT_MEMORY_LIMIT" in result.output
    assert "blobs" in run("extract", "--help").output


def test_bad_output_paths_fail_before_any_work(tmp_path, step_png, spots_png):
    afile = tmp_path / "afile"
    afile.write_text("")
    result = run("extract", step_png, "-o", afile / "f.npz")
    assert result.exit_code == 2 and "afile is a file, not a folder" in result.output
    result = run("extract", step_png, "-o", tmp_path / "f.zip")
    assert result.exit_code == 2 and ".npz" in result.output
    result = run("blobs", spots_png, "-o", tmp_path / "b.png", "--csv", afile / "b.csv")
    assert result.exit_code == 2 and "--csv: " in result.output
    assert "afile is a file, not a folder" in result.output
    assert not (tmp_path / "b.png").exists()
    result = run("edges", step_png, "-o", tmp_path / "missing" / "e.png")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_full_disk_is_one_line_per_file(tmp_path, step_png):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        (disk / "filler").write_bytes(b"\0" * 60 * 1024)
        result = run("edges", step_png, "-o", disk / "e.tif")
        assert result.exit_code == 1 and "cannot write" in result.output
        assert "no space left" in result.output.lower() and "Traceback" not in result.output
        result = run("extract", step_png, "-o", disk / "f.npz")
        assert result.exit_code == 1 and "cannot write" in result.output
        assert _leftovers(disk) == [] and sorted(p.name for p in disk.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", str(disk)])


def test_nn_evaluate_on_broken_model_files(tmp_path):
    pytest.importorskip("torch")
    from test_datasets import write_set
    from test_nn import _model_variants
    write_set(tmp_path / "data", n_train=40, n_test=12)
    model = tmp_path / "m.npz"
    assert run("nn", "train", "--dataset", "mnist", "--data", tmp_path / "data", "-o",
               model, "--epochs", 1, "-q").exit_code == 0
    for name, (broken, _) in _model_variants(model).items():
        result = run("nn", "evaluate", broken, "--dataset", "mnist", "--data", tmp_path / "data")
        assert result.exit_code == 1, (name, result.output)
        assert f"{broken}: " in result.output and "is not a shearfeat model file" in result.output
        assert "Traceback" not in result.output and "Aborted" not in result.output
        assert result.output.count("\n") == 1, (name, result.output)
    result = run("nn", "train", "--dataset", "mnist", "--data", tmp_path / "none", "-o",
                 tmp_path / "n.npz", "--epochs", 1)
    assert result.exit_code == 1 and "pass --download" in result.output
    assert "download=True" not in result.output


def test_mask_fills_the_outside_and_clears_the_outputs(tmp_path):
    import shearfeat as sf
    from synthetic import fundus
    image, inside, _ = fundus()
    grey = np.round(255 * np.clip(image, 0, 1)).astype(np.uint8)
    iio.imwrite(tmp_path / "eye.png", grey)
    iio.imwrite(tmp_path / "fov.png", (inside * 255).astype(np.uint8))
    result = run("ridges", tmp_path / "eye.png", "--polarity", "dark", "--mask",
                 tmp_path / "fov.png", "--mask-margin", 5, "-o", tmp_path / "r.npz")
    assert result.exit_code == 0, result.output
    expected = sf.ridges(sf.fill_outside(grey, inside, margin=5), polarity="dark")
    with np.load(tmp_path / "r.npz") as data:
        np.testing.assert_array_equal(data["strength"], np.where(inside, expected.strength, 0))
        assert np.isnan(data["orientation"][~inside]).all()
        assert not data["strength"][~inside].any() and data["strength"][inside].max() > 0.3
    result = run("edges", tmp_path / "eye.png", "--mask", tmp_path / "fov.png", "--thin",
                 "-o", tmp_path / "e.png")
    assert result.exit_code == 0, result.output
    assert not iio.imread(tmp_path / "e.png")[~inside].any()


def test_mask_keeps_the_blobs_inside(spots_png, tmp_path):
    fov = np.zeros((128, 128), np.uint8)
    fov[:, :70] = 1                                        # the spot at column 90 is out
    iio.imwrite(tmp_path / "left.png", fov)
    result = run("blobs", spots_png, "--mask", tmp_path / "left.png", "--csv",
                 tmp_path / "b.csv", "--max-diameter", 32)
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in (tmp_path / "b.csv").read_text().splitlines()[1:]]
    assert sorted(round(float(r[2])) for r in rows) == [30, 60]


def test_mask_auto_estimates_each_field_of_view(tmp_path):
    import shearfeat as sf
    from synthetic import fundus
    image, _, _ = fundus()
    grey = np.round(255 * np.clip(image, 0, 1)).astype(np.uint8)
    iio.imwrite(tmp_path / "eye.png", grey)
    iio.imwrite(tmp_path / "flip.png", grey[:, ::-1])
    iio.imwrite(tmp_path / "flat.png", np.full((40, 40), 128, np.uint8))
    result = run("ridges", tmp_path / "eye.png", tmp_path / "flip.png", "--polarity", "dark",
                 "--mask", "auto", "--mask-margin", 6, "-o", f"{tmp_path / 'out'}/",
                 "--format", "npz")
    assert result.exit_code == 0, result.output
    for name, picture in (("eye", grey), ("flip", grey[:, ::-1])):
        fov = sf.field_of_view(picture)
        expected = sf.ridges(picture, polarity="dark", mask=fov, mask_margin=6)
        with np.load(tmp_path / "out" / f"{name}.ridges.npz") as data:
            np.testing.assert_array_equal(data["strength"], expected.strength)
            assert not data["strength"][~fov].any()
    # an image without a dark surround has no field of view to find: it fails, alone
    result = run("edges", tmp_path / "flat.png", tmp_path / "eye.png", "--mask", "auto",
                 "-o", f"{tmp_path / 'e'}/")
    assert result.exit_code == 1 and "flat.png: no part of the image" in result.output
    assert (tmp_path / "e" / "eye.edges.png").exists()
    assert not (tmp_path / "e" / "flat.edges.png").exists()


def test_mask_errors(step_png, tmp_path):
    iio.imwrite(tmp_path / "small.png", np.ones((10, 10), np.uint8))
    iio.imwrite(tmp_path / "empty.png", np.zeros((48, 64), np.uint8))
    thin = np.zeros((48, 64), np.uint8)
    thin[20:28] = 1
    iio.imwrite(tmp_path / "band.png", thin)
    result = run("edges", step_png, "--mask", tmp_path / "small.png")
    assert result.exit_code == 1 and "48 x 64 pixels, --mask 10 x 10" in result.output
    result = run("edges", step_png, "--mask", tmp_path / "empty.png")
    assert result.exit_code == 2 and "nothing is inside" in result.output
    result = run("ridges", step_png, "--mask", tmp_path / "band.png", "--mask-margin", 9)
    assert result.exit_code == 2 and "margin of 9 pixels" in result.output
    result = run("edges", step_png, "--mask-margin", 3)
    assert result.exit_code == 2 and "needs --mask" in result.output
    result = run("blobs", step_png, "--mask", tmp_path / "missing.png")
    assert result.exit_code == 2 and "missing.png" in result.output
    assert not list(tmp_path.glob("step.*.png"))           # nothing written on errors
