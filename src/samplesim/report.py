"""A self-contained HTML report of an output directory (a run or an experiment).

One file, no external resources and no JavaScript: figures are embedded as base64 PNGs,
tables and the manifest are plain HTML with inline CSS. Use :func:`write_report` (or
``samplesim report DIR``).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pandas as pd

from samplesim.errors import UserError
from samplesim.metric_groups import REPORT_COUNTRY_COLUMNS, REPORT_EXPERIMENT, REPORT_RUN
from samplesim.metrics import METRICS, in_unit
from samplesim.output import write_text
from samplesim.paths import make_out_dir
from samplesim.report_calls import experiment_calls_html, run_calls_html

__all__ = ["build_report", "figure_to_data_uri", "write_report"]

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.4}
main{max-width:1180px;margin:0 auto;padding:24px 32px;background:#fff;box-sizing:border-box}
dd,code,pre{overflow-wrap:anywhere}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:28px 0 8px;
border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:1.05em;margin:18px 0 6px}
.sub{color:#666;margin:0 0 16px}
.scroll{max-width:100%;overflow-x:auto;margin:6px 0 14px}
table{border-collapse:collapse;font-size:0.86em}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f0f0f0}td.l,th.l{text-align:left}
tr:nth-child(even) td{background:#fbfbfb}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:0.9em}
dl.kv dt{font-weight:600;color:#444}dl.kv dd{margin:0;word-break:break-all}
figure{margin:14px 0 24px}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:0.9em;margin-top:4px}
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:0.8em}
.sig{font-weight:600}.note{color:#666;font-size:0.85em}
.anecdote{border-left:4px solid #D55E00;background:#fff6ef;padding:8px 12px;margin:10px 0}
code{background:#f3f3f3;padding:0 3px}
"""

_RUN_HEADLINE = REPORT_RUN
_COUNTRY_COLS = ("country", *REPORT_COUNTRY_COLUMNS)
_KEY_METRICS = REPORT_EXPERIMENT


class _Raw(str):
    """Trusted HTML (built here from escaped parts): inserted into a table cell as is."""

    __slots__ = ()


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any, metric: str = "") -> str:
    """Format a number for a table cell by what the metric measures."""
    if x is None:
        return "–"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return _e(x)
    if math.isnan(v):
        return "–"
    if "days" in metric:
        return f"{v:,.1f}"
    if metric.startswith("grams") or metric.endswith("_g"):
        return f"{v:,.3f}"
    if (
        v == int(v)
        and abs(v) < 1e12
        and not any(
            k in metric for k in ("rate", "fraction", "share", "index", "efficiency", "S1", "ST")
        )
    ):
        return f"{int(v):,}"
    return f"{v:.3g}"


