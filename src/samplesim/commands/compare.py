"""``samplesim compare SCENARIO --variants a,b``: variants vs baseline on common random numbers."""

from __future__ import annotations

import argparse
from pathlib import Path

from samplesim.commands._execution import add_execution_arguments, execution_kwargs
from samplesim.commands._figures import figure_hook
from samplesim.commands.results import print_comparison, print_selection
from samplesim.errors import UserError
from samplesim.experiment import compare
from samplesim.paths import default_out
from samplesim.progress import rate_line
from samplesim.scenario import load_raw

NAME = "compare"
HELP = "run variants and the baseline on the same replications; paired confidence intervals"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument(
        "--variants", default=None, help="comma-separated variant names (default: all declared)"
    )
    p.add_argument("--replications", type=int, default=30, help="replications (default 30)")
    p.add_argument("--no-plots", action="store_true", help="skip writing plots/*.png")
    p.add_argument(
        "--best",
        default=None,
        metavar="METRIC[@COUNTRY][:max|min]",
        help="which policy is best for METRIC (subset selection, P(correct selection) >= 95 %%)",
    )
    add_execution_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Compare and write comparison.csv, replications.csv, runs.parquet, manifest.json."""
    if args.replications < 2:
        raise UserError("--replications must be at least 2 for a comparison")
    raw = load_raw(args.scenario)
    variants = None
    if args.variants is not None:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    n_variants = len(variants) if variants is not None else len(raw.get("variants", {}) or {})
    kw = execution_kwargs(args, args.replications * (1 + n_variants))
    if kw["out"] is None:
        kw["out"] = default_out(raw.get("name", Path(args.scenario).stem), "compare")
    res = compare(
        args.scenario,
        variants=variants,
        replications=args.replications,
        best=args.best,
        before_complete=figure_hook(args),
        **kw,
    )
    if not args.quiet:
        print_comparison(res.comparison)
    if res.selection is not None:
        print_selection(res.selection)
    if res.errors is not None and len(res.errors):
        print(f"{len(res.errors)} run(s) raised; see {res.out}/errors.csv")
    print(f"wrote {res.out}/: {rate_line(res.executed, res.wall, res.executor)}")
    return 1 if res.errors is not None and len(res.errors) else 0
