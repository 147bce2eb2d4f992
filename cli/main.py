"""The ``shearfeat`` command: options in, one API call, files out.

Heavy imports (NumPy, Numba, pyFFTW, imageio) happen inside the commands so that
``shearfeat --help`` stays instant.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile
import warnings
from pathlib import Path

import click

FORMATS = ("png", "tiff", "npy", "npz")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".pgm",
                  ".ppm")
#: Our own outputs carry these in their names; folders are read without them.
OUTPUT_MARKS = (".edges.", ".ridges.", ".blobs.")


def _version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("shearfeat")
    except PackageNotFoundError:
        return "unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="shearfeat")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx, debug):
    """Edges, ridges and blobs of images with complex shearlets (CoShREM, SymFD).

    \b
    Example:
      shearfeat edges photo.png            # writes photo.edges.png
      shearfeat ridges scan.tif --polarity dark --format tiff
      shearfeat blobs cells.png --csv cells.csv --overlay
    """
    ctx.obj = {"debug": debug}


def _common_options(func):
    """Options every measure command takes."""
    options = [
        click.option("-o", "--output", type=click.Path(path_type=Path),
                     help="Output file (one input) or existing folder (several inputs). "
                          "Default: next to each input, as NAME.MEASURE.FORMAT."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="png",
                     show_default=True,
                     help="png: the measure as 8-bit grey; tiff: the measure as float32; "
                          "npy: the fields stacked (measure first); npz: every field by "
                          "name."),
        click.option("--overlay", is_flag=True,
                     help="Write a colour PNG of the result over the image: orientation as "
                          "hue and strength as opacity (edges, ridges), circles (blobs)."),
        click.option("--force", is_flag=True, help="Overwrite existing output files."),
        click.option("--min-contrast", type=float, default=None,
                     help="Minimal contrast in intensity units (default: a fixed "
                          "fraction of each image's range)."),
        click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
                     default="default", show_default=True, help="Shearlet parameter set."),
        click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
                     show_default=True, help="Border handling."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Images processed at once."),
        click.option("--threads", type=click.IntRange(min=1), default=None,
                     help="Threads per image (default: all cores, or 1 with --jobs)."),
        click.option("-q", "--quiet", is_flag=True,
                     help="Print nothing but errors (no progress bar)."),
        click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path)),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _line_options(func):
    """Options of the measures of lines (edges, ridges)."""
    options = [
        click.option("--thin", "thin", is_flag=True,
                     help="Write the one-pixel-wide binary map (shearfeat.thin) instead of "
                          "the measure."),
        click.option("--pivot-scales", type=click.Choice(("all", "lowest", "highest")),
                     default="all", show_default=True, help="Scales the pivot is chosen from."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _is_output(path):
    return any(mark in path.name for mark in OUTPUT_MARKS)


def _expand(paths):
    """Files, folders (their images, sorted, without our outputs) and glob patterns
    (quoted, so that the shell left them; also without our outputs).

    Returns the files and a list of (input, problem) for inputs that gave none.
    """
    files, problems = [], []
    for path in paths:
        text = str(path)
        if not path.exists() and any(ch in text for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(text)
                             if Path(m).is_file() and not _is_output(Path(m)))
            if not matches:
                problems.append((path, "no file matches this pattern"))
            files.extend(matches)
        elif path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                           and not p.name.startswith(".") and not _is_output(p))
            if not found:
                problems.append((path, "folder has no images "
                                       f"({', '.join(IMAGE_SUFFIXES)})"))
            files.extend(found)
        else:
            files.append(path)
    return files, problems


def _output_path(image_path, output, measure, suffix, n_inputs):
    name = image_path.name.rsplit(".", 1)[0] + f".{measure}{suffix}"
    if output is None:
        return image_path.with_name(name)
    if n_inputs > 1 or output.is_dir():
        if not output.is_dir():
            raise click.UsageError(f"-o {output}: with several inputs the output must be an "
                                   "existing folder")
        return output / name
    return output


def _write_atomic(path, write):
    """Write through a temporary file in the same folder, then rename: never half files."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _overlay(image, strength, orientation):
    """RGB uint8: the grey image under colours whose hue is the orientation."""
    import numpy as np
    from skimage.color import hsv2rgb
    grey = image.astype(np.float64)
    span = grey.max() - grey.min()
    grey = (grey - grey.min()) / span if span > 0 else np.zeros_like(grey)
    hue = np.nan_to_num(orientation / 180.0)
    colour = hsv2rgb(np.stack([hue, np.ones_like(hue), np.ones_like(hue)], axis=-1))
    alpha = np.clip(strength, 0, 1)[..., None]
    mixed = 0.5 * grey[..., None] * (1 - alpha) + colour * alpha   # dimmed so colours show
    return np.round(mixed * 255).astype(np.uint8)


