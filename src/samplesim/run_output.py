"""Writing one run's outputs: its tables and manifest (figures are the caller's business:
``samplesim run`` asks :func:`samplesim.plots.save_run_plots` for them).

Write into :func:`samplesim.paths.atomic_dir` so that a failed or interrupted command leaves
no half-written directory.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from samplesim.outcomes import SimulationResult
from samplesim.paths import write_json
from samplesim.results_dir import MANIFEST_MARKER, MANIFEST_VERSION
from samplesim.scenario import Scenario

__all__ = ["make_manifest", "package_versions", "write_run"]

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
    from samplesim import __version__

    # samplesim's own version from the code that runs (an installed copy may differ).
    out = {"python": platform.python_version(), "samplesim": __version__}
    for name in _PACKAGES[1:]:
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


def write_run(result: SimulationResult, out: Path, manifest: dict[str, Any]) -> None:
    """Write ``summary.csv``, ``proposals.parquet``, ``reviews.parquet``, ``events.parquet``,
    ``inventory.parquet``, ``rules.csv`` and ``manifest.json`` into ``out``."""
    out = Path(out)
    result.summary.to_csv(out / "summary.csv", index=False, float_format="%.6g")
    result.proposals.to_parquet(out / "proposals.parquet", index=False)
    result.reviews.to_parquet(out / "reviews.parquet", index=False)
    result.events.to_parquet(out / "events.parquet", index=False)
    result.inventory.to_parquet(out / "inventory.parquet", index=False)
    result.rules.to_csv(out / "rules.csv", index=False, float_format="%.6g")
    write_json(out / "manifest.json", manifest)
