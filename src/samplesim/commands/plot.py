"""``samplesim plot DIR``: re-draw every applicable figure of an output directory."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "plot"
HELP = "re-draw the figures of a run or experiment output directory into DIR/plots/"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim plot results/ce5
  samplesim plot results/cmp --dpi 200
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("dir", type=Path, help="output directory of samplesim run/compare/sweep")
    p.add_argument("--out", type=Path, default=None, help="where to write (default DIR/plots)")
    p.add_argument("--dpi", type=int, default=130, help="resolution of the PNGs (default 130)")


def run(args: argparse.Namespace) -> int:
    """Draw and save; a bad directory raises UserError (exit 2)."""
    from samplesim.errors import UserError
    from samplesim.plots import detect_kind, save_dir_plots

    if not 30 <= args.dpi <= 600:
        raise UserError("--dpi must be between 30 and 600")
    kind = detect_kind(args.dir)
    paths = save_dir_plots(args.dir, args.out, dpi=args.dpi)
    where = args.out or args.dir / "plots"
    print(
        f"wrote {len(paths)} figure(s) of a {kind} directory to {where}/: "
        + ", ".join(p.name for p in paths)
    )
    return 0