def _save(path, fmt, fields):
    import imageio.v3 as iio
    import numpy as np
    first = next(iter(fields.values()))
    if fmt == "overlay" or (fmt == "png" and first.ndim == 3):
        _write_atomic(path, lambda tmp: iio.imwrite(tmp, first, extension=".png"))
    elif fmt == "png":
        data = np.round(np.clip(first, 0, 1) * 255).astype(np.uint8)
        _write_atomic(path, lambda tmp: iio.imwrite(tmp, data, extension=".png"))
    elif fmt == "tiff":
        data = first.astype(np.float32)
        _write_atomic(path, lambda tmp: iio.imwrite(tmp, data, extension=".tiff"))
    elif fmt == "npy":
        stack = np.stack([f.astype(np.float32) for f in fields.values()])

        def write(tmp):
            with open(tmp, "wb") as handle:
                np.save(handle, stack)
        _write_atomic(path, write)
    else:
        def write(tmp):
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, **fields)
        _write_atomic(path, write)


def _read(path):
    import imageio.v3 as iio
    if not path.exists():
        raise FileNotFoundError("no such file")
    if path.is_dir():
        raise IsADirectoryError("is a folder; pass image files")
    try:
        with warnings.catch_warnings():   # imageio's plugin probing warns on bad files
            warnings.simplefilter("ignore")
            return iio.imread(path)
    except Exception as exc:
        raise ValueError(f"cannot read as an image ({type(exc).__name__}: {exc})") from None


def _as_grey(image):
    """What the measures saw: luminance of colour images, as float."""
    import numpy as np
    from shearfeat._input import as_image
    return as_image(np.asarray(image), as_gray=True)


def _run(ctx, measure, images, output, fmt, force, quiet, jobs, thin, overlay, compute,
         draw=None, extra_outputs=()):
    """Process every input; report failures on stderr and exit 1 if any failed.

    ``compute(image, path) -> fields``; ``draw(grey, fields) -> RGB`` makes the overlay
    (default: orientation as hue).  ``extra_outputs``: other files the command writes
    at the end, checked for ``--force`` before any work.
    """
    from concurrent.futures import ThreadPoolExecutor

    debug = ctx.obj["debug"]
    if overlay and fmt != "png":
        raise click.UsageError("--overlay writes PNG images; leave out --format")
    files, problems = _expand(images)
    if not files:
        for path, problem in problems:
            click.echo(f"shearfeat {measure}: {path}: {problem}", err=True)
        raise click.UsageError("no image to process")
    suffix = ".overlay.png" if overlay else (".thin" if thin else "") + f".{fmt}"
    targets = []
    for image_path in files:
        target = _output_path(image_path, output, measure, suffix, len(files))
        if target.exists() and not force:
            raise click.UsageError(f"{target} exists; pass --force to overwrite it")
        targets.append(target)
    if output is not None and len(files) == 1 and not output.parent.exists():
        raise click.UsageError(f"-o {output}: folder {output.parent} does not exist")
    for extra in extra_outputs:
        if extra.exists() and not force:
            raise click.UsageError(f"{extra} exists; pass --force to overwrite it")
        if not extra.parent.exists():
            raise click.UsageError(f"{extra}: folder {extra.parent} does not exist")

    def process(image_path, target):
        image = _read(image_path)
        fields = compute(image, image_path)
        if overlay and draw is not None:
            fields = {"overlay": draw(_as_grey(image), fields)}
        elif overlay:
            strength = fields.get("thin", fields["measure"])
            fields = {"overlay": _overlay(_as_grey(image), strength, fields["orientation"])}
        elif thin:
            fields = {"thin": fields["thin"].astype("uint8")}
        _save(target, "overlay" if overlay else fmt, fields)
        return target

    failed = len(problems)
    for path, problem in problems:
        click.echo(f"shearfeat {measure}: {path}: {problem}", err=True)
    show_bar = len(files) > 1 and not quiet and sys.stdout.isatty()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(process, f, t) for f, t in zip(files, targets)]
        with click.progressbar(length=len(futures), label=f"shearfeat {measure}",
                               file=sys.stderr if show_bar else open(os.devnull, "w"),
                               show_pos=True) as bar:
            for image_path, future in zip(files, futures):
                try:
                    target = future.result()
                except Exception as exc:
                    if debug:
                        raise
                    failed += 1
                    click.echo(f"shearfeat {measure}: {image_path}: {exc}", err=True)
                else:
                    if not quiet and not show_bar:
                        click.echo(f"wrote {target}")
                bar.update(1)
    if show_bar:
        click.echo(f"wrote {len(files) - failed + len(problems)} of {len(files)} "
                   f"file(s)")
    return failed


