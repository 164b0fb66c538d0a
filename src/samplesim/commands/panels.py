"""``samplesim panels SCENARIO --redraw review``: the same proposals before two
independent panels; how much they agree."""

from __future__ import annotations

import argparse
from pathlib import Path

from samplesim.agreement import AGREEMENT_COLUMNS, two_panels
from samplesim.commands._bounds import check_common
from samplesim.errors import UserError
from samplesim.loading import load_scenario
from samplesim.paths import atomic_dir, write_json
from samplesim.rng import REDRAWABLE
from samplesim.run_output import make_manifest
from samplesim.stats import t_interval

NAME = "panels"
HELP = "run each replication before two independent panels (one stage redrawn); agreement"
EXAMPLES = """\
  samplesim panels scenarios/change5-peer-review.toml --replications 20
  samplesim panels scenarios/change5-2023.toml --redraw panel --out results/panels
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument(
        "--redraw", default="review", help=f"stage drawn afresh: {' or '.join(REDRAWABLE)}"
    )
    p.add_argument("--replications", type=int, default=20, help="replications (default 20)")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument("--variant", default=None, help="one of the scenario's variants")
    p.add_argument(
        "--score", choices=("review_score", "final_score"), default="review_score",
        help="score ranked for the top quartile (default review_score)",
    )  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help="write agreement.csv here")


def run(args: argparse.Namespace) -> int:
    """Print the mean agreement (95 % t interval) and optionally write agreement.csv."""
    if args.redraw not in REDRAWABLE:
        raise UserError(f"--redraw {args.redraw!r}: expected one of {', '.join(REDRAWABLE)}")
    check_common(args, min_replications=2)
    if args.replications < 2:
        raise UserError("--replications must be at least 2")
    sc = load_scenario(args.scenario, variant=args.variant)
    df = two_panels(sc, args.redraw, args.replications, args.seed, args.score)
    print(f"{sc.name} ({sc.variant}): {args.replications} replications, {args.redraw} redrawn")
    for col, meaning in AGREEMENT_COLUMNS.items():
        vals = df[col].dropna().to_numpy(float)
        if len(vals) < 2:
            print(f"  {col:<26} n/a ({meaning})")
            continue
        ci = t_interval(vals)
        mean, lo, hi = ci.mean, ci.low, ci.high
        print(f"  {col:<26} {mean:8.3f}  [{lo:.3f}, {hi:.3f}]  {meaning}")
    if args.out is not None:
        manifest = make_manifest(sc, kind="two-panels", seed=args.seed, redraw=args.redraw)
        with atomic_dir(args.out, kind="two-panels") as tmp:
            df.to_csv(tmp / "agreement.csv", index=False)
            write_json(tmp / "manifest.json", manifest)
        print(f"wrote {args.out}/agreement.csv")
    return 0
