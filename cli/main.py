"""The ``shearfeat`` command: options in, one API call, files out.

Heavy imports (NumPy, Numba, pyFFTW, Pillow) happen inside the commands so that
``shearfeat --help`` stays instant.  Where files go and how they are written lives in
``_files``; reading and writing images in :mod:`shearfeat.io`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ._files import (EXIT_INTERRUPTED, Interrupted, Publisher, check_targets,
                     check_writable, choose_format, expand, make_folder, output_option,
                     run_jobs, target_for)

FORMATS = ("png", "tiff", "npy", "npz")


class ConfigurationError(click.ClickException):
    """A bad ``SHEARFEAT_*`` variable: a usage error (exit 2), without the usage text."""

    exit_code = 2


class _Group(click.Group):
    """The command group: every failure becomes one line on stderr and an exit status.

    0 success, 1 some inputs failed (each named), 2 usage or configuration error, 130
    interrupted (Ctrl-C).  ``--debug`` shows tracebacks instead.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Interrupted as exc:
            click.echo(f"\nshearfeat: {exc}", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except KeyboardInterrupt:
            click.echo("\nshearfeat: interrupted; nothing half-written was left", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            raise click.ClickException(f"{type(exc).__name__}: {exc} (run with --debug for "
                                       "the traceback)") from None


def _version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("shearfeat")
    except PackageNotFoundError:
        return "unknown"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
        click.option("-o", "--output", default=None, metavar="PATH",
                     help="Output file (one input; its suffix names the format) or folder "
                          "(an existing one, or a path ending in / that is created). "
                          "Default: next to each input, as NAME.MEASURE.FORMAT."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="png (default): the strength (edges, ridges; the measure for "
                          "blobs) as 8-bit grey; tiff: the measure as float32; npy: the "
                          "fields stacked (measure first); npz: every field by name.  "
                          "Default: what -o's suffix names, else png."),
        click.option("--overlay", is_flag=True,
                     help="Write a colour PNG of the result over the image: orientation as "
                          "hue and strength as opacity (edges, ridges), circles (blobs)."),
        click.option("--force", is_flag=True, help="Overwrite existing output files."),
        click.option("--skip-existing", is_flag=True,
                     help="Leave inputs whose output exists (to resume a stopped run)."),
        click.option("--min-contrast", type=click.FloatRange(min=0), default=None,
                     help="Minimal contrast in intensity units (default: a fixed "
                          "fraction of each image's range)."),
        click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
                     default="default", show_default=True, help="Shearlet parameter set."),
        click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
                     show_default=True, help="Border handling."),
        click.option("--mask", "mask_path", default=None, metavar="FILE|auto",
                     type=click.Path(dir_okay=False),
                     help="Field of view (an image of the inputs' size, nonzero inside; "
                          "'auto': estimated from each image, for a dark surround, with "
                          "shearfeat.field_of_view): the outside is filled from the inside "
                          "first (shearfeat.fill_outside), so its border is no feature, and "
                          "the outputs are 0 outside it (blobs: only blobs inside)."),
        click.option("--mask-margin", type=click.IntRange(min=0), default=0,
                     show_default=True, metavar="PX",
                     help="Pixels taken off the inside of --mask first (for masks that "
                          "take in a rim or some of the surround; 6 suits DRIVE)."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Images processed at once."),
        click.option("--threads", type=click.IntRange(1, 1024), default=None,
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
                     default=None,
                     help="Scales the pivot is chosen from [default: the library's, "
                          "lowest for edges, all for ridges]."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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


def _save(handle, fmt, fields, what):
    """Write ``fields`` (name -> array; the first is the one images show) to ``handle``."""
    import numpy as np

    from shearfeat import io
    first = next(iter(fields.values()))
    if fmt == "overlay" or (fmt == "png" and first.ndim == 3):
        io.write_png(handle, first, what)
    elif fmt == "png":                   # the soft map people look at: the strength
        shown = fields.get("strength", first)
        io.write_png(handle, np.round(np.clip(shown, 0, 1) * 255).astype(np.uint8), what)
    elif fmt == "tiff":
        io.write_tiff(handle, first, what)
    elif fmt == "npy":
        np.save(handle, np.stack([f.astype(np.float32) for f in fields.values()]))
    else:
        np.savez_compressed(handle, **fields)


def _check_environment():
    """Every SHEARFEAT_* variable, before any work (exit 2 for a bad one)."""
    from shearfeat._env import check_environment
    try:
        check_environment()
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def _announce_compilation(quiet):
    """Say so when the first run will compile the kernels (tens of seconds of silence)."""
    from shearfeat import _kernels
    if not quiet and not _kernels.cached_on_disk():
        click.echo("shearfeat: compiling the kernels for this machine, once (about 30 s)...",
                   err=True)


#: The --mask value that estimates each image's field of view (the library's ``mask``).
AUTO_MASK = "auto"


def _read_mask(path, margin):
    """The --mask file as a boolean (M, N) array (nonzero: inside), :data:`AUTO_MASK`, or
    None; a usage error when it cannot be read or leaves nothing inside."""
    if path is None:
        if margin:
            raise click.UsageError("--mask-margin needs --mask")
        return None
    if path == AUTO_MASK:
        return AUTO_MASK
    from shearfeat.io import read_image
    try:
        mask = read_image(path) != 0
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--mask") from None
    if not mask.any():
        raise click.BadParameter(f"{path} has no nonzero pixel: nothing is inside",
                                 param_hint="--mask")
    import numpy as np

    import shearfeat
    try:                                     # the margin leaves something inside
        shearfeat.fill_outside(np.zeros(mask.shape, np.float32), mask, margin=margin)
    except ValueError as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--mask-margin") from None
    return mask


def _mask_for(image, mask):
    """The measures' ``mask`` for ``image``: the --mask image checked against its shape,
    :data:`AUTO_MASK` (the library estimates it) or None."""
    if mask is None or isinstance(mask, str):
        return mask
    if mask.shape != image.shape:
        raise ValueError(f"the image is {image.shape[0]} x {image.shape[1]} pixels, --mask "
                         f"{mask.shape[0]} x {mask.shape[1]}")
    return mask


def _run(ctx, measure, images, output, fmt, force, skip_existing, quiet, jobs, thin,
         overlay, compute, draw=None, extra_outputs=None, mask=None):
    """Process every input; report failures on stderr and return how many failed.

    ``compute(image, path, mask) -> fields`` gets the grey image and the measures'
    ``mask`` for it (see :func:`_mask_for`); ``draw(grey, fields) -> RGB`` makes the
    overlay (default: orientation as hue) on the image as read.  ``extra_outputs``: other files
    the command writes at the end (path -> option that named it), checked with the
    others before any work.
    """
    from shearfeat.io import read_image

    debug = ctx.obj["debug"]
    _check_environment()
    output, folder = output_option(output)
    files, problems, skipped_ours = expand(images)
    for path, problem in problems:
        click.echo(f"shearfeat {measure}: {path}: {problem}", err=True)
    if not files:
        raise click.UsageError("no image to process")
    if output is not None and not folder and len(files) > 1:
        raise click.UsageError(f"-o {output}: with several inputs the output must be an "
                               "existing folder, or a path ending in / (then created)")
    fmt = choose_format(output, folder, fmt, overlay)
    if folder:
        make_folder(output)
    suffix = ".overlay.png" if overlay else (".thin" if thin else "") + f".{fmt}"
    targets = [target_for(f, output, folder, measure, suffix) for f in files]
    pairs, existing = check_targets(files, targets, force=force, skip_existing=skip_existing)
    extra_outputs = extra_outputs or {}
    written_targets = {t.resolve() for t in targets}
    for extra in extra_outputs:
        if extra.resolve() in written_targets or extra.resolve() in {f.resolve() for f in files}:
            raise click.UsageError(f"{extra} is also an input or an image output")
        if (extra.exists() or extra.is_symlink()) and not force:
            raise click.UsageError(f"{extra} exists; pass --force to overwrite it")
    check_writable([t for _, t in pairs])
    for extra, option in extra_outputs.items():
        check_writable([extra], option)
    if not quiet and skipped_ours:
        click.echo(f"shearfeat {measure}: passed over {len(skipped_ours)} file(s) that "
                   f"shearfeat wrote, such as {skipped_ours[0]}", err=True)
    if not quiet and existing:
        click.echo(f"shearfeat {measure}: {existing} input(s) left, their outputs exist",
                   err=True)
    if pairs:
        _announce_compilation(quiet)
    publisher = Publisher(force)

    def process(image_path, target):
        image = read_image(image_path)
        fields = compute(image, image_path, _mask_for(image, mask))
        if overlay and draw is not None:
            fields = {"overlay": draw(image, fields)}
        elif overlay:
            strength = fields.get("thin", fields.get("strength", fields["measure"]))
            fields = {"overlay": _overlay(image, strength, fields["orientation"])}
        elif thin:
            fields = {"thin": fields["thin"].astype("uint8")}
        kind = "overlay" if overlay else fmt
        publisher.write(target, lambda handle: _save(handle, kind, fields, measure))

    show_bar = len(pairs) > 1 and not quiet and sys.stderr.isatty()
    failures = []
    with click.progressbar(length=len(pairs), label=f"shearfeat {measure}",
                           file=sys.stderr if show_bar else open(os.devnull, "w"),
                           show_pos=True) as bar:
        def done(source, target):
            if not quiet and not show_bar:
                click.echo(f"wrote {target}")
            bar.update(1)

        def failed(source, exc):
            failures.append((source, exc))
            if not show_bar:
                click.echo(f"shearfeat {measure}: {source}: {exc}", err=True)
            bar.update(1)

        run_jobs(pairs, process, jobs, publisher, on_done=done, on_failed=failed,
                 debug=debug)
    if show_bar:
        for source, exc in failures:            # after the bar, so that none is lost
            click.echo(f"shearfeat {measure}: {source}: {exc}", err=True)
        click.echo(f"wrote {publisher.written} of {len(pairs)} file(s)", err=True)
    return len(failures) + len(problems)


@cli.command()
@_common_options
@_line_options
@click.pass_context
def edges(ctx, images, output, fmt, thin, overlay, force, skip_existing, min_contrast,
          preset, mode, mask_path, mask_margin, pivot_scales, jobs, threads, quiet):
    """Edge measure of IMAGES (PNG, JPEG, TIFF, ...; colour converted to grey).

    \b
    Example:
      shearfeat edges camera.png            # writes camera.edges.png
    """
    per_image = threads or (1 if jobs > 1 else None)
    mask = _read_mask(mask_path, mask_margin)

    def compute(image, path, field):
        import shearfeat
        chosen = {} if pivot_scales is None else {"pivot_scales": pivot_scales}
        result = shearfeat.edges(image, min_contrast=min_contrast, preset=preset, mode=mode,
                                 mask=field, mask_margin=mask_margin, threads=per_image,
                                 **chosen)
        fields = {"measure": result.measure, "orientation": result.orientation,
                  "strength": result.strength}
        if thin:
            fields["thin"] = shearfeat.thin(result, threads=per_image)
        return fields
    if _run(ctx, "edges", images, output, fmt, force, skip_existing, quiet, jobs, thin,
            overlay, compute, mask=mask):
        ctx.exit(1)


@cli.command()
@_common_options
@_line_options
@click.option("--polarity", type=click.Choice(("bright", "dark", "both")), default="bright",
              show_default=True, help="Ridges brighter or darker than their surroundings.")
@click.pass_context
def ridges(ctx, images, output, fmt, thin, overlay, force, skip_existing, min_contrast,
           preset, mode, mask_path, mask_margin, pivot_scales, jobs, threads, quiet,
           polarity):
    """Ridge measure of IMAGES, with width and height in the npy output.

    \b
    Example:
      shearfeat ridges vessels.png --polarity dark   # writes vessels.ridges.png
    """
    per_image = threads or (1 if jobs > 1 else None)
    mask = _read_mask(mask_path, mask_margin)

    def compute(image, path, field):
        import shearfeat
        chosen = {} if pivot_scales is None else {"pivot_scales": pivot_scales}
        result = shearfeat.ridges(image, polarity=polarity, min_contrast=min_contrast,
                                  preset=preset, mode=mode, mask=field,
                                  mask_margin=mask_margin, threads=per_image, **chosen)
        fields = {"measure": result.measure, "orientation": result.orientation,
                  "width": result.width, "height": result.height,
                  "strength": result.strength}
        if thin:
            fields["thin"] = shearfeat.thin(result, threads=per_image)
        return fields
    if _run(ctx, "ridges", images, output, fmt, force, skip_existing, quiet, jobs, thin,
            overlay, compute, mask=mask):
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
              help="Smallest blob height to detect, as a fraction of the image's "
                   "intensity range (default 0.1).")
@click.option("--deblend/--no-deblend", default=True, show_default=True,
              help="Correct the diameters for crowding (measures a picture of the blobs "
                   "found again, twice: about 3x the time; centres do not change).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write every detected blob to this CSV file: "
                                 "file,row,col,diameter,strength,height.")
@click.pass_context
def blobs(ctx, images, output, fmt, overlay, force, skip_existing, min_contrast, preset,
          mode, mask_path, mask_margin, jobs, threads, quiet, polarity, min_diameter,
          max_diameter, threshold, deblend, csv_path):
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
    mask = _read_mask(mask_path, mask_margin)
    rows, lock = [], threading.Lock()

    def compute(image, path, field):
        import numpy as np

        import shearfeat
        if isinstance(field, str):     # estimated here, once: the heights need it too
            field = shearfeat.field_of_view(image)
        result = shearfeat.blobs(image, polarity=polarity, min_contrast=min_contrast,
                                 min_diameter=min_diameter, max_diameter=max_diameter,
                                 preset=preset, mode=mode, mask=field,
                                 mask_margin=mask_margin, threads=per_image)
        found, strength = result.detect(threshold, with_strength=True, deblend=deblend)
        centre = np.clip(found[:, :2].round().astype(int), 0,
                         np.array(result.height.shape) - 1)
        if field is not None:          # the peak heights are of the filled image's range
            image = shearfeat.fill_outside(image, field, margin=mask_margin)
        span = float(np.ptp(np.asarray(image, np.float64)))      # peak heights: of the range
        heights = result.peak_height[centre[:, 0], centre[:, 1]].astype(float) * span
        with lock:
            rows.extend((str(path), *blob, s, h) for blob, s, h in zip(found, strength,
                                                                      heights))
        fields = {"measure": result.measure, "diameter": result.diameter,
                  "height": result.height}
        if fmt != "npy":        # npy is a stack of maps; the table goes to npz and csv
            fields.update(blobs=found, blob_strengths=strength, blob_heights=heights)
        return fields

    if csv_path is not None and skip_existing:
        raise click.UsageError("--csv lists the blobs of the images computed; it cannot be "
                               "combined with --skip-existing")
    publisher = Publisher(force)
    failed = _run(ctx, "blobs", images, output, fmt, force, skip_existing, quiet, jobs,
                  False, overlay, compute, draw=_draw_blobs,
                  extra_outputs={csv_path: "--csv"} if csv_path else None, mask=mask)
    if csv_path is not None:
        import csv
        import io
        rows.sort(key=lambda row: row[0])          # jobs finish in any order

        def write(handle):
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(["file", "row", "col", "diameter", "strength", "height"])
            for row in rows:
                writer.writerow([row[0]] + [f"{v:.6g}" for v in row[1:]])
            text.flush()
            text.detach()
        try:
            publisher.write(csv_path, write)
        except OSError as exc:
            raise click.ClickException(str(exc)) from None
        if not quiet:
            click.echo(f"wrote {csv_path}: {len(rows)} blob(s)")
    if failed:
        ctx.exit(1)


@cli.command("extract")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The .npz file or .zarr store to write.")
@click.option("--features", default="edges,ridges", show_default=True,
              help="Comma-separated measures (edges, ridges, blobs), or 'coefficients'.")
@click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
              default="default", show_default=True, help="Shearlet parameter set.")
