"""``samplesim run SCENARIO``: simulate, print a summary, write tables, manifest and plots."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from samplesim.commands._bounds import add_force_argument, check_common
from samplesim.commands._execution import add_plugin_argument
from samplesim.commands._figures import figure_hook
from samplesim.errors import UserError
from samplesim.loading import load_scenario
from samplesim.outcomes import SimulationResult
from samplesim.paths import atomic_dir, default_out
from samplesim.run_output import make_manifest, write_run
from samplesim.simulation import simulate
from samplesim.typical import TYPICAL_OF, typical_replication

NAME = "run"
HELP = "simulate a scenario and write summary.csv, proposals.parquet, events.parquet, plots"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim run scenarios/change5-2023.toml --seed 1 --out results/ce5
  samplesim run scenarios/change5-2023.toml --variant wolf-lifted --no-plots
  samplesim run scenarios/change5-2023.toml --replications 200 --out results/ce5-200
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="root random seed: run exactly (seed, --replication); without it, the replication "
        f"nearest the median of {TYPICAL_OF} with seed 1 is shown",
    )
    p.add_argument(
        "--replication",
        type=int,
        default=None,
        metavar="R",
        help="replication index R of the seed (default 0 with --seed); reproduces the run a "
        "manifest names",
    )
    p.add_argument("--variant", default=None, help="run one of the scenario's variants")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default results/<scenario name as a safe slug>)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip writing plots/*.png")
    p.add_argument("--quiet", action="store_true", help="print only the final line")
    _add_replication_arguments(p)
    add_force_argument(p)
    add_plugin_argument(p)


def _add_replication_arguments(p: argparse.ArgumentParser) -> None:
    from samplesim.executors import EXECUTORS

    p.add_argument(
        "--replications",
        type=int,
        default=1,
        metavar="K",
        help="replications 0..K-1 with mean and 95 %% CI (with --precision: the maximum, "
        "default 1000)",
    )
    p.add_argument(
        "--precision",
        default=None,
        metavar="METRIC[@COUNTRY]=HALFWIDTH",
        help="add replications until the 95 %% half-width of METRIC is below HALFWIDTH "
        "(exact Garwood/Wilson intervals for counts/proportions)",
    )
    p.add_argument(
        "--min-replications",
        type=int,
        default=20,
        metavar="N",
        help="with --precision: replications before the first check (default 20)",
    )
    p.add_argument(
        "--stopping",
        choices=("batch", "hrd"),
        default="batch",
        help="with --precision: batch (default) or hrd (Hoad, Robinson & Davies 2010)",
    )
    p.add_argument("--executor", choices=EXECUTORS, default=None, help="auto|serial|processes|dask")
    p.add_argument("--jobs", type=int, default=None, help="workers (default: all cores)")
    p.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler")
    p.add_argument("--batch-size", type=int, default=None, help="runs per task (default auto)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted experiment")


def _run_replications(args: argparse.Namespace) -> int:
    from samplesim.commands._execution import execution_kwargs
    from samplesim.commands.results import print_replications
    from samplesim.experiment import DEFAULT_PRECISION_CAP, replicate
    from samplesim.progress import rate_line
    from samplesim.scenario import load_raw

    if args.replications < 1:
        raise UserError("--replications must be at least 1")
    cap = args.replications
    if args.precision and args.replications == 1:
        cap = DEFAULT_PRECISION_CAP
    kw = execution_kwargs(args, cap)
    if kw["out"] is None:
        name = load_raw(args.scenario).get("name", Path(args.scenario).stem)
        kw["out"] = default_out(name, "replications")
    res = replicate(
        args.scenario,
        cap,
        variant=args.variant,
        precision=args.precision,
        max_replications=cap if args.precision else None,
        before_complete=figure_hook(args),
        min_replications=args.min_replications,
        stopping=args.stopping,
        **kw,
    )
    if not args.quiet:
        print_replications(
            res.summary, res.manifest["scenario"], unit=str(res.manifest.get("unit") or "g")
        )
    if res.precision:
        p = res.precision
        verdict = "reached" if p["reached"] else f"NOT reached (cap {p['cap']} replications)"
        print(
            f"precision {p['metric']}@{p['country']}: half-width {p['half_width']:.4g} "
            f"({p['interval']} interval [{p['ci_low']:.4g}, {p['ci_high']:.4g}]) "
            f"after {p['n']} replications; target {p['target']:g} {verdict}"
        )
    if res.errors is not None and len(res.errors):
        print(f"{len(res.errors)} run(s) raised; see {res.out}/errors.csv")
    print(f"wrote {res.out}/: {rate_line(res.executed, res.wall, res.executor)}")
    return 1 if res.errors is not None and len(res.errors) else 0


def run(args: argparse.Namespace) -> int:
    """Run once (the typical replication unless --seed/--replication) and write the outputs."""
    exact = args.seed is not None or args.replication is not None
    if args.seed is None:
        args.seed = 1
    check_common(args)  # --seed in [0, 2**63), --replications, ...
    if args.replication is not None and args.replication < 0:
        raise UserError("--replication must be a non-negative integer")
    if args.replications != 1 or args.precision:
        if args.replication is not None:
            raise UserError("--replication names one run; it cannot go with --replications")
        return _run_replications(args)
    sc = load_scenario(args.scenario, variant=args.variant)
    out = args.out or default_out(sc.name, None if sc.variant == "baseline" else sc.variant)
    t0 = time.perf_counter()
    if exact:
        rep = args.replication or 0
        res = simulate(sc, seed=args.seed, replication=rep)
        extra: dict[str, object] = {}
        said = f"one replication (seed {args.seed}, replication {rep})"
    else:
        typ = typical_replication(sc, seed=args.seed)
        res, rep = typ.result, typ.replication
        extra = {"typical": typ.manifest()}
        said = f"one replication: {typ.describe()} of {', '.join(typ.labels())}"
    wall = time.perf_counter() - t0
    manifest = make_manifest(
        sc, seed=args.seed, replication=rep, kind="run", horizon_days=sc.horizon_days, **extra
    )
    with atomic_dir(out) as tmp:  # refuses an output it may not replace before any print
        if not args.quiet:
            # The answer first: it does not wait for the figures (most of the wall time).
            from samplesim.summary_table import print_run_summary  # rich: not for --quiet

            print_run_summary(res, sc)
            print(f"{said}; use --replications N for intervals", flush=True)
        write_run(res, tmp, manifest)
        if not args.no_plots:
            from samplesim import plots

            plots.save_dir_plots(tmp)
    print(f"wrote {out}/ ({_applications(res)}, {res.n_events} simpy events, {wall * 1000:.1f} ms)")
    return 0


def _applications(res: SimulationResult) -> str:
    """``N proposals`` (and ``, D deterred`` when rules prevented applications)."""
    state = res.proposals["state"].astype(str)
    deterred = int((state == "deterred").sum())
    text = f"{len(state) - deterred} proposals"
    return f"{text}, {deterred} deterred" if deterred else text
