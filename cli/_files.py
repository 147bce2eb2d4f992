"""Files for the command line: which inputs a command reads, where its outputs go, and
how they are written (whole or not at all, never over a file that was not meant to be
replaced, and nothing half-written left behind by an error or Ctrl-C).

Only the standard library and click here: the commands import NumPy and shearfeat.
"""

from __future__ import annotations

import errno
import glob
import os
import tempfile
import threading
from pathlib import Path

import click

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".pgm",
                  ".ppm", ".pbm", ".pnm")
#: Our own outputs carry these in their names (and a marker in their metadata).
OUTPUT_MARKS = (".edges.", ".ridges.", ".blobs.")
#: Output formats and the file suffixes that name them.
FORMAT_SUFFIXES = {"png": (".png",), "tiff": (".tif", ".tiff"), "npy": (".npy",),
                   "npz": (".npz",)}
#: Exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once, in the main thread (os.umask cannot be read without setting it).
UMASK = _umask()


class Interrupted(Exception):
    """Ctrl-C stopped a run; ``written`` outputs were finished before it."""

    def __init__(self, written, total):
        super().__init__(f"interrupted: {written} of {total} output(s) written; nothing "
                         "half-written was left")
        self.written, self.total = written, total


# -- inputs ------------------------------------------------------------------------------
def _ours(path: Path) -> bool:
    """A file named like our output and marked as ours in its metadata."""
    if not any(mark in path.name for mark in OUTPUT_MARKS):
        return False
    from shearfeat.io import is_shearfeat_output
    return is_shearfeat_output(path)


def expand(paths):
    """Files, folders (their images, sorted) and glob patterns (quoted, so that the shell
    left them).  Folders and patterns pass over the outputs shearfeat wrote there
    (named ``NAME.MEASURE...`` and marked so in their metadata); a user's own file
    that is only named like one is read.

    Returns
    -------
    files : list of Path
    problems : list of (input, message)
        Inputs that gave no file.
    skipped : list of Path
        Our own outputs passed over.
    """
    files, problems, skipped = [], [], []
    for path in paths:
        text = str(path)
        if not path.exists() and any(ch in text for ch in "*?["):
            found = sorted(Path(m) for m in glob.glob(text) if Path(m).is_file())
            if not found:
                problems.append((path, "no file matches this pattern"))
        elif path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                           and not p.name.startswith("."))
            if not found:
                problems.append((path, "folder has no images "
                                       f"({', '.join(IMAGE_SUFFIXES)})"))
        else:
            files.append(path)
            continue
        ours = [p for p in found if _ours(p)]
        skipped += ours
        kept = [p for p in found if p not in set(ours)]
        if found and not kept:
            problems.append((path, f"has only outputs of shearfeat ({len(ours)} file(s) "
                                   f"such as {ours[0].name}), no image to read"))
        files += kept
    return files, problems, skipped


# -- outputs -----------------------------------------------------------------------------
def output_option(raw):
    """``-o`` as given: (path, is_folder).  A folder is an existing one or a path that
    ends with a slash (created when it does not exist)."""
    if raw is None:
        return None, False
    path = Path(raw)
    folder = raw.endswith(("/", os.sep)) or path.is_dir()
    return path, folder


def choose_format(output, folder, fmt, overlay, option="--format"):
    """The output format: ``fmt`` if given, else what the ``-o`` file's suffix names, else
    png; a suffix that names another format, or none we write, is a usage error."""
    if overlay:
        if fmt not in (None, "png"):
            raise click.UsageError("--overlay writes PNG images; leave out --format")
        if output is not None and not folder and output.suffix.lower() != ".png":
            raise click.UsageError(f"-o {output}: --overlay writes PNG images; name the "
                                   "output NAME.png")
        fmt = "png"
    if output is None or folder:
        return fmt or "png"
    suffix = output.suffix.lower()
    named = next((f for f, suffixes in FORMAT_SUFFIXES.items() if suffix in suffixes), None)
    if named is None:
        known = ", ".join(s for suffixes in FORMAT_SUFFIXES.values() for s in suffixes)
        raise click.UsageError(
            f"-o {output}: shearfeat writes {known} files; name the output with one of "
            "these suffixes (or end it with / for a folder)")
    if fmt is not None and fmt != named:
        raise click.UsageError(f"-o {output} names a {named} file but {option} is {fmt}; "
                               "give one or the other, or make them agree")
    return named


def target_for(image_path, output, folder, measure, suffix):
    """Where the output of one input goes."""
    name = image_path.name.rsplit(".", 1)[0] + f".{measure}{suffix}"
    if output is None:
        return image_path.with_name(name)
    return output / name if folder else output


