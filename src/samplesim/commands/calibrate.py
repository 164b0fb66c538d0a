"""``samplesim calibrate SCENARIO --param PATH=LOW:HIGH ... [--observed FILE]``: ABC-SMC."""

from __future__ import annotations

import argparse
from pathlib import Path

from samplesim.commands._execution import add_plugin_argument
from samplesim.errors import UserError
from samplesim.paths import atomic_write, default_out, ensure_dir
from samplesim.scenario import load_raw

NAME = "calibrate"
HELP = "fit scenario parameters to observed facts by ABC-SMC (pyabc); posterior, checks, plots"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim calibrate scenarios/change5-2023.toml --param review.reliability=0.05:0.8
  samplesim calibrate scenarios/change5-2023.toml --param review.reliability=0.05:0.8 \\
      --population 40 --generations 3 --executor serial --out results/ce5-calibrate
  samplesim calibrate scenarios/change5-2023.toml --out results/ce5-calibrate --resume \\
      --param review.reliability=0.05:0.8
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH",
                   help="a parameter and its uniform prior range, e.g. "
                   "institutions.Brown University.propensity=0.2:3 (repeatable)")  # fmt: skip
    p.add_argument(
        "--observed",
        type=Path,
        default=None,
        metavar="FILE",
        help="TOML file of [observed.NAME] facts (default: the scenario's)",
    )
    p.add_argument("--population", type=int, default=200, help="particles per generation")
    p.add_argument("--generations", type=int, default=8, help="most generations (default 8)")
    p.add_argument(
        "--min-epsilon",
        type=float,
        default=0.0,
        help="stop when the threshold is this small (default 0)",
    )
    p.add_argument(
        "--max-simulations", type=int, default=None, help="stop after this many simulations"
    )
    p.add_argument(
        "--predictive",
        type=int,
        default=200,
        help="runs of the posterior predictive check (default 200)",
    )
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument(
        "--out", type=Path, default=None, help="output directory (default results/<name>-calibrate)"
    )
    p.add_argument("--executor", choices=("auto", "serial", "processes", "dask"), default=None,
                   help="auto: 2 processes on 2+ cores; serial is reproducible; dask for "
                   "clusters (with --scheduler)")  # fmt: skip
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default 2)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="address of a running Dask scheduler (with --executor dask)",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the calibration in --out (pyabc's abc.db)"
    )
    p.add_argument("--no-plots", action="store_true", help="skip plots/")
    p.add_argument("--quiet", action="store_true", help="no per-generation lines or table")
    add_plugin_argument(p)


def _save(fig, path: Path) -> None:
    from samplesim.plots import save_figure

    atomic_write(path, lambda tmp: save_figure(fig, tmp), suffix=".png")


def run(args: argparse.Namespace) -> int:
    """Calibrate and write the posterior tables (and plots)."""
    from samplesim.calibration import calibrate

    if not args.param:
        raise UserError("give at least one --param PATH=LOW:HIGH")
    executor = args.executor or ("dask" if args.scheduler else "auto")
    out = args.out or default_out(load_raw(args.scenario).get("name", Path(args.scenario).stem),
                                  "calibrate")  # fmt: skip
    res = calibrate(
        args.scenario, list(args.param), args.observed, population=args.population,
        generations=args.generations, min_epsilon=args.min_epsilon,
        max_simulations=args.max_simulations, predictive=args.predictive, seed=args.seed,
        executor=executor, jobs=args.jobs, scheduler=args.scheduler, out=out,
        resume=args.resume, quiet=args.quiet, plugins=list(args.plugin or []),
    )  # fmt: skip
    if not args.no_plots:
        from samplesim.plots.calibration import posterior_marginals, predictive_check

        plots = ensure_dir(out / "plots")
        _save(posterior_marginals(res.posterior, res.intervals, res.generations,
                                  title=res.scenario), plots / "posterior.png")  # fmt: skip
        facts = res.ppc_values[list(res.observed)]
        _save(predictive_check(res.ppc, facts, title=res.scenario), plots / "ppc.png")
    if not args.quiet:
        print(res.intervals.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    inside = int(res.ppc["inside_90"].fillna(False).sum())
    print(f"{inside} of {len(res.ppc)} facts inside the central 90 % of the posterior "
          f"predictive runs; {res.simulations:,} simulations ({res.executor})")  # fmt: skip
    print(f"wrote {out}/ (posterior.csv, intervals.csv, ppc.csv"
          f"{'' if args.no_plots else ', plots/'})")  # fmt: skip
    return 0
