"""Readable terminal summary of a run (a rich table per country plus the headline figures)."""

from __future__ import annotations

import math

from rich.console import Console

from samplesim.metric_groups import RUN_TABLE
from samplesim.metrics import METRICS
from samplesim.outcomes import SimulationResult
from samplesim.scenario import Scenario
from samplesim.scenario.units import DEFAULT_UNIT
from samplesim.terminal import console as terminal_console
from samplesim.terminal import fitted_tables

__all__ = ["print_run_summary"]


def _fmt(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


def print_run_summary(res: SimulationResult, sc: Scenario, console: Console | None = None) -> None:
    """Print the per-country funnel and headline metrics of one run."""
    console = console or terminal_console()
    s = res.summary.set_index("country")
    title = f"{sc.name} ({sc.variant}), seed {res.seed}: outcome by lead country"
    unit = getattr(res, "unit", DEFAULT_UNIT)
    cols = [
        (k, label if METRICS[k].unit != "g" or unit == DEFAULT_UNIT else f"{unit}",
         METRICS[k].decimals)
        for k, label in RUN_TABLE.items()
    ]  # fmt: skip
    rows = []
    for country, row in s.iterrows():
        if row["submitted"] == 0 and row["deterred"] == 0:
            continue
        style = "bold" if country == "ALL" else None  # the row's name says it, too
        rows.append(([str(country), *(_fmt(row[k], d) for k, _, d in cols)], style))
    headers = ["country", *(label for _, label, _ in cols)]
    for t in fitted_tables(title, headers, rows, console.width):
        console.print(t)
    a = s.loc["ALL"]
    used = res.summary.set_index("country").loc["ALL", "inventory_used_fraction"]
    # Granted over the initial stock exceeds 100 % when returned loans are lent again: say so,
    # or it reads as grams created from nothing.
    relent = " (returned loans lent again)" if used > 1 else ""
    console.print(
        f"granted: {_fmt(100 * used, 1)} % of the initial {sum(res.initial_grams.values()):g} "
        f"{unit}{relent}; "
        f"merit efficiency: {_fmt(a['merit_efficiency'], 2)}; "
        f"fairness (Jain) across countries: {_fmt(a['fairness_index'], 2)}"
    )
    blocked = res.rules[res.rules["applied"] > 0]
    for _, r in blocked.iterrows():
        stopped = "deterred" if r["gate"] == "application" else "blocked"
        console.print(
            f"rule {r['rule']} ({r['gate']}, {r['effect']}): applied {r['applied']}, "
            f"passed {r['passed']}, conditioned {r['conditioned']}, {stopped} {r['blocked']}, "
            f"mean delay {r['mean_delay_days']:.0f} d"
        )