def check_targets(files, targets, *, force, skip_existing):
    """Refuse, before any work, two inputs with one output, an output that is an input,
    and outputs that exist (unless ``force``; ``skip_existing`` drops those inputs).

    Returns the (input, target) pairs to compute and the number skipped.
    """
    if force and skip_existing:
        raise click.UsageError("--force and --skip-existing exclude each other")
    inputs = {f.resolve() for f in files}
    seen = {}
    for image_path, target in zip(files, targets):
        key = target.resolve()
        if key in inputs:
            raise click.UsageError(f"{target} is an input; writing it would destroy it")
        if key in seen:
            raise click.UsageError(
                f"{seen[key]} and {image_path} would both be written to {target}; process "
                "them in separate calls, or with separate -o folders")
        seen[key] = image_path
    pairs, skipped = [], 0
    for image_path, target in zip(files, targets):
        if target.exists() or target.is_symlink():
            if skip_existing:
                skipped += 1
                continue
            if not force:
                raise click.UsageError(f"{target} exists; pass --force to overwrite it, "
                                       "or --skip-existing to leave it")
        pairs.append((image_path, target))
    return pairs, skipped


def check_writable(paths, option="-o"):
    """Refuse, before any work, outputs whose folder is missing or cannot be written:
    each distinct folder is tried with a real temporary file."""
    for folder in sorted({Path(p).parent for p in paths}):
        if not folder.exists():
            raise click.UsageError(f"{option}: folder {folder} does not exist")
        if not folder.is_dir():
            raise click.UsageError(f"{option}: {folder} is a file, not a folder")
        try:
            fd, probe = tempfile.mkstemp(prefix=".shearfeat-probe.", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise click.UsageError(f"{option}: cannot write in {folder} "
                                   f"({exc.strerror or exc})") from None


def make_folder(path):
    """Create an output folder named with a trailing slash (usage error if impossible)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"-o {path}/: cannot create the folder "
                               f"({exc.strerror or exc})") from None


# -- writing -----------------------------------------------------------------------------
def _why(exc, folder):
    """What went wrong writing into ``folder``, in words (a full disk is often reported as
    a short write, not as ENOSPC)."""
    try:
        full = exc.errno == errno.ENOSPC or os.statvfs(folder).f_bavail == 0
    except OSError:
        full = False
    return "no space left on the device" if full else (exc.strerror or str(exc))


class Publisher:
    """Writes files whole: into a temporary file beside the target (through a handle
    opened before :meth:`stop` can delete it, so nothing re-creates it by name), then
    moved into place.

    A target that appeared while it was being computed is not replaced unless
    ``force``: the move is a hard link, which fails if the name exists.  New files get
    the mode the umask gives (``0o666 & ~umask``); a replaced file keeps its mode.
    :meth:`stop` (on Ctrl-C) removes every temporary file and makes further writes
    fail, so that the process can end at once.
    """

    def __init__(self, force):
        self.force = force
        self._lock = threading.Lock()
        self._temps = set()
        self._stopped = False
        self.written = 0

    def write(self, target, write):
        """``write(handle)`` fills the file; raise OSError naming ``target`` on failure."""
        target = Path(target)
        with self._lock:
            if self._stopped:
                raise Interrupted(self.written, 0)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                           dir=target.parent)
                handle = open(tmp, "wb")      # by name (writers want one), same file
                os.close(fd)
            except OSError as exc:
                raise OSError(f"cannot write {target}: {_why(exc, target.parent)}") \
                    from None
            self._temps.add(tmp)
        try:
            try:
                with handle:
                    write(handle)
                os.chmod(tmp, self._mode(target))
            except OSError as exc:
                raise OSError(f"cannot write {target}: {_why(exc, target.parent)}") \
                    from None
            with self._lock:
                if self._stopped:
                    raise Interrupted(self.written, 0)
                self._move(tmp, target)
                self.written += 1
        finally:
            with self._lock:
                self._temps.discard(tmp)
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass

    def _mode(self, target):
        if self.force:
            try:
                return os.stat(target).st_mode & 0o7777
            except FileNotFoundError:
                pass
        return 0o666 & ~UMASK

    def _move(self, tmp, target):
        if self.force:
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise FileExistsError(f"{target} appeared while it was being computed; not "
                                  "replaced (pass --force to replace it)") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK,
                                 errno.ENOSYS, errno.EACCES):
                raise OSError(f"cannot write {target}: {exc.strerror or exc}") from None
            if os.path.lexists(target):       # no hard links here: check, then rename
                raise FileExistsError(f"{target} appeared while it was being computed; "
                                      "not replaced (pass --force to replace it)") from None
            os.rename(tmp, target)

    def stop(self):
        """Refuse further writes and delete the temporary files of those under way."""
        with self._lock:
            self._stopped = True
            for tmp in self._temps:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
            self._temps.clear()


def run_jobs(pairs, process, jobs, publisher, *, on_done, on_failed, debug=False):
    """``process(input, target)`` for every pair on ``jobs`` threads, reporting each in
    input order; Ctrl-C stops the run at once (see :class:`Publisher`) and raises
    :class:`Interrupted`.  Returns the number of failures."""
    import signal
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="shearfeat-job")
    failed = 0
    try:
        futures = [pool.submit(process, source, target) for source, target in pairs]
        for (source, target), future in zip(pairs, futures):
            try:
                future.result()
            except Interrupted:
                raise
            except Exception as exc:
                if debug:
                    raise
                failed += 1
                on_failed(source, exc)
            else:
                on_done(source, target)
    except KeyboardInterrupt:
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
        try:
            publisher.stop()
            pool.shutdown(wait=False, cancel_futures=True)
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, previous)
        raise Interrupted(publisher.written, len(pairs)) from None
    pool.shutdown(wait=True)
    return failed