@click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
              show_default=True, help="Border handling.")
@click.option("--mask", "mask_path", default=None, metavar="FILE|auto",
              type=click.Path(dir_okay=False),
              help="Field of view of every image (nonzero inside), or 'auto' for each "
                   "image's own: filled beyond first, every channel 0 outside it.")
@click.option("--mask-margin", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="PX", help="Pixels taken off the inside of --mask first.")
@click.option("--threads", type=click.IntRange(1, 1024), default=None,
              help="Threads (default: $SHEARFEAT_NUM_THREADS or all cores).")
@click.option("--force", is_flag=True, help="Overwrite an existing output.")
@click.option("--batch", type=click.IntRange(1, 100_000), default=8, show_default=True,
              help=".zarr: images read and computed together (memory grows with it).")
@click.option("--resume", is_flag=True,
              help=".zarr: continue a stopped run; what it wrote is verified, the rest "
                   "computed.")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help=".zarr: start a local Dask cluster of this many worker processes.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help=".zarr: send the work to this running Dask scheduler "
                   "(tcp://host:8786); the workers must see the same files.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def extract_command(ctx, inputs, output, features, preset, mode, mask_path, mask_margin,
                    threads, force, batch, resume, workers, scheduler, quiet):
    """Feature stack of many images of one shape, in a .npz file or a .zarr store.

    A .npz file holds `features` (B, C, M, N) float32 (or `coefficients` (B, K, M, N)
    complex64), the channel `names` and the input `files` in order; it is computed in
    memory.  A .zarr store holds the same stack chunked per image, with the names,
    files and parameters as attributes; it is streamed a batch at a time, so memory
    stays bounded, and a stopped run continues with --resume.

    \b
    Examples:
      shearfeat extract scans/ -o features.npz --features edges,ridges,blobs
      shearfeat extract photos/ -o features.zarr --workers 2
      shearfeat extract photos/ -o features.zarr --resume
    """
    import numpy as np

    import shearfeat
    from shearfeat.io import read_image
    _check_environment()
    suffix = output.suffix.lower()
    if suffix not in (".npz", ".zarr"):
        raise click.UsageError(f"-o {output}: extract writes a .npz file or a .zarr store; "
                               "name it so")
    if suffix == ".npz" and (resume or workers or scheduler):
        raise click.UsageError("--resume, --workers and --scheduler go with a .zarr output")
    if workers and scheduler:
        raise click.UsageError("--workers and --scheduler exclude each other")
    chosen = tuple(f.strip() for f in features.split(",") if f.strip())
    if chosen == ("coefficients",):
        chosen = "coefficients"
    try:
        names = (np.array([], dtype=str) if chosen == "coefficients"
                 else np.array(shearfeat.feature_names(chosen)))
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--features") from None
    if resume and force:
        raise click.UsageError("--resume and --force exclude each other")
    mask = _read_mask(mask_path, mask_margin)
    if mask is not None and chosen == "coefficients":
        raise click.UsageError("--mask goes with measure features; the coefficients are "
                               "of the images as they are")
    if (output.exists() or output.is_symlink()) and not (force or resume):
        raise click.UsageError(f"{output} exists; pass --force to overwrite it"
                               + (", or --resume to continue it" if suffix == ".zarr"
                                  else ""))
    check_writable([output])
    files, problems, skipped = expand(inputs)
    for path, problem in problems:
        click.echo(f"shearfeat extract: {path}: {problem}", err=True)
    if not files:
        raise click.UsageError("no image to process")
    if output.resolve() in {f.resolve() for f in files}:
        raise click.UsageError(f"{output} is an input; writing it would destroy it")
    if suffix == ".zarr":
        failed = _extract_to_zarr(ctx, files, output, chosen, preset, mode, mask,
                                  mask_margin, threads, force, batch, resume, workers,
                                  scheduler, quiet)
        if failed or problems:
            ctx.exit(1)
        return
    images = []
    for path in files:
        try:
            images.append(read_image(path))
        except (OSError, ValueError) as exc:
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
    _announce_compilation(quiet)
    try:
        if mask is not None and not isinstance(mask, str) \
                and mask.shape != images[0].shape:
            raise ValueError(f"the images are {images[0].shape[0]} x {images[0].shape[1]} "
                             f"pixels, --mask {mask.shape[0]} x {mask.shape[1]}")
        stack = shearfeat.extract(images, features=chosen, preset=preset, mode=mode,
                                  mask=mask, mask_margin=mask_margin, threads=threads)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    key = "coefficients" if chosen == "coefficients" else "features"

    def write(handle):
        np.savez(handle, **{key: stack, "names": names,
                            "files": np.array([str(f) for f in files])})
    try:
        Publisher(force).write(output, write)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    if not quiet:
        click.echo(f"wrote {output}: {key} {stack.shape} {stack.dtype} from "
                   f"{len(files)} image(s)")
    if problems:
        ctx.exit(1)