def _table(df: pd.DataFrame, left: Iterable[str] = (), fmt: dict[str, str] | None = None) -> str:
    left = set(left)
    fmt = fmt or {}
    head = "".join(
        f'<th class="{"l" if c in left else ""}">{_e(str(c).replace("_", " "))}</th>'
        for c in df.columns
    )
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            if c in left:
                cells.append(f'<td class="l">{_e(v)}</td>')
            elif isinstance(v, _Raw):
                cells.append(f"<td>{v}</td>")
            elif isinstance(v, str):
                cells.append(f"<td>{_e(v)}</td>")
            else:
                cells.append(f"<td>{_num(v, fmt.get(c, c))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


#: The inventory's unit of the report being built (amount labels say it).
_UNIT: ContextVar[str] = ContextVar("report_unit", default="g")


def _label(metric: str) -> str:
    """A metric's human label with its unit ("median time to decision (days)"); amounts in
    the unit of the directory's inventory."""
    m = METRICS.get(str(metric))
    return "{} ({})".format(*in_unit(m.name, _UNIT.get())) if m else str(metric).replace("_", " ")


def _human_columns(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``df`` with metric columns renamed to their labels, and the formats by new name."""
    names = {c: _label(c) for c in df.columns if c in METRICS}
    return df.rename(columns=names), {v: k for k, v in names.items()}


def figure_to_data_uri(fig: Any, dpi: int = 110) -> str:
    """Render a matplotlib figure to a ``data:image/png;base64,...`` URI (and clear it)."""
    from samplesim.plots._common import write_png

    buf = io.BytesIO()
    write_png(fig, buf, dpi)
    fig.clear()
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _kv(items: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if v not in (None, "", [], {})
    )
    return f'<dl class="kv">{rows}</dl>'


def _scenario_section(m: dict[str, Any], kind: str, path: Path) -> str:
    params = m.get("params")
    if isinstance(params, dict):
        params = "; ".join(f"{k} in {v}" for k, v in params.items())
    cmd = m.get("command")
    items = [
        ("scenario", m.get("scenario", "(no manifest)")),
        ("scenario file", m.get("scenario_file")),
        ("scenario digest", m.get("scenario_digest")),
        ("output kind", kind),
        ("variant", m.get("variant") if kind == "run" else None),
        ("variants", ", ".join(m.get("variants") or []) if kind != "run" else None),
        ("seed", m.get("seed")),
        ("replication", m.get("replication") if kind == "run" else None),
        ("replications", m.get("replications") if kind != "run" else None),
        ("swept parameters", params),
        ("outcomes", ", ".join(_label(o.partition("@")[0]) for o in m.get("outcomes") or [])),
        ("status", m.get("status")),
        ("runs finished", m.get("runs") if kind != "run" else None),
        ("runs with errors", m.get("errors") if kind != "run" else None),
        ("executor", m.get("executor")),
        ("command", " ".join(map(str, cmd)) if isinstance(cmd, list) else cmd),
        ("directory", str(path)),
    ]
    return "<h2>Scenario</h2>" + _kv(items)


def _anecdote(m: dict[str, Any]) -> str:
    """The note every single-run report carries: one run is an anecdote."""
    typ = m.get("typical")
    rep = m.get("replication", 0)
    if isinstance(typ, dict) and typ.get("of"):
        which = (
            f"This is replication {_e(rep)} of {_e(typ['of'])} (seed {_e(m.get('seed'))}), the "
            "one nearest the median of "
            + _e(", ".join(_label(x).rsplit(" (", 1)[0] for x in typ.get("metrics", [])))
            + "."
        )
    else:
        which = f"This is one replication (seed {_e(m.get('seed'))}, replication {_e(rep)})."
    return (
        "<p class='anecdote'><strong>One run is an anecdote.</strong> "
        f"{which} Another replication can differ a lot; for means with 95 % intervals run "
        "<code>samplesim run SCENARIO --replications 30</code> (or <code>samplesim compare"
        "</code> for policy variants).</p>"
    )


def _run_tables(res: Any) -> str:
    out = ["<h2>Key metrics</h2>"]
    s = res.summary
    if s is not None and len(s) and "country" in s:
        all_row = s[s["country"].astype(str) == "ALL"]
        if len(all_row):
            r = all_row.iloc[0]
            cols = [c for c in _RUN_HEADLINE if c in s.columns]
            out.append("<h3>Whole run (ALL)</h3>")
            out.append(
                _table(
                    pd.DataFrame(
                        {
                            "metric": [_label(c) for c in cols],
                            "value": [_num(r[c], c) for c in cols],
                        }
                    ),
                    left=["metric"],
                )
            )
        cols = [c for c in _COUNTRY_COLS if c in s.columns]
        out.append("<h3>By lead country</h3>")
        wide, fmt = _human_columns(s[cols])
        out.append(_table(wide, left=["country"], fmt=fmt))
    out.append(run_calls_html(getattr(res, "calls", None), _UNIT.get(), _table))
    if res.rules is not None and len(res.rules):
        out.append("<h3>Rules</h3>")
        out.append(_table(res.rules, left=["rule", "gate", "effect"]))
    return "".join(out)


def _ci(mean: float, lo: float, hi: float, metric: str) -> str:
    interval = f"[{_num(lo, metric)}, {_num(hi, metric)}]"
    return _Raw(f"{_num(mean, metric)} <span class='note'>{interval}</span>")


def _replications_table(rep: pd.DataFrame) -> str:
    if "point" in rep and rep["point"].nunique() > 1:
        return ""
    sub = rep[(rep["country"].astype(str) == "ALL") & rep["metric"].isin(_KEY_METRICS)]
    if not len(sub):
        return ""
    variants = list(dict.fromkeys(sub["variant"].astype(str)))
    rows = []
    for metric in [m for m in _KEY_METRICS if m in set(sub["metric"])]:
        row: dict[str, Any] = {"metric": _label(metric)}
        for v in variants:
            r = sub[(sub["metric"] == metric) & (sub["variant"].astype(str) == v)]
            row[v] = _ci(*r[["mean", "ci_low", "ci_high"]].iloc[0], metric) if len(r) else "–"
        rows.append(row)
    n = int(sub["n"].max()) if "n" in sub else 0
    return (
        f"<h3>Mean over replications, all countries (95 % t-interval in brackets; n = {n})</h3>"
        + _table(pd.DataFrame(rows, dtype=object), left=["metric"])
    )


def _comparison_table(cmp: pd.DataFrame) -> str:
    sub = cmp[(cmp["country"].astype(str) == "ALL") & cmp["metric"].isin(_KEY_METRICS)]
    if not len(sub):
        return ""
    variants = list(dict.fromkeys(sub["variant"].astype(str)))
    base = str(sub["baseline"].iloc[0]) if "baseline" in sub else "baseline"
    rows = []
    for metric in [m for m in _KEY_METRICS if m in set(sub["metric"])]:
        r0 = sub[sub["metric"] == metric]
        row: dict[str, Any] = {
            "metric": _label(metric),
            base: _num(r0["baseline_mean"].iloc[0], metric),
        }
        for v in variants:
            r = r0[r0["variant"].astype(str) == v]
            if not len(r):
                row[v] = "–"
                continue
            d, lo, hi = r[["diff_mean", "ci_low", "ci_high"]].iloc[0]
            cell = _ci(d, lo, hi, metric)
            if lo > 0 or hi < 0:
                cell = _Raw(f"<span class='sig'>{cell}</span>")
            row[v] = cell
        rows.append(row)
    return (
        f"<h3>Difference from {_e(base)}, all countries (paired 95 % CI; bold: excludes 0)</h3>"
        f"<p class='note'>The {_e(base)} column is its mean; the others are variant - "
        f"{_e(base)}.</p>" + _table(pd.DataFrame(rows, dtype=object), left=["metric"])
    )


def _experiment_tables(kind: str, t: dict[str, pd.DataFrame]) -> str:
    out = ["<h2>Key metrics</h2>"]
    if "comparison" in t:
        out.append(_comparison_table(t["comparison"]))
    if "replications" in t:
        out.append(_replications_table(t["replications"]))
    if "points" in t:
        out.append(_points_table(t["points"], t.get("replications")))
    if "sensitivity" in t:
        out.append("<h3>Sobol sensitivity indices</h3>")
        sens = t["sensitivity"].copy()
        sens["outcome"] = [
            _label(o.partition("@")[0]) + (f" [{o.partition('@')[2]}]" if "@" in o else "")
            for o in sens["outcome"].astype(str)
        ]
        out.append(_table(sens, left=["outcome", "parameter"]))
    out.append(experiment_calls_html(t.get("calls"), _UNIT.get(), _table, _ci))
    if len(out) == 1 or not "".join(out[1:]):
        out.append("<p>No summary tables in this directory.</p>")
    return "".join(out)


_MAX_POINTS = 40


def _points_table(pts: pd.DataFrame, rep: pd.DataFrame | None) -> str:
    """Outcomes by sweep point: the point's parameters, then the mean (95 % interval) of the
    key metrics over its replications (all countries); the first 40 points."""
    out = [f"<h3>Outcomes by point ({len(pts)} points; all countries)</h3>"]
    shown = pts.sort_values("point").head(_MAX_POINTS).reset_index(drop=True)
    table = shown.copy()
    if rep is not None and "point" in rep and len(rep):
        sub = rep[(rep["country"].astype(str) == "ALL") & rep["metric"].isin(_KEY_METRICS)]
        sub = sub[sub["point"].isin(shown["point"])]
        present = [m for m in _KEY_METRICS if m in set(sub["metric"])]
        n = int(sub["n"].max()) if "n" in sub and len(sub) else 0
        for metric in present:
            r = sub[sub["metric"] == metric].set_index("point")
            cells = []
            for p in shown["point"]:
                if p not in r.index:
                    cells.append("–")
                    continue
                row = r.loc[p]
                if n >= 3:
                    cells.append(_ci(row["mean"], row["ci_low"], row["ci_high"], metric))
                else:
                    cells.append(_num(row["mean"], metric))
            table[_label(metric)] = pd.Series(cells, index=table.index, dtype=object)
        what = "mean [95 % t-interval]" if n >= 3 else "mean (no interval from fewer than 3)"
        out.append(f"<p class='note'>Each cell: {what}, n = {n} replication(s) per point.</p>")
    out.append(_table(table.astype(object), left=[]))
    if len(pts) > _MAX_POINTS:
        out.append(f"<p class='note'>first {_MAX_POINTS} of {len(pts)} points shown</p>")
    return "".join(out)


def _manifest_section(m: dict[str, Any]) -> str:
    if not m:
        return "<h2>Manifest</h2><p>No manifest.json in this directory.</p>"
    shown = dict(m)
    keys = shown.pop("finished_keys", None)
    if keys is not None:
        shown["finished_keys"] = f"({len(keys)} run keys omitted)"
    versions = m.get("versions") or {}
    vt = (
        _table(
            pd.DataFrame({"package": list(versions), "version": list(versions.values())}),
            left=["package", "version"],
        )
        if versions
        else ""
    )
    cmd = m.get("command")
    cmd_s = " ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd or "")
    return (
        "<h2>Manifest</h2>"
        + _kv([("command", cmd_s), ("scenario digest", m.get("scenario_digest"))])
        + "<h3>Versions</h3>"
        + vt
        + "<details><summary>manifest.json</summary><pre>"
        + _e(json.dumps(shown, indent=2, sort_keys=True, default=str))
        + "</pre></details>"
    )


def build_report(path: str | Path, dpi: int = 110) -> str:
    """The HTML text of the report of the output directory ``path``."""
    from samplesim.plots.files import detect_kind, read_manifest

    path = Path(path)
    kind = detect_kind(path)
    m = read_manifest(path)
    token = _UNIT.set(str(m.get("unit") or "g"))
    try:
        return _build(path, kind, m, dpi)
    finally:
        _UNIT.reset(token)


def _build(path: Path, kind: str, m: dict[str, Any], dpi: int) -> str:
    from samplesim.plots.files import dir_figures, load_experiment, load_run

    if kind == "run":
        tables = _anecdote(m) + _run_tables(load_run(path))
    else:
        tables = _experiment_tables(kind, load_experiment(path))
    figs = []
    for name, caption, fig in dir_figures(path):
        uri = figure_to_data_uri(fig, dpi=dpi)
        figs.append(
            f'<figure id="{_e(name)}"><img src="{uri}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)} <span class='note'>({_e(name)})</span></figcaption>"
            "</figure>"
        )
    scen = m.get("scenario", path.name)
    title = f"samplesim report: {scen} ({kind})"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1><p class='sub'>Generated {when} from <code>{_e(path)}</code> "
        f"by samplesim {_e((m.get('versions') or {}).get('samplesim', ''))}.</p>"
        + _scenario_section(m, kind, path)
        + tables
        + f"<h2>Figures ({len(figs)})</h2>"
        + "".join(figs)
        + _manifest_section(m)
        + "</main></body></html>\n"
    )


def write_report(path: str | Path, out: str | Path | None = None, dpi: int = 110) -> Path:
    """Write the report of ``path`` to ``out`` (default ``path/report.html``); return it."""
    path = Path(path)
    out = Path(out) if out is not None else path / "report.html"
    if out.is_dir():
        raise UserError(f"{out}: is a directory; give a file name for out", also=("out",))
    text = build_report(path, dpi=dpi)
    make_out_dir(out.parent, out)  # a bad path is a UserError (exit 2)
    write_text(out, text)
    return out
