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

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from samplesim.outcomes import LIST_COLUMNS, SimulationResult
from samplesim.paths import write_json
from samplesim.results_dir import MANIFEST_MARKER, MANIFEST_VERSION
from samplesim.scenario import Scenario
from samplesim.scenario.units import DEFAULT_UNIT, scenario_unit

__all__ = ["make_manifest", "package_versions", "proposals_table", "write_run"]

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
        **({"unit": unit} if (unit := scenario_unit(sc)) != DEFAULT_UNIT else {}),
        **extra,
        "versions": package_versions(),
        "command": ["samplesim", *sys.argv[1:]] if sys.argv and sys.argv[0] else [],
    }


def proposals_table(proposals: pd.DataFrame) -> pa.Table:
    """The proposals as an Arrow table whose list columns (``funders``, ``team_countries``)
    are ``list<string>`` even when every list is empty."""
    table = pa.Table.from_pandas(proposals, preserve_index=False)
    for name in LIST_COLUMNS:
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, table[name].cast(pa.list_(pa.string())))
    return table


def write_run(result: SimulationResult, out: Path, manifest: dict[str, Any]) -> None:
    """Write ``summary.csv``, ``proposals.parquet``, ``reviews.parquet``, ``events.parquet``,
    ``inventory.parquet``, ``rules.csv``, ``calls.csv``, ``periods.csv`` (renewable resources
    only) and ``manifest.json`` into ``out``."""
    out = Path(out)
    result.summary.to_csv(out / "summary.csv", index=False, float_format="%.6g")
    pq.write_table(proposals_table(result.proposals), out / "proposals.parquet")
    result.reviews.to_parquet(out / "reviews.parquet", index=False)
    result.events.to_parquet(out / "events.parquet", index=False)
    result.inventory.to_parquet(out / "inventory.parquet", index=False)
    result.rules.to_csv(out / "rules.csv", index=False, float_format="%.6g")
    result.calls.to_csv(out / "calls.csv", index=False, float_format="%.6g")
    if not result.periods.empty:  # renewable resources only: outputs without them unchanged
        result.periods.to_csv(out / "periods.csv", index=False, float_format="%.6g")
    write_json(out / "manifest.json", manifest)
