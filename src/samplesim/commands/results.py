"""``samplesim results DIR``: load any output directory into one tidy table and describe it.

Also holds the terminal tables the experiment commands (run, compare, sweep) print.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd
from rich.console import Console

from samplesim.metric_groups import EXPERIMENT_COUNTRY_TABLE, EXPERIMENT_TABLE
from samplesim.metrics import METRICS
from samplesim.store import load_results
from samplesim.terminal import console as terminal_console
from samplesim.terminal import fitted_tables

NAME = "results"
HELP = "load a run or experiment directory (even an interrupted one) and describe its results"
#: Example invocations, shown at the end of ``--help``.
EXAMPLES = """\
  samplesim results results/cmp
  samplesim results results/cmp --csv results/cmp-runs.csv
"""

#: (metric, digits of a mean) of the terminal tables, from :data:`metric_groups.EXPERIMENT_TABLE`.
KEY_METRICS = list(EXPERIMENT_TABLE.items())


def _f(x: float, d: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{d}f}"


def _console() -> Console:
    return terminal_console()


def _named(metric: str, unit: str) -> str:
    """A metric's name, with the inventory's unit after an amount in a unit other than g."""
    m = METRICS.get(metric)
    return f"{metric} ({unit})" if unit != "g" and m is not None and m.unit == "g" else metric


def print_replications(
    summary: pd.DataFrame, title: str, console: Console | None = None, unit: str = "g"
) -> None:
    """Key metrics at ALL plus approved / grams per country: mean ± 95 % half-width (amounts
    in ``unit``, the inventory's)."""
    console = console or _console()
    s = summary.set_index(["country", "metric"])
    n = int(summary["n"].max()) if len(summary) else 0
    console.print(f"{title}: mean ± 95 % half-width over {n} replications")
    rows = []
    for m, d in KEY_METRICS:
        if ("ALL", m) not in s.index:
            continue
        r = s.loc[("ALL", m)]
        rows.append(
            (
                [
                    _named(m, unit),
                    f"{_f(r['mean'], d)} ± {_f(r['half_width'], d + 1)}",
                    f"[{_f(r['ci_low'], d)}, {_f(r['ci_high'], d)}]",
                ],
                None,
            )
        )
    for t in fitted_tables("whole run (ALL)", ["metric", "mean ± hw", "95 % CI"], rows,
                           console.width):  # fmt: skip
        console.print(t)
    per = summary[(summary["country"] != "ALL") & summary["metric"].isin(EXPERIMENT_COUNTRY_TABLE)]
    if per.empty:
        return
    wide = per.pivot_table(
        index="country", columns="metric", values=["mean", "half_width"], observed=True
    )
    rows = []
    for c in wide.index:
        if wide.loc[c, ("mean", "submitted")] == 0:
            continue
        cells = [str(c)]
        for m in EXPERIMENT_COUNTRY_TABLE:
            d = EXPERIMENT_TABLE[m]
            cells.append(
                f"{_f(wide.loc[c, ('mean', m)], d)} ± {_f(wide.loc[c, ('half_width', m)], d)}"
            )
        rows.append((cells, None))
    headers = ["country", *(_named(m, unit) for m in EXPERIMENT_COUNTRY_TABLE)]
    for t in fitted_tables("by lead country", headers, rows, console.width):
        console.print(t)


def print_comparison(comp: pd.DataFrame, console: Console | None = None) -> None:
    """Key differences at ALL: variant - baseline with paired and Welch 95 % intervals; the
    rows whose paired interval excludes 0 say so in a column (and are bold on a terminal)."""
    console = console or _console()
    c = comp[comp["country"] == "ALL"]
    n = int(comp["n"].max()) if len(comp) else 0
    title = f"variant - baseline at ALL ({n} paired replications, common random numbers)"
    headers = ["variant", "metric", "baseline", "variant mean", "difference", "paired 95 % CI",
               "Holm p", "survives Holm", "excludes 0", "unpaired (Welch)"]  # fmt: skip
    rows = []
    for v in c["variant"].drop_duplicates():
        for m, d in KEY_METRICS:
            r = c[(c["variant"] == v) & (c["metric"] == m)]
            if r.empty:
                continue
            r = r.iloc[0]
            excl = bool(r["ci_low"] > 0 or r["ci_high"] < 0)
            holm = "survives_holm" in r.index and bool(r["survives_holm"])
            p_holm = r["p_holm"] if "p_holm" in r.index else float("nan")
            cells = [
                str(v),
                m,
                _f(r["baseline_mean"], d),
                _f(r["variant_mean"], d),
                _f(r["diff_mean"], d + 1),
                f"[{_f(r['ci_low'], d + 1)}, {_f(r['ci_high'], d + 1)}]",
                "-" if p_holm != p_holm else f"{p_holm:.3g}",
                "yes" if holm else "no",
                "yes" if excl else "no",
                f"[{_f(r['unpaired_ci_low'], d + 1)}, {_f(r['unpaired_ci_high'], d + 1)}]",
            ]
            rows.append((cells, "bold" if holm else None))
    for t in fitted_tables(title, headers, rows, console.width, keys=2):
        console.print(t)
    console.print("excludes 0: whether the paired 95 % interval of the difference excludes 0")
    if "p_holm" in comp.columns:
        fam = comp["p_holm"].notna()
        console.print(
            f"survives Holm: the difference stays significant after Holm's adjustment over all "
            f"{int(fam.sum())} comparisons (variants x metrics x countries): "
            f"{int(comp['survives_holm'].sum())} do; comparison.csv has every row and Bonferroni "
            "simultaneous intervals (simul_ci_*)"
        )


def print_selection(sel: pd.DataFrame) -> None:
    """Which policies may be best (subset selection) for one metric."""
    r0 = sel.iloc[0]
    keep = sel[sel["in_subset"]]["variant"].tolist()
    goal = "largest" if r0["goal"] == "max" else "smallest"
    who = f"{keep[0]} is best" if len(keep) == 1 else f"the best is one of {', '.join(keep)}"
    print(
        f"best ({goal} {r0['metric']}@{r0['country']}, {int(r0['n'])} paired replications): "
        f"{who} (probability of correct selection >= {r0['pcs']:.0%})"
    )


def describe(df: pd.DataFrame) -> str:
    """A few lines describing a runs table (from :func:`samplesim.load_results`)."""
    man = df.attrs.get("manifest", {})
    lines = [
        f"scenario: {man.get('scenario', '?')} "
        f"(digest {str(man.get('scenario_digest', '?'))[:12]}),"
        f" kind: {man.get('kind', '?')}, status: {man.get('status', 'n/a')}",
        f"{len(df):,} rows; {df['point'].nunique()} point(s); variants: "
        f"{', '.join(map(str, df['variant'].drop_duplicates()))}; "
        f"replications per (point, variant): "
        f"{df.groupby(['point', 'variant'])['replication'].nunique().min() if len(df) else 0}"
        f"-{df.groupby(['point', 'variant'])['replication'].nunique().max() if len(df) else 0}",
        f"countries: {', '.join(sorted(map(str, df['country'].unique())))}",
        f"metrics: {df['metric'].nunique()}",
    ]
    if man.get("errors"):
        lines.append(f"runs that raised: {man['errors']} (see errors.csv)")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    p.add_argument("dir", type=Path, help="a samplesim output directory")
    p.add_argument("--csv", type=Path, default=None, help="also write the tidy table as CSV")


def run(args: argparse.Namespace) -> int:
    """Load and describe."""
    df = load_results(args.dir)
    print(describe(df))
    all_rows = df[(df["country"] == "ALL") & df["metric"].isin([m for m, _ in KEY_METRICS])]
    if len(all_rows):
        g = all_rows.groupby(["variant", "metric"], sort=True, observed=True)["value"].mean()
        g = g.unstack("variant")
        terminal_console().print(g.round(3).to_string())
    if args.csv:
        from samplesim.paths import atomic_write

        atomic_write(args.csv, lambda tmp: df.to_csv(tmp, index=False))
        print(f"wrote {args.csv}")
    return 0
