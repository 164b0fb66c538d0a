"""``samplesim run SCENARIO``: simulate, print a summary, write tables, manifest and plots."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from samplesim.errors import UserError
from samplesim.output import atomic_dir, make_manifest, write_run
from samplesim.scenario import load_scenario
from samplesim.simulation import simulate
from samplesim.summary_table import print_run_summary

NAME = "run"
HELP = "simulate a scenario and write summary.csv, proposals.parquet, events.parquet, plots"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--variant", default=None, help="run one of the scenario's variants")
    p.add_argument(
        "--out", type=Path, default=None, help="output directory (default results/<scenario>)"
    )
    p.add_argument("--no-plots", action="store_true", help="skip writing plots/*.png")
    p.add_argument("--quiet", action="store_true", help="print only the final line")


def run(args: argparse.Namespace) -> int:
    """Run once and write the outputs."""
    if args.seed < 0:
        raise UserError("--seed must be a non-negative integer")
    sc = load_scenario(args.scenario, variant=args.variant)
    out = args.out or Path("results") / (
        sc.name if sc.variant == "baseline" else f"{sc.name}-{sc.variant}"
    )
    t0 = time.perf_counter()
    res = simulate(sc, seed=args.seed)
    wall = time.perf_counter() - t0
    manifest = make_manifest(sc, seed=args.seed, replication=0, kind="run")
    with atomic_dir(out) as tmp:
        write_run(res, tmp, manifest, plots=not args.no_plots)
    if not args.quiet:
        print_run_summary(res, sc)
    print(
        f"wrote {out}/ ({len(res.proposals)} proposals, {res.n_events} simpy events, {wall * 1000:.1f} ms)"
    )
    return 0