def _dask_client(workers, scheduler):
    """A context giving a distributed client (a local cluster of ``workers`` processes, or
    the scheduler at ``scheduler``), or None for neither."""
    import contextlib
    if not (workers or scheduler):
        return contextlib.nullcontext(None)
    try:
        import distributed
    except ImportError:
        raise click.ClickException("--workers and --scheduler need Dask's distributed: "
                                   "pip install 'shearfeat[dask]'") from None

    @contextlib.contextmanager
    def client():
        if scheduler:
            try:
                with distributed.Client(scheduler, timeout="10s") as c:
                    yield c
            except OSError as exc:
                raise click.ClickException(f"--scheduler {scheduler}: cannot connect "
                                           f"({exc})") from None
            return
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as c:
            yield c
    return client()


def _extract_to_zarr(ctx, files, output, features, preset, mode, mask, mask_margin, threads,
                     force, batch, resume, workers, scheduler, quiet):
    """The streamed, resumable .zarr path of ``shearfeat extract``; returns the failures."""
    try:
        from shearfeat.store import extract_to_zarr
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    show_bar = not quiet and sys.stderr.isatty()
    _announce_compilation(quiet)
    with click.progressbar(length=len(files), label="shearfeat extract", show_pos=True,
                           file=sys.stderr if show_bar else open(os.devnull, "w")) as bar:
        try:
            with _dask_client(workers, scheduler) as client:
                summary = extract_to_zarr(
                    files, output, features=features, preset=preset, mode=mode,
                    mask=mask, mask_margin=mask_margin, batch_size=batch,
                    resume=resume and output.exists(), overwrite=force, client=client,
                    threads=threads, progress=bar.update)
        except KeyboardInterrupt:
            click.echo(f"\nshearfeat extract: interrupted; what was written is kept: run "
                       f"the same command with --resume to continue", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (ValueError, OSError) as exc:
            raise click.ClickException(f"{output}: {exc}") from None
    for path, message in summary["failed"]:
        click.echo(f"shearfeat extract: {path}: {message}", err=True)
    if not quiet:
        shape = " x ".join(map(str, summary["shape"]))
        click.echo(f"wrote {output}: ({shape}) stack, {summary['written']} image(s) "
                   f"computed, {summary['kept']} kept from before, "
                   f"{len(summary['failed'])} failed")
    return summary["failed"]


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


def _dataset(name, data, protocol, download):
    from shearfeat import datasets
    loader = datasets.load_fashion_mnist if name == "fashion-mnist" else datasets.load_mnist
    try:
        train, test = loader(data, download=download)
    except datasets.DatasetNotFoundError as exc:
        raise click.ClickException(exc.message("pass --download")) from None
    except (OSError, ValueError) as exc:
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
    click.option("--download", is_flag=True,
                 help="Download the official files into the user cache when they are "
                      "found nowhere (checked against their published checksums)."),
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
def nn_train(dataset, data, protocol, download, output, model, epochs, batch_size, lr,
             schedule, device, seed, force, quiet):
    """Train a CoShNet on Fashion-MNIST or MNIST and save it.

    \b
    Example:
      shearfeat nn train -o tiny.npz --model tiny --epochs 20
    """
    _check_environment()
    if (output.exists() or output.is_symlink()) and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")
    check_writable([output])
    api = _nn_api()
    (X, y), (X_test, y_test) = _dataset(dataset, data, protocol, download)
    try:
        clf = api.fit(X, y, model=model, epochs=epochs, batch_size=batch_size, lr=lr,
                      schedule=schedule, device=device, seed=seed, progress=not quiet)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        Publisher(force).write(output, clf.save)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {output}: {model}, {clf.model.n_parameters():,} parameters, "
               f"{epochs} epoch(s) on {len(X):,} images; test accuracy "
               f"{clf.score(X_test, y_test):.4f} on {len(X_test):,}")


@nn.command("evaluate")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_data_options
def nn_evaluate(model_file, dataset, data, protocol, download):
    """Accuracy of a saved classifier on a dataset's test images.

    \b
    Example:
      shearfeat nn evaluate tiny.npz --dataset fashion-mnist
    """
    _check_environment()
    api = _nn_api()
    try:
        clf = api.Classifier.load(model_file)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"{model_file}: {exc}") from None
    _, (X_test, y_test) = _dataset(dataset, data, protocol, download)
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
        # at the library's defaults: an edge call keeps its pivot scales' responses only
        import inspect
        pivot = (inspect.signature(shearfeat.edges).parameters["pivot_scales"].default
                 if kind == "edge" else None)
        memory = system.memory_estimate(threads, pivot)
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
    try:
        return cli.main(args=argv, prog_name="shearfeat")
    except SystemExit as exit:
        if exit.code == EXIT_INTERRUPTED:
            # Ctrl-C: the outputs are safe (see _files.Publisher); worker threads may
            # still be inside a compiled kernel, and waiting for them is what the user
            # asked not to do.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