@cli.command()
@_common_options
@_line_options
@click.pass_context
def edges(ctx, images, output, fmt, thin, overlay, force, min_contrast, preset, mode,
          pivot_scales, jobs, threads, quiet):
    """Edge measure of IMAGES (PNG, JPEG, TIFF, ...; colour converted to grey).

    \b
    Example:
      shearfeat edges camera.png            # writes camera.edges.png
    """
    per_image = threads or (1 if jobs > 1 else None)

    def compute(image, path):
        import shearfeat
        result = shearfeat.edges(image, min_contrast=min_contrast, preset=preset, mode=mode,
                                 pivot_scales=pivot_scales, threads=per_image, as_gray=True)
        fields = {"measure": result.measure, "orientation": result.orientation}
        if thin:
            fields["thin"] = shearfeat.thin(result, threads=per_image)
        return fields
    if _run(ctx, "edges", images, output, fmt, force, quiet, jobs, thin, overlay, compute):
        ctx.exit(1)


@cli.command()
@_common_options
@_line_options
@click.option("--polarity", type=click.Choice(("bright", "dark", "both")), default="bright",
              show_default=True, help="Ridges brighter or darker than their surroundings.")
@click.pass_context
def ridges(ctx, images, output, fmt, thin, overlay, force, min_contrast, preset, mode,
           pivot_scales, jobs, threads, quiet, polarity):
    """Ridge measure of IMAGES, with width and height in the npy output.

    \b
    Example:
      shearfeat ridges vessels.png --polarity dark   # writes vessels.ridges.png
    """
    per_image = threads or (1 if jobs > 1 else None)

    def compute(image, path):
        import shearfeat
        result = shearfeat.ridges(image, polarity=polarity, min_contrast=min_contrast,
                                  preset=preset, mode=mode, pivot_scales=pivot_scales,
                                  threads=per_image, as_gray=True)
        fields = {"measure": result.measure, "orientation": result.orientation,
                  "width": result.width, "height": result.height}
        if thin:
            fields["thin"] = shearfeat.thin(result, threads=per_image)
        return fields
    if _run(ctx, "ridges", images, output, fmt, force, quiet, jobs, thin, overlay, compute):
        ctx.exit(1)


def _draw_blobs(grey, fields):
    """RGB uint8: the grey image with a circle around every detected blob."""
    import numpy as np
    from skimage.draw import circle_perimeter
    span = grey.max() - grey.min()
    grey = (grey - grey.min()) / span if span > 0 else np.zeros_like(grey)
    rgb = np.repeat(np.round(grey * 255).astype(np.uint8)[..., None], 3, axis=-1)
    colours = {True: (255, 60, 0), False: (0, 160, 255)}          # bright, dark
    for (row, col, diameter), height in zip(fields["blobs"], fields["blob_heights"]):
        rr, cc = circle_perimeter(int(round(row)), int(round(col)),
                                  max(1, int(round(diameter / 2))), shape=grey.shape)
        rgb[rr, cc] = colours[bool(height > 0)]
    return rgb


@cli.command()
@_common_options
@click.option("--polarity", type=click.Choice(("bright", "dark", "both")), default="bright",
              show_default=True, help="Blobs brighter or darker than their surroundings.")
