"""Writing one run's outputs: tables, manifest and plots, atomically.

Outputs are first written into a hidden sibling directory and moved into place only when
everything succeeded, so a failed or interrupted command leaves no half-written directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from samplesim.errors import UserError
from samplesim.outcomes import SimulationResult
from samplesim.scenario import Scenario

__all__ = [
    "atomic_dir",
    "make_manifest",
    "package_versions",
    "write_json",
    "write_run",
    "write_text",
]

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
    """The manifest of an output directory: scenario identity, versions, command, ``extra``."""
    return {
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
    """Write ``text`` to ``path`` atomically (temp file in the same folder + rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(out: Path, replace_if: str = "manifest.json") -> Iterator[Path]:
    """Yield a temporary directory that becomes ``out`` when the block succeeds.

    An existing ``out`` is replaced only if it holds ``replace_if`` (an earlier samplesim
    output) or is empty; anything else is refused with a :class:`UserError`.
    """
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise UserError(f"{out}: exists and is not a directory")
        if any(out.iterdir()) and not (out / replace_if).exists():
            raise UserError(
                f"{out}: exists and is not a samplesim output directory; not touching it"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
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

        (out / "plots").mkdir(exist_ok=True)
        plotting.save_run_plots(result, out / "plots")
