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
import errno
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
    "LOCK_NAME",
    "RESULTS_DIR",
    "atomic_dir",
    "atomic_write",
    "bad_path",
    "clean_orphans",
    "current_umask",
    "default_out",
    "dir_mode",
    "ensure_dir",
    "file_mode",
    "lock_dir",
    "make_out_dir",
    "refuse_symlink",
    "safe_slug",
    "unlock_dir",
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
    except NotADirectoryError:
        raise UserError(f"{path}: cannot be created under a file (not a directory)") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be used ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise UserError(f"{path}: {what or 'is'} a symbolic link; not following it")
    return True


#: errno values that mean "this path cannot be written" (a bad path: exit 2), as opposed to
#: a write failing on the way (a full disk, a file too large: exit 1).
_BAD_PATH = {errno.ENOENT, errno.ENOTDIR, errno.EROFS, errno.EACCES, errno.EPERM,
             errno.EEXIST, errno.ELOOP, errno.ENAMETOOLONG, errno.EISDIR}  # fmt: skip


def bad_path(exc: OSError, path: Path, what: str = "cannot write there") -> Exception:
    """A :class:`UserError` naming ``path`` when ``exc`` says the path itself is unusable;
    ``exc`` itself (with the file named) when a write failed on the way."""
    if exc.errno in _BAD_PATH:
        return UserError(f"{path}: {what} ({exc.strerror})")
    return exc if exc.filename else OSError(exc.errno, exc.strerror or str(exc), str(path))


def ensure_dir(path: Path) -> Path:
    """Create directory ``path`` (and parents) unless it exists; refuse a symlink or a file."""
    path = Path(path)
    if refuse_symlink(path, "is") and not path.is_dir():
        raise UserError(f"{path}: exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise bad_path(exc, path, "cannot create the directory") from None
    return path


#: The lock file an experiment holds in its directory while it writes there.
LOCK_NAME = ".samplesim.lock"


def make_out_dir(path: Path, to_write: Path | None = None) -> Path:
    """Create output directory ``path`` (and parents); a path that cannot be a directory
    (under a file, on a read-only file system, in ``/proc``...) is a :class:`UserError`
    (naming ``to_write``, what was to be written there, too)."""
    path = Path(path)
    where = f"{to_write}: {path}" if to_write is not None else str(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise bad_path(exc, Path(where), "cannot create the output directory") from None
    if not path.is_dir():
        raise UserError(f"{where}: exists and is not a directory")
    return path


def lock_dir(path: Path) -> int:
    """Take the exclusive lock of output directory ``path`` (created if needed) and return
    its file descriptor (held until closed); :class:`UserError` if another process holds it."""

    make_out_dir(path)
    return _lock_file(path / LOCK_NAME, path)


def _lock_file(lock: Path, path: Path) -> int:
    """Take the exclusive lock ``lock`` (a file, created if needed) guarding ``path``."""
    import fcntl

    for _ in range(10):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, file_mode())
        except OSError as exc:
            raise UserError(f"{path}: cannot write there ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UserError(
                f"{path}: another samplesim process is writing there; wait for it or choose "
                "another out",
                also=("out",),
            ) from None
        try:  # the holder removes the file when done: is ours still the one in place?
            same = os.stat(lock, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
    raise UserError(f"{path}: cannot take the lock {LOCK_NAME}", also=("out",))


def unlock_dir(path: Path, fd: int, lock: Path | None = None) -> None:
    """Release the lock :func:`lock_dir` took (its file, or ``lock``, is removed first)."""
    with contextlib.suppress(OSError):
        os.unlink(lock if lock is not None else Path(path) / LOCK_NAME)
    os.close(fd)


def atomic_write(path: Path, writer: Callable[[str], None], suffix: str = ".tmp") -> None:
    """Write ``path`` atomically: ``writer(tmp)`` fills a temporary file (name ending in
    ``suffix``) in the same folder, which gets the umask-following mode and is renamed over
    ``path`` (a symlink there is replaced, not followed)."""
    path = Path(path)
    if path.parent.exists() and not path.parent.is_dir():
        raise UserError(f"{path}: {path.parent} is not a directory")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as exc:
        raise bad_path(exc, path) from None
    try:
        try:
            os.fchmod(fd, file_mode())
        finally:
            os.close(fd)
        writer(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not exc.filename:  # pyarrow names no file
            lines = str(exc).strip().splitlines()
            why = exc.strerror or (lines[-1] if lines else type(exc).__name__)
            raise OSError(exc.errno, why, str(path)) from exc
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


#: Age after which a leftover temporary directory whose owner cannot be told is removed.
ORPHAN_AGE_S = 24 * 3600.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_orphans(out: Path) -> list[Path]:
    """Remove the ``.<out>.partial-*`` / ``.<out>.old-*`` siblings of ``out`` left by a
    killed command: those whose process (its id is in the name) is gone, or older than a day.
    Returns what was removed."""
    import time

    out = Path(out)
    gone = []
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return gone
    now = time.time()
    for p in entries:
        for tag in (".partial-", ".old-"):
            head = f".{out.name}{tag}"
            if not p.name.startswith(head):
                continue
            pid_text = p.name[len(head) :].partition("-")[0]
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                continue
            dead = pid_text.isdigit() and not _alive(int(pid_text))
            if dead or now - st.st_mtime > ORPHAN_AGE_S:
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    return gone


@contextlib.contextmanager
def atomic_dir(out: Path, kind: str = "run") -> Iterator[Path]:
    """Yield a temporary directory that becomes ``out`` when the block succeeds.

    Outputs are first written into a hidden sibling directory and moved into place only when
    everything succeeded, so a failed or interrupted command leaves no half-written
    directory. An existing ``out`` is replaced only if it is empty or holds samplesim output
    of ``kind`` (see :func:`samplesim.results_dir.manifest_problem`); anything else, a symlink
    included, is refused with a :class:`UserError` before anything is written. ``out`` gets
    umask-following modes. The sibling lock file ``.<out>.lock`` (removed at the end) makes a
    second command writing ``out`` meanwhile fail with a :class:`UserError`.
    """
    out = Path(out)
    _check_replaceable(out, kind)
    make_out_dir(out.parent, out)
    lock = out.parent / f".{out.name}.lock"
    fd = _lock_file(lock, out)  # one command at a time writes ``out``
    try:
        yield from _atomic_dir_locked(out, kind)
    finally:
        unlock_dir(out, fd, lock)


def _atomic_dir_locked(out: Path, kind: str) -> Iterator[Path]:
    clean_orphans(out)
    try:
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-{os.getpid()}-"))
    except OSError as exc:
        raise UserError(f"{out}: cannot write there ({exc.strerror})") from None
    try:
        yield tmp
        os.chmod(tmp, dir_mode())
        existed = _check_replaceable(out, kind)  # again: it may have changed meanwhile
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not exc.filename:  # pyarrow names no file
            lines = str(exc).strip().splitlines()
            why = exc.strerror or (lines[-1] if lines else type(exc).__name__)
            raise OSError(exc.errno, f"{why}; nothing written", str(out)) from exc
        raise
    old = None
    if existed:
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-{os.getpid()}-"))
        os.replace(out, old)  # over the empty placeholder
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