@click.option("--min-diameter", type=click.FloatRange(min=2), default=None,
              help="Smallest blob diameter in pixels (default 4).")
@click.option("--max-diameter", type=click.FloatRange(min=2), default=None,
              help="Largest blob diameter in pixels (default 64).")
@click.option("--threshold", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Detection threshold on the measure (default 0.3).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write every detected blob to this CSV file: "
                                 "file,row,col,diameter,strength,height.")
@click.pass_context
def blobs(ctx, images, output, fmt, overlay, force, min_contrast, preset, mode, jobs,
          threads, quiet, polarity, min_diameter, max_diameter, threshold, csv_path):
    """Blob measure of IMAGES; detected blobs as circles (--overlay) or rows (--csv).

    \b
    Example:
      shearfeat blobs cells.png --csv cells.csv   # writes cells.blobs.png and the CSV
    """
    import threading

    from shearfeat.blobs import DETECT_THRESHOLD
    per_image = threads or (1 if jobs > 1 else None)
    if min_diameter is not None and max_diameter is not None and min_diameter > max_diameter:
        raise click.BadParameter(f"{min_diameter} is larger than --max-diameter "
                                 f"{max_diameter}", param_hint="--min-diameter")
    threshold = DETECT_THRESHOLD if threshold is None else threshold
    rows, lock = [], threading.Lock()

    def compute(image, path):
        import numpy as np

        import shearfeat
        result = shearfeat.blobs(image, polarity=polarity, min_contrast=min_contrast,
                                 min_diameter=min_diameter, max_diameter=max_diameter,
                                 preset=preset, mode=mode, threads=per_image, as_gray=True)
        found, strength = result.detect(threshold, with_strength=True)
        centre = np.clip(found[:, :2].round().astype(int), 0,
                         np.array(result.height.shape) - 1)
        heights = result.height[centre[:, 0], centre[:, 1]].astype(float)
        with lock:
            rows.extend((str(path), *blob, s, h) for blob, s, h in zip(found, strength,
                                                                      heights))
        fields = {"measure": result.measure, "diameter": result.diameter,
                  "height": result.height}
        if fmt != "npy":        # npy is a stack of maps; the table goes to npz and csv
            fields.update(blobs=found, blob_strengths=strength, blob_heights=heights)
        return fields

    failed = _run(ctx, "blobs", images, output, fmt, force, quiet, jobs, False, overlay,
                  compute, draw=_draw_blobs,
                  extra_outputs=(csv_path,) if csv_path else ())
    if csv_path is not None:
        import csv
        rows.sort(key=lambda row: row[0])          # jobs finish in any order

        def write(tmp):
            with open(tmp, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["file", "row", "col", "diameter", "strength", "height"])
                for row in rows:
                    writer.writerow([row[0]] + [f"{v:.6g}" for v in row[1:]])
        _write_atomic(csv_path, write)
        if not quiet:
            click.echo(f"wrote {csv_path}: {len(rows)} blob(s)")
    if failed:
        ctx.exit(1)


@cli.command("extract")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The .npz file to write.")
@click.option("--features", default="edges,ridges", show_default=True,
              help="Comma-separated measures (edges, ridges), or 'coefficients'.")
@click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
              default="default", show_default=True, help="Shearlet parameter set.")
