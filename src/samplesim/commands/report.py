"""``samplesim report DIR``: one self-contained HTML report of an output directory."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "report"
HELP = "write a self-contained HTML report (figures embedded) of a run or experiment directory"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim report results/cmp
  samplesim report results/ce5 --out ce5-report.html
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("dir", type=Path, help="output directory of samplesim run/compare/sweep")
    p.add_argument("--out", type=Path, default=None, help="HTML file (default DIR/report.html)")


def run(args: argparse.Namespace) -> int:
    """Build and write the report; a bad directory raises UserError (exit 2)."""
    from samplesim.report import write_report

    out = write_report(args.dir, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0
