"""The ``shearfeat`` command: options in, one API call, files out.

Heavy imports (NumPy, Numba, pyFFTW, imageio) happen inside the commands so that
``shearfeat --help`` stays instant.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

import click

FORMATS = ("png", "tiff", "npy")


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
    """Edges and ridges of images with complex shearlets (CoShREM).

    \b
    Example:
      shearfeat edges photo.png            # writes photo.edges.png
      shearfeat ridges scan.tif --polarity dark --format tiff
    """
    ctx.obj = {"debug": debug}


def _common_options(func):
    options = [
        click.option("-o", "--output", type=click.Path(path_type=Path),
                     help="Output file (one input) or existing folder (several inputs). "
                          "Default: next to each input, as NAME.MEASURE.FORMAT."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="png",
                     show_default=True,
                     help="png: the measure as 8-bit grey; tiff: the measure as float32; "
                          "npy: every result field stacked (measure first; with --thin "
                          "the binary map as 0/1)."),
        click.option("--force", is_flag=True, help="Overwrite existing output files."),
        click.option("--thin", "thin", is_flag=True,
                     help="Write the one-pixel-wide binary map (shearfeat.thin) instead of "
                          "the measure."),
        click.option("--min-contrast", type=float, default=None,
                     help="Minimal contrast in intensity units (default: a fixed "
                          "fraction of each image's range)."),
        click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
                     default="default", show_default=True, help="Shearlet parameter set."),
        click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
                     show_default=True, help="Border handling."),
        click.option("--pivot-scales", type=click.Choice(("all", "lowest", "highest")),
                     default="all", show_default=True, help="Scales the pivot is chosen from."),
        click.option("--threads", type=click.IntRange(min=1), default=None,
                     help="Threads (default: $SHEARFEAT_NUM_THREADS or all cores)."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
        click.argument("images", nargs=-1, required=True,
                       type=click.Path(path_type=Path)),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _output_path(image_path, output, measure, fmt, n_inputs):
    suffix = f".{measure}.{fmt}"
    if output is None:
        return image_path.with_name(image_path.name.rsplit(".", 1)[0] + suffix)
    if n_inputs > 1 or output.is_dir():
        if not output.is_dir():
            raise click.UsageError(f"-o {output}: with several inputs the output must be an "
                                   "existing folder")
        return output / (image_path.name.rsplit(".", 1)[0] + suffix)
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


def _save(path, fmt, fields):
    import imageio.v3 as iio
    import numpy as np
    measure = fields[0]
    if fmt == "png":
        data = np.round(np.clip(measure, 0, 1) * 255).astype(np.uint8)
        _write_atomic(path, lambda tmp: iio.imwrite(tmp, data, extension=".png"))
    elif fmt == "tiff":
        data = measure.astype(np.float32)
        _write_atomic(path, lambda tmp: iio.imwrite(tmp, data, extension=".tiff"))
    else:
        stack = np.stack(fields).astype(np.float32)

        def write(tmp):
            with open(tmp, "wb") as handle:
                np.save(handle, stack)
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


def _run(ctx, measure, images, output, fmt, force, quiet, compute):
    """Process every input; report failures on stderr and exit 1 if any failed."""
    debug = ctx.obj["debug"]
    targets = []
    for image_path in images:
        target = _output_path(image_path, output, measure, fmt, len(images))
        if target.exists() and not force:
            raise click.UsageError(f"{target} exists; pass --force to overwrite it")
        targets.append(target)
    failed = 0
    for image_path, target in zip(images, targets):
        try:
            image = _read(image_path)
            fields = compute(image)
            _save(target, fmt, fields)
        except Exception as exc:
            if debug:
                raise
            failed += 1
            click.echo(f"shearfeat {measure}: {image_path}: {exc}", err=True)
            continue
        if not quiet:
            click.echo(f"wrote {target}")
    if failed:
        ctx.exit(1)


@cli.command()
@_common_options
@click.pass_context
def edges(ctx, images, output, fmt, force, thin, min_contrast, preset, mode, pivot_scales,
          threads, quiet):
    """Edge measure of IMAGES (PNG, JPEG, TIFF, ...; colour converted to grey).

    \b
    Example:
      shearfeat edges camera.png            # writes camera.edges.png
    """
    def compute(image):
        import numpy as np
        import shearfeat
        result = shearfeat.edges(image, min_contrast=min_contrast, preset=preset, mode=mode,
                                 pivot_scales=pivot_scales, threads=threads, as_gray=True)
        if thin:
            return [shearfeat.thin(result, threads=threads).astype(np.float32)]
        return [result.measure, result.orientation]
    _run(ctx, "edges", images, output, fmt, force, quiet, compute)


@cli.command()
@_common_options
@click.option("--polarity", type=click.Choice(("bright", "dark", "both")), default="bright",
              show_default=True, help="Ridges brighter or darker than their surroundings.")
@click.pass_context
def ridges(ctx, images, output, fmt, force, thin, min_contrast, preset, mode, pivot_scales,
           threads, quiet, polarity):
    """Ridge measure of IMAGES, with width and height in the npy output.

    \b
    Example:
      shearfeat ridges vessels.png --polarity dark   # writes vessels.ridges.png
    """
    def compute(image):
        import numpy as np
        import shearfeat
        result = shearfeat.ridges(image, polarity=polarity, min_contrast=min_contrast,
                                  preset=preset, mode=mode, pivot_scales=pivot_scales,
                                  threads=threads, as_gray=True)
        if thin:
            return [shearfeat.thin(result, threads=threads).astype(np.float32)]
        return [result.measure, result.orientation, result.width, result.height]
    _run(ctx, "ridges", images, output, fmt, force, quiet, compute)


@cli.command()
@click.option("--shape", nargs=2, type=click.IntRange(min=3), default=(512, 512),
              show_default=True, help="Image shape ROWS COLS.")
@click.option("--kind", type=click.Choice(("edge", "ridge")), default="edge",
              show_default=True)
@click.option("--preset", type=click.Choice(("default", "coshrem", "small")),
              default="default", show_default=True)
@click.option("--mode", type=click.Choice(("reflect", "periodic")), default="reflect",
              show_default=True)
def info(shape, kind, preset, mode):
    """Describe the shearlet system for an image shape.

    \b
    Example:
      shearfeat info --shape 480 640 --kind ridge
    """
    import numpy as np
    import shearfeat
    system = shearfeat.ShearletSystem(tuple(shape), kind, preset=preset, mode=mode)
    p = system.params
    angles = np.unique(np.round(system.orientation_table.tangent_angle, 1))
    click.echo(f"kind {kind}, preset {preset}, mode {mode}")
    click.echo(f"image shape {tuple(shape)}, transform shape {system.transform_shape}")
    click.echo(f"filters K = {system.n_filters}: {system.n_scales} scales x "
               f"{system.n_orientations} orientations" + (" x 2 (on/off origin)"
                                                          if kind == "ridge" else ""))
    click.echo(f"wavelet width {p.wavelet_width:.2f} px, gaussian width "
               f"{p.gaussian_width:.2f} px, alpha {p.alpha}, "
               f"{p.scales_per_octave:g} scales per octave")
    click.echo("tangent angles (deg): " + ", ".join(f"{a:g}" for a in angles))
    if system.ridge_widths is not None:
        d = system.measure_offset
        widths = sorted(set(system.ridge_widths[d:].ravel().tolist()))
        click.echo("ridge widths measured (px): " + ", ".join(map(str, widths)))
    click.echo(f"filter memory {system.nbytes / 2**20:.1f} MiB")


@cli.command()
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("shearfeat-demo"), show_default=True,
              help="Folder for the results (created if needed).")
@click.pass_context
def demo(ctx, output):
    """Run edges and ridges on scikit-image's camera image; nothing to prepare.

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
    ctx.invoke(ridges, images=(source,), force=True, polarity="dark")


def main(argv=None):
    """Entry point of the ``shearfeat`` executable."""
    return cli.main(args=argv, prog_name="shearfeat")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
