"""Safe output paths: default locations, symlink refusal, atomic writes, umask-following modes.

All atomic file and directory writing lives here: :func:`atomic_write` (a file through a
temporary name), :func:`write_text` / :func:`write_json`, and :func:`atomic_dir` (a whole
output directory that appears only when everything in it was written).

A scenario's name never becomes a path as such: :func:`default_out` turns it into a slug under
``results/``. Files are written to a temporary name in the same folder and renamed into place
(a symbolic link at the destination is replaced, never followed), and get the modes a plain
``open``/``mkdir`` would give under the current umask.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from samplesim.errors import UserError
from samplesim.results_dir import manifest_problem

__all__ = [
    "RESULTS_DIR",
    "atomic_dir",
    "atomic_write",
    "current_umask",
    "default_out",
    "dir_mode",
    "ensure_dir",
    "file_mode",
    "refuse_symlink",
    "safe_slug",
    "write_json",
    "write_text",
]

#: Where default output directories go (relative to the working directory).
RESULTS_DIR = Path("results")
_SLUG_MAX = 80
_UMASK_LOCK = threading.Lock()


def safe_slug(name: object, fallback: str = "scenario") -> str:
    """``name`` as one safe path component: ASCII letters, digits, ``-``, ``_`` and ``.``.

    Other characters (``/`` included) become ``-``, runs of ``-`` and of ``.`` collapse, no
    leading or trailing ``-._`` (so never ``.``, ``..`` or hidden), at most 80 characters and
    never empty (``fallback``).
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    slug = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", slug)).strip("-._")
    return slug[:_SLUG_MAX].rstrip("-._") or fallback


def default_out(name: object, suffix: str | None = None) -> Path:
    """``results/<slug of name>[-<slug of suffix>]``: always one directory inside ``results/``."""
    slug = safe_slug(name)
    if suffix:
        slug = f"{slug}-{safe_slug(suffix, 'out')}"
    return RESULTS_DIR / slug


def current_umask() -> int:
    """The process umask, read without changing it where possible (Linux ``/proc``)."""
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/self/status", encoding="ascii", errors="replace") as f,
    ):
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    # Elsewhere: set a restrictive value for the instant it takes to read the old one.
    with _UMASK_LOCK:
        old = os.umask(0o077)
        os.umask(old)
    return old


def file_mode() -> int:
    """The mode of a new file under the current umask (``0o666 & ~umask``)."""
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    """The mode of a new directory under the current umask (``0o777 & ~umask``)."""
    return 0o777 & ~current_umask()


def refuse_symlink(path: Path, what: str = "") -> bool:
    """UserError if ``path`` is a symbolic link; whether it exists (as anything else)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise UserError(f"{path}: {what or 'is'} a symbolic link; not following it")
    return True


def ensure_dir(path: Path) -> Path:
    """Create directory ``path`` (and parents) unless it exists; refuse a symlink or a file."""
    path = Path(path)
    if refuse_symlink(path, "is") and not path.is_dir():
        raise UserError(f"{path}: exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path: Path, writer: Callable[[str], None], suffix: str = ".tmp") -> None:
    """Write ``path`` atomically: ``writer(tmp)`` fills a temporary file (name ending in
    ``suffix``) in the same folder, which gets the umask-following mode and is renamed over
    ``path`` (a symlink there is replaced, not followed)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        try:
            os.fchmod(fd, file_mode())
        finally:
            os.close(fd)
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as stable, indented JSON (atomically: temp file + rename)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder + rename; a
    symlink at ``path`` is replaced, not followed; the mode follows the umask)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _check_replaceable(out: Path, kind: str) -> bool:
    """UserError unless ``out`` is absent, empty or samplesim's ``kind`` output; whether it
    exists."""
    if not refuse_symlink(out, "is"):
        return False
    if not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory")
    if any(out.iterdir()):
        problem = manifest_problem(out, (kind,))
        if problem:
            raise UserError(f"{out}: {problem}; not touching it", also=("out",))
    return True


@contextlib.contextmanager
def atomic_dir(out: Path, kind: str = "run") -> Iterator[Path]:
    """Yield a temporary directory that becomes ``out`` when the block succeeds.

    Outputs are first written into a hidden sibling directory and moved into place only when
    everything succeeded, so a failed or interrupted command leaves no half-written
    directory. An existing ``out`` is replaced only if it is empty or holds samplesim output
    of ``kind`` (see :func:`samplesim.results_dir.manifest_problem`); anything else, a symlink
    included, is refused with a :class:`UserError` before anything is written. ``out`` gets
    umask-following modes.
    """
    out = Path(out)
    _check_replaceable(out, kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        yield tmp
        os.chmod(tmp, dir_mode())
        existed = _check_replaceable(out, kind)  # again: it may have changed meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if existed:
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        os.replace(out, old)  # over the empty placeholder
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
