"""``samplesim sweep SCENARIO --param PATH=LOW:HIGH ...``: grid, Latin hypercube, Sobol' or
Morris."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from rich.table import Table

from samplesim.commands._bounds import check_common
from samplesim.commands._execution import add_execution_arguments, execution_kwargs
from samplesim.commands._figures import figure_hook
from samplesim.design import DESIGNS, MORRIS_LEVELS, parse_param
from samplesim.errors import UserError
from samplesim.experiment import sweep
from samplesim.experiment.api import SensitivityWarning
from samplesim.paths import default_out
from samplesim.progress import rate_line
from samplesim.scenario import load_raw
from samplesim.terminal import console as terminal_console

NAME = "sweep"
HELP = "sweep parameters (grid, LHS, Sobol', Morris) with replications; Sobol' or Morris"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim sweep scenarios/change5-2023.toml --param review.reviewers=5:40 --samples 32
  samplesim sweep scenarios/change5-2023.toml --design sobol --samples 16 \\
      --param review.reviewers=9:40 --param allocation.max_share=0.1:0.5 --out results/sweep
  samplesim sweep scenarios/change5-2023.toml --design morris --samples 10 \
      --param review.reviewers=9:40 --param allocation.max_share=0.1:0.5
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="PATH=LOW:HIGH",
        help="a parameter key path and range, e.g. review.reviewers=5:40 (repeatable)",
    )
    p.add_argument("--design", choices=DESIGNS, default=None, help="design (default lhs)")
    p.add_argument("--grid", action="store_true", help="same as --design grid")
    p.add_argument(
        "--samples",
        type=int,
        default=None,
        help="N: lhs points; sobol base sample, a power of two (runs N*(D+2) points); "
        "morris trajectories, N >= 2 (runs N*(D+2) points)",
    )
    p.add_argument(
        "--levels",
        action="append",
        default=[],
        metavar="N|PATH=N",
        help="grid levels for all params (N) or one (PATH=N), default 5; morris grid levels "
        "(one even N), default 4",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=10,
        help="replications per point (default 10; Sobol' indices need them to tell a "
        "parameter's effect from noise)",
    )
    p.add_argument(
        "--outcomes",
        default=None,
        help="metric[@COUNTRY],... for sensitivity "
        "(default approved,grams_granted,median_days_to_samples)",
    )
    p.add_argument("--variant", default=None, help="sweep around one of the scenario's variants")
    p.add_argument("--no-plots", action="store_true", help="skip writing plots/*.png")
    add_execution_arguments(p)


def _levels(specs: list[str], design: str) -> int | dict[str, int]:
    out: dict[str, int] = {}
    default = MORRIS_LEVELS if design == "morris" else 5
    for s in specs:
        path, eq, n = s.rpartition("=") if "=" in s else ("", "", s)
        try:
            k = int(n)
        except ValueError:
            raise UserError(f"--levels {s!r}: expected N or PATH=N") from None
        if eq:
            out[path] = k
        else:
            default = k
    return {**{"*": default}, **out} if out else default


def _sweep(args: argparse.Namespace, params: list, design: str, levels: Any, kw: dict) -> Any:
    return sweep(
        args.scenario,
        params={path: (lo, hi) for path, lo, hi in params},
        samples=args.samples,
        design=design,
        levels=levels,
        replications=args.replications,
        outcomes=args.outcomes,
        variant=args.variant,
        before_complete=figure_hook(args),
        **kw,
    )


def _morris_table(df: Any) -> Table:
    """The Morris effects as a terminal table."""
    t = Table(
        title="Morris elementary effects (per full range; 95 % bootstrap; (dummy): noise floor)"
    )
    for c in ("outcome", "parameter", "mu", "mu_star", "mu_star 95 % CI", "sigma", "> dummy"):
        t.add_column(c, justify="left" if c in ("outcome", "parameter") else "right")
    for r in df.to_dict("records"):
        dist = r["distinguishable"]
        t.add_row(
            r["outcome"], r["parameter"], f"{r['mu']:.3g}", f"{r['mu_star']:.3g}",
            f"± {r['mu_star_conf']:.2g}", f"{r['sigma']:.3g}",
            "" if dist is None or dist != dist else ("yes" if dist else "no"),
        )  # fmt: skip
    return t


def run(args: argparse.Namespace) -> int:
    """Sweep and write points.csv, runs.parquet, replications.csv and sensitivity.csv
    (Sobol') or morris.csv (Morris)."""
    check_common(args)
    design = args.design or ("grid" if args.grid else "lhs")
    if args.grid and design != "grid":
        raise UserError("--grid contradicts --design " + design)
    params = [parse_param(s) for s in args.param]
    if not params:
        raise UserError("give at least one --param PATH=LOW:HIGH")
    paths = [path for path, _, _ in params]
    if twice := sorted({p for p in paths if paths.count(p) > 1}):
        raise UserError(f"--param {', '.join(twice)} is given more than once")
    levels = _levels(args.levels, design)
    if isinstance(levels, dict):
        default = levels.pop("*")
        if unknown := [k for k in levels if k not in paths]:
            raise UserError(
                f"--levels {', '.join(unknown)}: not a swept --param (swept: {', '.join(paths)})"
            )
        levels = {path: levels.get(path, default) for path, _, _ in params}
    if args.replications < 1:
        raise UserError("--replications must be at least 1")
    if design != "grid" and args.samples is None:
        raise UserError(f"--samples N is required for the {design} design")
    raw = load_raw(args.scenario)
    if design == "grid":
        n_points = 1
        for path, _, _ in params:
            n_points *= levels.get(path, 5) if isinstance(levels, dict) else levels
    else:
        n_points = args.samples * (len(params) + 2 if design in ("sobol", "morris") else 1)
    kw = execution_kwargs(args, n_points * args.replications)
    if kw["out"] is None:
        kw["out"] = default_out(raw.get("name", Path(args.scenario).stem), "sweep")
    with warnings.catch_warnings():  # printed below, once each
        warnings.simplefilter("ignore", SensitivityWarning)
        res = _sweep(args, params, design, levels, kw)
    if not args.quiet:
        console = terminal_console()
        if res.sensitivity is not None:
            t = Table(title="Sobol' indices (95 % bootstrap intervals; (dummy): the noise floor)")
            for c in ("outcome", "parameter", "S1", "S1 95 % CI", "ST", "ST 95 % CI", "> dummy"):
                t.add_column(c, justify="left" if c in ("outcome", "parameter") else "right")
            for r in res.sensitivity.to_dict("records"):
                dist = r["distinguishable"]
                t.add_row(
                    r["outcome"], r["parameter"], f"{r['S1']:.3f}",
                    f"[{r['S1_low']:.3f}, {r['S1_high']:.3f}]", f"{r['ST']:.3f}",
                    f"[{r['ST_low']:.3f}, {r['ST_high']:.3f}]",
                    "" if dist is None or dist != dist else ("yes" if dist else "no"),
                )  # fmt: skip
            console.print(t)
        if res.morris is not None:
            console.print(_morris_table(res.morris))
        console.print(f"{len(res.points)} points x {args.replications} replication(s)")
    for note in res.manifest.get("sensitivity_warnings", []):
        print(f"warning: {note}")
    if res.errors is not None and len(res.errors):
        print(f"{len(res.errors)} run(s) raised; see {res.out}/errors.csv")
    print(f"wrote {res.out}/: {rate_line(res.executed, res.wall, res.executor)}")
    return 1 if res.errors is not None and len(res.errors) else 0