@click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
              show_default=True, help="Border handling.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Threads (default: $SHEARFEAT_NUM_THREADS or all cores).")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def extract_command(ctx, inputs, output, features, preset, mode, threads, force, quiet):
    """Feature stack of many images of one shape, in one .npz file.

    The file holds `features` (B, C, M, N) float32 (or `coefficients` (B, K, M, N)
    complex64), the channel `names` and the input `files` in order.

    \b
    Example:
      shearfeat extract scans/ -o features.npz --features edges,ridges
    """
    import numpy as np

    import shearfeat
    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")
    if not output.parent.exists():
        raise click.UsageError(f"-o {output}: folder {output.parent} does not exist")
    chosen = tuple(f.strip() for f in features.split(",") if f.strip())
    if chosen == ("coefficients",):
        chosen = "coefficients"
    files, problems = _expand(inputs)
    for path, problem in problems:
        click.echo(f"shearfeat extract: {path}: {problem}", err=True)
    if not files:
        raise click.UsageError("no image to process")
    images = []
    for path in files:
        try:
            images.append(_as_grey(_read(path)))
        except Exception as exc:
            if ctx.obj["debug"]:
                raise
            raise click.ClickException(f"{path}: {exc}") from None
    shapes = {}
    for path, image in zip(files, images):
        shapes.setdefault(image.shape, []).append(path.name)
    if len(shapes) > 1:
        listing = "; ".join(f"{shape[0]}x{shape[1]}: {', '.join(names[:3])}"
                            + (" ..." if len(names) > 3 else "")
                            for shape, names in shapes.items())
        raise click.ClickException("the images have different shapes (" + listing +
                                   "); extract them in groups of one shape")
    try:
        stack = shearfeat.extract(images, features=chosen, preset=preset, mode=mode,
                                  threads=threads)
        names = (np.array([], dtype=str) if chosen == "coefficients"
                 else np.array(shearfeat.feature_names(chosen)))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--features") from None
    key = "coefficients" if chosen == "coefficients" else "features"

    def write(tmp):
        with open(tmp, "wb") as handle:
            np.savez(handle, **{key: stack, "names": names,
                                "files": np.array([str(f) for f in files])})
    _write_atomic(output, write)
    if not quiet:
        click.echo(f"wrote {output}: {key} {stack.shape} {stack.dtype} from "
                   f"{len(files)} image(s)")
    if problems:
        ctx.exit(1)


@cli.group()
def nn():
    """Train and evaluate CoShNet classifiers (needs PyTorch: pip install 'shearfeat[nn]').

    \b
    Example:
      shearfeat nn train -o tiny.npz --epochs 20        # Fashion-MNIST, tiny model
      shearfeat nn evaluate tiny.npz
    """


def _nn_api():
    try:
        import shearfeat.nn as api
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    return api


def _dataset(name, data, protocol):
    from shearfeat import datasets
    loader = datasets.load_fashion_mnist if name == "fashion-mnist" else datasets.load_mnist
    try:
        train, test = loader(data)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    return (test, train) if protocol == "10k" else (train, test)


_DATA_OPTIONS = [
    click.option("--dataset", type=click.Choice(("fashion-mnist", "mnist")),
                 default="fashion-mnist", show_default=True),
    click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Folder with the IDX files (default: the usual places, see "
                      "shearfeat.datasets)."),
    click.option("--protocol", type=click.Choice(("standard", "10k")), default="standard",
                 show_default=True,
                 help="standard: train on the training set, test on the test set; 10k: "
                      "the reverse."),
]


def _data_options(func):
    for option in reversed(_DATA_OPTIONS):
        func = option(func)
    return func


@nn.command("train")
@_data_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Where to save the classifier (.npz).")
@click.option("--model", type=click.Choice(("tiny", "base")), default="tiny",
              show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3,
              show_default=True)
@click.option("--schedule", type=click.Choice(("cosine", "constant")), default="cosine",
              show_default=True,
              help="Learning rate: cosine annealing to 0, or constant (the published "
                   "recipe).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def nn_train(dataset, data, protocol, output, model, epochs, batch_size, lr, schedule,
             device, seed, force, quiet):
    """Train a CoShNet on Fashion-MNIST or MNIST and save it.

    \b
    Example:
      shearfeat nn train -o tiny.npz --model tiny --epochs 20
    """
    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")
    if not output.parent.exists():
        raise click.UsageError(f"-o {output}: folder {output.parent} does not exist")
    api = _nn_api()
    (X, y), (X_test, y_test) = _dataset(dataset, data, protocol)
    try:
        clf = api.fit(X, y, model=model, epochs=epochs, batch_size=batch_size, lr=lr,
                      schedule=schedule, device=device, seed=seed, progress=not quiet)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _write_atomic(output, clf.save)
    click.echo(f"wrote {output}: {model}, {clf.model.n_parameters():,} parameters, "
               f"{epochs} epoch(s) on {len(X):,} images; test accuracy "
               f"{clf.score(X_test, y_test):.4f} on {len(X_test):,}")


