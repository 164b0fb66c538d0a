"""``samplesim check SCENARIO``: run the scenario and place each ``[observed]`` fact among the
runs; writes check.csv, check.png, runs.parquet and manifest.json. Exits 0 whether or not
the facts fall inside (the verdict is printed), 2 on bad input."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd
from rich.console import Console

from samplesim.commands._bounds import check_common
from samplesim.errors import UserError
from samplesim.metrics import METRICS
from samplesim.paths import atomic_write, default_out
from samplesim.terminal import console as terminal_console
from samplesim.terminal import fitted_tables

NAME = "check"
HELP = "run a scenario and place its [observed] facts among the runs (percentile, p-value)"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim check scenarios/change5-2023.toml --replications 200
  samplesim check scenarios/change5-2023.toml --replications 50 --seed 7 --no-plots
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    from samplesim.commands._execution import add_plugin_argument
    from samplesim.executors import EXECUTORS

    p.add_argument("scenario", help="path of the scenario TOML file")
    p.add_argument("--replications", type=int, default=200, help="replications (default 200)")
    p.add_argument("--seed", type=int, default=1, help="root random seed (default 1)")
    p.add_argument(
        "--out", type=Path, default=None, help="output directory (default results/<name>-check)"
    )
    p.add_argument("--executor", choices=EXECUTORS, default="auto", help="where runs execute")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--no-plots", action="store_true", help="skip check.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    add_plugin_argument(p)


def _num(x: float, digits: int) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def print_check(table: pd.DataFrame, title: str, console: Console | None = None) -> None:
    """The check table: one row per fact (then per joint fact)."""
    console = console or terminal_console()
    headers = ["fact", "kind", "observed", "sim mean", "5–95 %", "percentile", "p", "inside"]
    right = [False, False, True, True, True, True, True, False]
    rows: list[tuple[list[str], str | None]] = []
    for _, r in table.iterrows():
        if r["type"] == "joint":
            rare = r["sim_prob"] < r["threshold"]
            rows.append(([
                f"{r['label']} (together)", r["kind"], "", "", "", "", "",
                f"P = {r['sim_prob']:.3f} " + ("[red]rare[/]" if rare else "[green]ok[/]"),
            ], None))  # fmt: skip
            continue
        d = max(METRICS[r["metric"]].decimals, 0 if METRICS[r["metric"]].unit == "count" else 1)
        named = r["label"] == r["fact"] and r["country"] != "ALL"
        where = f" [{r['country']}]" if named else ""
        inside = "[green]yes[/]" if r["inside_90"] else "[red]NO[/]"
        rows.append(([
            f"{r['label']}{where}", r["kind"], _num(r["observed"], d), _num(r["sim_mean"], d + 1),
            f"{_num(r['sim_p05'], d)} – {_num(r['sim_p95'], d)}",
            _num(100 * r["percentile"], 0), _num(r["p_value"], 3), inside,
        ], None))  # fmt: skip
    for t in fitted_tables(title, headers, rows, console.width, right=right):
        console.print(t)


def run(args: argparse.Namespace) -> int:
    """Check the scenario's observed facts and write the outputs."""
    from samplesim.check import run_check, verdict
    from samplesim.output import atomic_dir, make_manifest, write_json

    if args.replications < 2:
        raise UserError("--replications must be at least 2")
    check_common(args, min_replications=2)
    res = run_check(
        args.scenario, args.replications, seed=args.seed, executor=args.executor,
        jobs=args.jobs, plugins=list(args.plugin or []), quiet=args.quiet,
    )  # fmt: skip
    sc = res.scenario
    out = args.out or default_out(sc.name, "check")
    manifest = make_manifest(
        sc, kind="check", seed=args.seed, replications=args.replications,
        variants=list(dict.fromkeys(f.variant for f in sc.observed.values())),
    )  # fmt: skip
    with atomic_dir(out, kind="check") as tmp:
        atomic_write(
            tmp / "check.csv", lambda f: res.table.to_csv(f, index=False, float_format="%.6g")
        )
        atomic_write(tmp / "runs.parquet", lambda f: res.runs.to_parquet(f, index=False))
        if not args.no_plots:
            from samplesim.plots import check_facts, save_figure

            save_figure(check_facts(res.table, res.values, title=sc.name), tmp / "check.png")
        write_json(tmp / "manifest.json", manifest)
    if not args.quiet:
        print_check(res.table, f"{sc.name}: observed facts against {res.replications} runs")
    for line in verdict(res.table):
        print(line)
    print(f"wrote {out}/ (check.csv{'' if args.no_plots else ', check.png'})")
    return 0
