"""Placeholder replaced by the plotting module (issue 4)."""

from pathlib import Path


def save_run_plots(result, out: Path) -> list[Path]:
    return []
