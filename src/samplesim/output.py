"""Compatibility re-exports; new code imports from the modules named below.

* atomic writing: :mod:`samplesim.paths` (``atomic_dir``, ``write_text``, ``write_json``);
* a run's tables and manifest: :mod:`samplesim.run_output` (``write_run``, ``make_manifest``,
  ``package_versions``);
* manifests read back: :mod:`samplesim.results_dir` (``manifest_problem``,
  ``MANIFEST_MARKER``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samplesim.outcomes import SimulationResult
from samplesim.paths import atomic_dir, write_json, write_text
from samplesim.results_dir import MANIFEST_MARKER, MANIFEST_VERSION, manifest_problem
from samplesim.run_output import make_manifest, package_versions
from samplesim.run_output import write_run as _write_run

__all__ = [
    "MANIFEST_MARKER",
    "MANIFEST_VERSION",
    "atomic_dir",
    "make_manifest",
    "manifest_problem",
    "package_versions",
    "write_json",
    "write_run",
    "write_text",
]


def write_run(
    result: SimulationResult, out: Path, manifest: dict[str, Any], plots: bool = False
) -> None:
    """:func:`samplesim.run_output.write_run`; figures are drawn by
    :func:`samplesim.plots.save_run_plots`, not here (``plots=True`` is refused)."""
    if plots:
        raise TypeError(
            "write_run no longer draws figures; call samplesim.plots.save_run_plots(result, "
            "out / 'plots') after it"
        )
    _write_run(result, out, manifest)
