"""Build the gallery: run every ``plot_*.py`` with its figures going to one folder, then
write ``index.html`` showing them with their titles and explanations.

Usage (from the repository root):  python -m gallery -o DIR [--only NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import html
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The order of the page; scripts not listed follow alphabetically.
ORDER = ("plot_edges", "plot_ridges", "plot_blobs", "plot_contrast_noise",
         "plot_filter_bank", "plot_extract", "plot_coshnet")


def scripts():
    """The gallery scripts, in page order."""
    found = sorted(HERE.glob("plot_*.py"))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.stem, len(ORDER)), p.stem))


def describe(script):
    """(title, explanation paragraphs) from a script's sphinx-gallery docstring."""
    doc = ast.get_docstring(ast.parse(script.read_text())) or script.stem
    lines = doc.strip().splitlines()
    title = lines[0].strip()
    body = "\n".join(line for line in lines[1:] if not set(line.strip()) <= {"=", "-"})
    paragraphs = [" ".join(p.split()) for p in body.split("\n\n") if p.strip()]
    return title, paragraphs


def run(script, out, timeout=300):
    """Run one script with its figures going to ``out``; return (ok, seconds, output)."""
    env = dict(os.environ, SHEARFEAT_GALLERY_OUT=str(out), MPLBACKEND="Agg")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=HERE.parent)
    return done.returncode == 0, time.perf_counter() - start, done.stdout + done.stderr


def _inline(text):
    """HTML of a docstring paragraph: escaped, with ``code`` and :func:`x` as <code>."""
    import re
    text = html.escape(text)
    text = re.sub(r":\w+:`~?([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"``([^`]+)``", r"<code>\1</code>", text)


def write_index(out, entries):
    """index.html: one section per script that produced its figure."""
    sections = []
    for script, title, paragraphs, figure, seconds in entries:
        text = "".join(f"<p>{_inline(p)}</p>" for p in paragraphs)
        if figure is None:
            picture = "<p class='missing'>No figure (the script was skipped or failed).</p>"
        else:
            picture = (f"<a href='{figure}'><img src='{figure}' alt='{html.escape(title)}'>"
                       "</a>")
        sections.append(f"<section id='{script.stem}'><h2>{html.escape(title)}</h2>{text}"
                        f"{picture}<p class='source'>{script.name}, {seconds:.1f} s</p>"
                        "</section>")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>shearfeat gallery</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
            "padding:0 1em;color:#222}img{max-width:100%;border:1px solid #ddd}"
            "section{margin-bottom:3em}.source{color:#777;font-size:90%}"
            "code{background:#f3f3f3;padding:0 .2em}</style></head><body>"
            "<h1>shearfeat gallery</h1><p>What the measures see. Each figure is made by "
            "the script named under it (<code>gallery/</code>).</p>"
            + "".join(sections) + "</body></html>")
    (out / "index.html").write_text(page)


def _thumbnails(out, figures, folder):
    import imageio.v3 as iio
    import numpy as np
    from skimage.transform import resize
    folder.mkdir(parents=True, exist_ok=True)
    for figure in figures:
        image = iio.imread(out / figure)[..., :3]
        height = round(image.shape[0] * 640 / image.shape[1])
        small = resize(image, (height, 640), anti_aliasing=True, preserve_range=True)
        iio.imwrite(folder / figure, np.round(small).astype(np.uint8))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gallery",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="folder for the figures and index.html (created)")
    parser.add_argument("--only", nargs="*", default=None, help="script names to run")
    parser.add_argument("--thumbnails", type=Path, default=None,
                        help="also write 640-px-wide copies of the figures here")
    args = parser.parse_args(argv)
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    entries, failed = [], []
    for script in scripts():
        if args.only and script.stem not in args.only and script.name not in args.only:
            continue
        title, paragraphs = describe(script)
        ok, seconds, output = run(script, out)
        figure = script.stem + ".png"
        exists = (out / figure).is_file()
        status = "ok" if ok and exists else ("skipped" if ok else "FAILED")
        print(f"{status:7s} {script.name} ({seconds:.1f} s)")
        if not ok:
            failed.append(script.name)
            print(output, file=sys.stderr)
        entries.append((script, title, paragraphs, figure if ok and exists else None,
                        seconds))
    write_index(out, entries)
    print(f"wrote {out / 'index.html'}")
    if args.thumbnails is not None:
        _thumbnails(out, [e[3] for e in entries if e[3] is not None], args.thumbnails)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
