"""Writing one run's outputs: tables, manifest and plots, atomically.

Outputs are first written into a hidden sibling directory and moved into place only when
everything succeeded, so a failed or interrupted command leaves no half-written directory.
An existing directory is replaced only when its ``manifest.json`` is provably samplesim's own
(:data:`MANIFEST_MARKER` and the expected ``kind``, see :func:`manifest_problem`).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from samplesim.errors import UserError
from samplesim.outcomes import SimulationResult
from samplesim.paths import atomic_write, dir_mode, ensure_dir, refuse_symlink
from samplesim.scenario import Scenario

__all__ = [
    "MANIFEST_MARKER",
    "atomic_dir",
    "make_manifest",
    "manifest_problem",
    "package_versions",
    "write_json",
    "write_run",
    "write_text",
]

#: Key (with value :data:`MANIFEST_VERSION`) that marks a manifest written by samplesim.
MANIFEST_MARKER = "samplesim_manifest"
MANIFEST_VERSION = 1

_PACKAGES = (
    "samplesim",
    "simpy",
    "numpy",
    "pandas",
    "attrs",
    "cattrs",
    "scipy",
    "pyarrow",
    "matplotlib",
)


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def make_manifest(sc: Scenario, **extra: Any) -> dict[str, Any]:
    """The manifest of an output directory: marker, scenario identity, versions, command,
    ``extra`` (which should hold ``kind``)."""
    return {
        MANIFEST_MARKER: MANIFEST_VERSION,
        "scenario": sc.name,
        "scenario_file": sc.source,
        "scenario_digest": sc.digest,
        "variant": sc.variant,
        **extra,
        "versions": package_versions(),
        "command": ["samplesim", *sys.argv[1:]] if sys.argv and sys.argv[0] else [],
    }


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as stable, indented JSON (atomically: temp file + rename)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder + rename; a
    symlink at ``path`` is replaced, not followed; the mode follows the umask)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def manifest_problem(out: Path, kinds: tuple[str, ...]) -> str | None:
    """Why ``out/manifest.json`` does not prove ``out`` is samplesim's output of one of
    ``kinds`` (None if it does): it must be a regular file (not a symlink) holding a JSON
    object with ``"samplesim_manifest": 1`` and such a ``kind``."""
    f = Path(out) / "manifest.json"
    try:
        st = os.lstat(f)
    except FileNotFoundError:
        return "exists and is not a samplesim output directory (no manifest.json)"
    except OSError as exc:
        return f"cannot read manifest.json ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "manifest.json is a symbolic link"
    if not stat.S_ISREG(st.st_mode):
        return "manifest.json is not a regular file"
    try:
        fd = os.open(f, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return "is not a samplesim output directory (manifest.json is not valid JSON)"
    if not isinstance(data, dict) or data.get(MANIFEST_MARKER) != MANIFEST_VERSION:
        return (
            f"is not a samplesim output directory (manifest.json has no {MANIFEST_MARKER} "
            "marker: another program's file, or written by samplesim 0.1; remove the "
            "directory yourself or choose another --out)"
        )
    if data.get("kind") not in kinds:
        return f"holds samplesim output of kind {data.get('kind')!r}, not {' or '.join(kinds)}"
    return None


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
            raise UserError(f"{out}: {problem}; not touching it")
    return True


@contextlib.contextmanager
def atomic_dir(out: Path, kind: str = "run") -> Iterator[Path]:
    """Yield a temporary directory that becomes ``out`` when the block succeeds.

    An existing ``out`` is replaced only if it is empty or holds samplesim output of ``kind``
    (see :func:`manifest_problem`); anything else, a symlink included, is refused with a
    :class:`UserError` before anything is written. ``out`` gets umask-following modes.
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


def write_run(
    result: SimulationResult, out: Path, manifest: dict[str, Any], plots: bool = True
) -> None:
    """Write ``summary.csv``, ``proposals.parquet``, ``reviews.parquet``, ``events.parquet``,
    ``inventory.parquet``, ``rules.csv``, ``manifest.json`` and ``plots/*.png`` into ``out``."""
    out = Path(out)
    result.summary.to_csv(out / "summary.csv", index=False, float_format="%.6g")
    result.proposals.to_parquet(out / "proposals.parquet", index=False)
    result.reviews.to_parquet(out / "reviews.parquet", index=False)
    result.events.to_parquet(out / "events.parquet", index=False)
    result.inventory.to_parquet(out / "inventory.parquet", index=False)
    result.rules.to_csv(out / "rules.csv", index=False, float_format="%.6g")
    write_json(out / "manifest.json", manifest)
    if plots:
        from samplesim import plots as plotting

        ensure_dir(out / "plots")
        plotting.save_run_plots(result, out / "plots")
