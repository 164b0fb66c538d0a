"""The figure hook of the experiment commands: every figure ``samplesim plot DIR`` draws,
written into ``DIR/plots`` before the directory is marked complete."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

__all__ = ["figure_hook"]


def _draw(out: Path) -> None:
    from samplesim.plots import save_dir_plots

    save_dir_plots(out)


def figure_hook(args: argparse.Namespace) -> Callable[[Path], object] | None:
    """``before_complete`` for the experiment API: None with ``--no-plots``."""
    return None if getattr(args, "no_plots", False) else _draw
