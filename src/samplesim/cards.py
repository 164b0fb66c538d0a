"""Short views of results for people: a compact HTML card (``_repr_html_``, what Jupyter
shows) and a ``repr()`` of at most :data:`MAX_LINES` lines, for one run
(:class:`~samplesim.outcomes.SimulationResult`) and for an experiment
(:class:`~samplesim.experiment.ExperimentResult`).

Both say what produced the result (scenario, variant, seed, replications), its key metrics
(with 95 % intervals for experiments) and where its tables are: the attributes to read and,
for an experiment written with ``out``, the output directory.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from samplesim.metric_groups import CARD, EXPERIMENT_TABLE
from samplesim.metrics import ALL, METRICS, in_unit

if TYPE_CHECKING:
    from samplesim.experiment.api import ExperimentResult
    from samplesim.outcomes import SimulationResult

__all__ = ["MAX_LINES", "experiment_html", "experiment_text", "run_html", "run_text"]

#: The most lines a ``repr()`` prints, and the width its tables keep to.
MAX_LINES = 20
TEXT_WIDTH = 100

_STYLE = (
    "font-family:system-ui,sans-serif;font-size:13px;border:1px solid #bbb;border-radius:6px;"
    "padding:8px 12px;max-width:900px;overflow-x:auto;line-height:1.35"
)
_CELL = "padding:2px 8px;text-align:right;border-bottom:1px solid #ddd;white-space:nowrap"
_HEAD = "padding:2px 8px;text-align:right;border-bottom:1px solid #888"


def _num(x: Any, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{max(digits, 0)}f}"


def _signed(x: float, digits: int) -> str:
    return "–" if math.isnan(x) else f"{x:+,.{digits}f}"


def _label(metric: str, unit: str = "g") -> str:
    label, shown = in_unit(metric, unit)
    return label if shown in ("count", "fraction") else f"{label} ({shown})"


def _clip(lines: list[str], more: str) -> str:
    """``lines`` joined, cut to :data:`MAX_LINES` with a last line saying what was left out."""
    if len(lines) > MAX_LINES:
        cut = len(lines) - (MAX_LINES - 1)
        lines = [*lines[: MAX_LINES - 1], f"  … {cut} more line(s); {more}"]
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> str:
    th = "".join(
        f'<th style="{_HEAD}{";text-align:left" if i == 0 else ""}">{html.escape(h)}</th>'
        for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{_CELL}{";text-align:left" if i == 0 else ""}">{html.escape(c)}</td>'
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    style = "border-collapse:collapse;margin:6px 0;font-size:inherit"
    return f'<table style="{style}"><tr>{th}</tr>{body}</table>'


def _text_table(header: list[str], rows: list[list[str]], width: int = TEXT_WIDTH) -> list[str]:
    """Aligned columns, indented by two; columns that would pass ``width`` are left out and
    counted on a last line."""
    cols = [[h, *(r[i] for r in rows)] for i, h in enumerate(header)]
    widths = [max(map(len, c)) for c in cols]
    keep, used = 0, 2
    for w in widths:
        if keep > 1 and used + w > width:
            break
        keep, used = keep + 1, used + w + 2
    out = [
        "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(line, widths[:keep], strict=False)))
        for line in [header[:keep], *(r[:keep] for r in rows)]
    ]  # fmt: skip
    if keep < len(header):
        out.append(f"  (+{len(header) - keep} more column(s): see the card or the tables)")
    return [line.rstrip() for line in out]


def _card(title: str, facts: list[str], table: str, notes: list[str]) -> str:
    parts = [f'<div class="samplesim-card" style="{_STYLE}">']
    parts.append(f'<div style="font-weight:600;font-size:14px">{html.escape(title)}</div>')
    parts.append(f"<div>{' · '.join(html.escape(f) for f in facts)}</div>")
    parts.append(table)
    parts += [f'<div style="color:#444">{n}</div>' for n in notes]
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# One run


def _run_rows(res: SimulationResult) -> list[tuple[str, str]]:
    s = res.summary
    row = s[s["country"] == ALL]
    out = []
    for m in CARD:
        if m in s.columns and len(row):
            out.append((_label(m, res.unit), _num(float(row[m].iloc[0]), METRICS[m].decimals)))
    return out


def _run_facts(res: SimulationResult) -> list[str]:
    return [
        f"variant {res.variant}",
        f"seed {res.seed}, replication {res.replication}",
        f"from {res.start_date.isoformat()}",
        f"{len(res.proposals):,} proposals",
    ]


_RUN_TABLES = ("proposals", "summary", "events", "reviews", "inventory", "rules", "calls")


def _run_tables(res: SimulationResult) -> str:
    return ", ".join(f".{t} ({len(getattr(res, t)):,} rows)" for t in _RUN_TABLES)


_ANECDOTE = "one replication is an anecdote: samplesim.replicate(...) gives 95 % intervals"
_RUN_FILES = "files: none (in memory; `samplesim run` writes them, as Parquet and CSV)"


def run_html(res: SimulationResult) -> str:
    """The HTML card of one run."""
    rows = [list(r) for r in _run_rows(res)]
    notes = [
        f"tables: {html.escape(_run_tables(res))}",
        html.escape(_RUN_FILES),
        f"<i>{html.escape(_ANECDOTE)}</i>",
    ]
    table = _table(["whole run (ALL)", "value"], rows)
    return _card(f"samplesim run — {res.scenario}", _run_facts(res), table, notes)


def run_text(res: SimulationResult) -> str:
    """``repr()`` of one run: what produced it, key metrics at ALL, its tables."""
    lines = [f"SimulationResult({res.scenario!r}: {', '.join(_run_facts(res))})"]
    width = max((len(k) for k, _ in _run_rows(res)), default=0)
    lines += [f"  {k:<{width}}  {v}" for k, v in _run_rows(res)]
    lines += [f"  tables: {_run_tables(res)}", f"  {_RUN_FILES}", f"  {_ANECDOTE}"]
    return _clip(lines, "see .summary")


# --------------------------------------------------------------------------------------------
# Experiments


def _replication_count(res: ExperimentResult) -> int:
    if res.runs.empty:
        return 0
    return int(res.runs.groupby(["point", "variant"])["replication"].nunique().max())


def _experiment_facts(res: ExperimentResult) -> list[str]:
    m = res.manifest
    variants = list(dict.fromkeys(map(str, res.runs["variant"]))) or m.get("variants", [])
    facts = [f"seed {m.get('seed', '?')}"]
    if res.kind == "sweep" and res.points is not None:
        facts.append(f"{len(res.points):,} points × {_replication_count(res)} replication(s)")
    else:
        facts.append(f"{_replication_count(res)} replications per variant")
    if variants:
        facts.append(("variants " if len(variants) > 1 else "variant ") + ", ".join(variants))
    if res.executor:
        facts.append(f"{res.executor}, {res.wall:.1f} s")
    return facts


def _interval(r: pd.Series, d: int, lo: str = "ci_low", hi: str = "ci_high") -> str:
    return f"[{_num(r[lo], d)}, {_num(r[hi], d)}]"


def _experiment_rows(res: ExperimentResult) -> tuple[str, list[str], list[list[str]]]:
    """(what the cells show, header, rows): at ALL, mean [95 % CI] per variant; for a
    comparison the paired difference to the baseline; for a sweep the range over points."""
    need = {"variant", "country", "metric", "mean", "ci_low", "ci_high"}
    if res.summary.empty or not need <= set(res.summary.columns):
        return "no finished run to summarize", [], []
    metrics = [m for m in CARD if m in set(res.summary["metric"])]
    unit = str(res.manifest.get("unit") or "g")
    s = res.summary[res.summary["country"] == ALL]
    if res.kind == "sweep":
        header = ["at ALL", "lowest point mean", "highest point mean"]
        rows = []
        for m in metrics:
            v = s[s["metric"] == m]["mean"]
            d = EXPERIMENT_TABLE.get(m, METRICS[m].decimals)
            rows.append([_label(m, unit), _num(v.min(), d), _num(v.max(), d)])
        return "mean over replications, lowest and highest over the points", header, rows
    comp_need = {"variant", "country", "metric", "diff_mean", "ci_low", "ci_high"}
    if (
        res.kind == "comparison"
        and res.comparison is not None
        and comp_need <= set(res.comparison.columns)
    ):
        c = res.comparison[res.comparison["country"] == ALL].set_index(["variant", "metric"])
        variants = list(dict.fromkeys(c.index.get_level_values(0)))
        base = s[s["variant"] == "baseline"].set_index("metric")
        header = ["at ALL", "baseline mean [95 % CI]", *(f"{v} − baseline" for v in variants)]
        rows = []
        for m in metrics:
            d = EXPERIMENT_TABLE.get(m, METRICS[m].decimals)
            row = [_label(m, unit)]
            row.append(f"{_num(base.loc[m, 'mean'], d)} {_interval(base.loc[m], d)}"
                       if m in base.index else "–")  # fmt: skip
            for v in variants:
                r = c.loc[(v, m)] if (v, m) in c.index else None
                row.append("–" if r is None else
                           f"{_signed(r['diff_mean'], d + 1)} {_interval(r, d + 1)}")  # fmt: skip
            rows.append(row)
        return "differences are paired (common random numbers), 95 % CI", header, rows
    variants = list(dict.fromkeys(s["variant"])) if len(s) else []
    header = ["at ALL", *(f"{v}: mean [95 % CI]" for v in variants)]
    rows = []
    for m in metrics:
        d = EXPERIMENT_TABLE.get(m, METRICS[m].decimals)
        row = [_label(m, unit)]
        for v in variants:
            r = s[(s["variant"] == v) & (s["metric"] == m)]
            cell = "–" if r.empty else f"{_num(r['mean'].iloc[0], d)} {_interval(r.iloc[0], d)}"
            row.append(cell)
        rows.append(row)
    return "mean over replications with its 95 % t-interval", header, rows


def _experiment_tables(res: ExperimentResult) -> str:
    names = ["runs", "summary", "comparison", "points", "sensitivity", "morris", "calls", "errors"]
    have = [(n, getattr(res, n)) for n in names if getattr(res, n) is not None]
    return ", ".join(f".{n} ({len(t):,} rows)" for n, t in have if n != "errors" or len(t))


def _calls_note(res: ExperimentResult, most: int = 8) -> list[str]:
    """Approved per call, mean [95 % CI] (first point, first variant), up to ``most`` calls."""
    c = getattr(res, "calls", None)
    if c is None or not len(c):
        return []
    c = c[(c["metric"] == "approved") & (c["variant"] == c["variant"].iloc[0])]
    if "point" in c:
        c = c[c["point"] == c["point"].min()]
    cells = [f"{r['call']} {_num(r['mean'], 2)} {_interval(r, 2)}" for _, r in c.iterrows()]
    more = f" … {len(cells) - most} more: see .calls" if len(cells) > most else ""
    return [f"approved by call ({c['variant'].iloc[0]}): " + " · ".join(cells[:most]) + more]


def _files(out: Path | None) -> str:
    if out is None:
        return "files: none (in memory; pass out=DIR to write them)"
    present = sorted(p.name for p in Path(out).iterdir()) if Path(out).is_dir() else []
    return f"files: {out}/ ({', '.join(present)})" if present else f"files: {out}/"


def _errors(res: ExperimentResult) -> list[str]:
    n = 0 if res.errors is None else len(res.errors)
    return [f"{n} run(s) raised: see .errors"] if n else []


def experiment_html(res: ExperimentResult) -> str:
    """The HTML card of an experiment."""
    what, header, rows = _experiment_rows(res)
    name = res.manifest.get("scenario", "?")
    notes = [html.escape(what), html.escape("tables: " + _experiment_tables(res))]
    notes += [html.escape(_files(res.out)), *map(html.escape, _errors(res))]
    notes += [html.escape(n) for n in _calls_note(res)]
    title = f"samplesim {res.kind} — {name}"
    table = _table(header, rows) if rows else ""
    return _card(title, _experiment_facts(res), table, notes)


def experiment_text(res: ExperimentResult) -> str:
    """``repr()`` of an experiment: what produced it, key metrics at ALL, tables, files."""
    what, header, rows = _experiment_rows(res)
    name = res.manifest.get("scenario", "?")
    lines = [f"ExperimentResult({res.kind}, {name!r}: {', '.join(_experiment_facts(res))})"]
    lines.append(f"  {what}:" if rows else f"  {what}")
    lines += _text_table(header, rows) if rows else []
    lines += [f"  tables: {_experiment_tables(res)}", f"  {_files(res.out)}"]
    lines += [f"  {e}" for e in _errors(res)]
    return _clip(lines, "see .summary")