@nn.command("evaluate")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_data_options
def nn_evaluate(model_file, dataset, data, protocol):
    """Accuracy of a saved classifier on a dataset's test images.

    \b
    Example:
      shearfeat nn evaluate tiny.npz --dataset fashion-mnist
    """
    api = _nn_api()
    try:
        clf = api.Classifier.load(model_file)
    except (ValueError, KeyError, OSError) as exc:
        raise click.ClickException(f"{model_file}: {exc}") from None
    _, (X_test, y_test) = _dataset(dataset, data, protocol)
    try:
        accuracy = clf.score(X_test, y_test)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{model_file}: accuracy {accuracy:.4f} on {len(X_test):,} {dataset} test "
               f"images ({protocol} protocol)")


@cli.command()
@click.option("--shape", nargs=2, type=click.IntRange(min=3), default=(512, 512),
              show_default=True, help="Image shape ROWS COLS.")
@click.option("--kind", type=click.Choice(("edge", "ridge", "blob")), default="edge",
              show_default=True)
@click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
              default="default", show_default=True)
@click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
              show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Threads of the measure call the memory is estimated for (default: "
                   "all cores).")
def info(shape, kind, preset, mode, threads):
    """Describe the shearlet system for an image shape.

    \b
    Example:
      shearfeat info --shape 480 640 --kind ridge
    """
    import numpy as np
    import shearfeat
    system = shearfeat.ShearletSystem(tuple(shape), kind, preset=preset, mode=mode)
    p = system.params
    angles = np.unique(np.round(system.angles, 1))
    click.echo(f"kind {kind}, preset {preset}, mode {mode}")
    click.echo(f"image shape {tuple(shape)}, transform shape {system.transform_shape}")
    click.echo(f"filters K = {system.n_filters}: {system.n_scales} scales x "
               f"{system.n_orientations} orientations" + (" x 2 (on/off origin)"
                                                          if kind == "ridge" else ""))
    if kind == "blob":
        click.echo(f"blob diameters {p.min_diameter:g}-{p.max_diameter:g} px, "
                   f"{p.scales_per_octave:g} scales per octave; scales answer to (px): "
                   + ", ".join(f"{d:.1f}" for d in system.blob_diameters)
                   + " (the first and last are guards)")
    else:
        click.echo(f"wavelet width {p.wavelet_width:.2f} px, gaussian width "
                   f"{p.gaussian_width:.2f} px, alpha {p.alpha}, "
                   f"{p.scales_per_octave:g} scales per octave")
    click.echo("tangent angles (deg): " + ", ".join(f"{a:g}" for a in angles))
    if system.ridge_widths is not None:
        d = system.measure_offset
        widths = sorted(set(system.ridge_widths[d:].ravel().tolist()))
        click.echo("ridge widths measured (px): " + ", ".join(map(str, widths)))
    if system.n_measure_scales >= 1:
        from shearfeat._input import resolve_threads
        threads = resolve_threads(threads)
        memory = system.memory_estimate(threads)
        click.echo(f"memory for one {kind} measure call on {threads} thread"
                   f"{'s' if threads > 1 else ''}: {memory['total'] / 2**20:.0f} MiB "
                   f"({memory['filters'] / 2**20:.0f} MiB of filters kept between calls, "
                   f"{memory['work'] / 2**20:.0f} MiB of work arrays)")


@cli.command()
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("shearfeat-demo"), show_default=True,
              help="Folder for the results (created if needed).")
@click.pass_context
def demo(ctx, output):
    """Run edges, ridges and blobs on scikit-image's camera image; nothing to prepare.

    \b
    Example:
      shearfeat demo -o /tmp/demo
    """
    import imageio.v3 as iio
    import skimage.data

    try:
        output.mkdir(parents=True, exist_ok=True)
        source = output / "camera.png"
        iio.imwrite(source, skimage.data.camera())
    except OSError as exc:
        raise click.UsageError(f"cannot write to {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {source} (scikit-image's camera, 512 x 512)")
    ctx.invoke(edges, images=(source,), force=True)
    ctx.invoke(edges, images=(source,), force=True, overlay=True)
    ctx.invoke(ridges, images=(source,), force=True, polarity="dark")
    ctx.invoke(ridges, images=(source,), force=True, polarity="dark", overlay=True)
    ctx.invoke(blobs, images=(source,), force=True, polarity="dark", overlay=True)


def main(argv=None):
    """Entry point of the ``shearfeat`` executable."""
    return cli.main(args=argv, prog_name="shearfeat")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
