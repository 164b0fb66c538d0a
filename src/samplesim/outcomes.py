"""Outcome tables of one run: proposals, reviews, events, inventory, rules and the summary.

Built once from the columnar trace after the run. Column meanings are documented in
``PROPOSAL_COLUMNS`` / ``REVIEW_COLUMNS`` / ``SUMMARY_COLUMNS`` (and in the README).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from samplesim.model.trace import STAGES, TERMINAL_STATES

if TYPE_CHECKING:
    from samplesim.model.world import World

__all__ = [
    "PROPOSAL_COLUMNS",
    "REVIEW_COLUMNS",
    "SUMMARY_COLUMNS",
    "SimulationResult",
    "build_result",
    "summarize",
]

PROPOSAL_COLUMNS: dict[str, str] = {
    "proposal_id": "P<call>-<n>: unique within the run",
    "call": "name of the call the proposal answered",
    "institution": "lead institution",
    "country": "lead institution's country",
    "kind": "lead institution's kind (university, agency, ...)",
    "funders": "lead's funders, ';'-separated",
    "team_countries": "every team member's country, ';'-separated",
    **{f"{s}_day": f"simulation day the proposal reached '{s}' (NaN if never)" for s in STAGES},
    "submitted_date": "calendar date of submission",
    "decision_date": "calendar date of the decision (NaT if none)",
    "samples_date": "calendar date samples were in hand (NaT if none)",
    "days_to_decision": "decision_day - submitted_day",
    "days_to_samples": "samples_day - submitted_day",
    "state": "terminal state, one of: " + ", ".join(TERMINAL_STATES),
    "reason": "why it ended there (rule name and detail when a rule blocked it)",
    "conditions": "conditions imposed by rules (e.g. without NASA funds)",
    "destructive": "whether the analysis consumes the sample",
    "merit": "latent true merit ~ N(0, 1)",
    "review_score": "mean of the independent review scores",
    "final_score": "review score combined with the panel score (shortlisted only)",
    "review_wait_days": "mean wait for a reviewer over the proposal's reviews",
    "rule_delay_days": "days spent waiting on rules (up to the horizon)",
    "grams_requested": "grams requested over all sample types",
    "grams_awarded": "grams granted at the decision (before any later withdrawal)",
    "grams_granted": "grams finally granted (0 if the grant was withdrawn)",
}

REVIEW_COLUMNS: dict[str, str] = {
    "proposal_id": "the reviewed proposal",
    "review": "review number within the proposal, 1..reviews_per_proposal",
    "reviewer_id": "reviewer, 0..reviewers-1 (distinct within a proposal)",
    "reviewer_country": "reviewer's country ('' for reviewers listed under no country)",
    "start_day": "simulation day the reviewer took the review",
    "end_day": "simulation day the review was finished (NaN if under way at the horizon)",
    "score": "the review's score (NaN if unfinished); review_score is their mean",
}

SUMMARY_COLUMNS: dict[str, str] = {
    "country": "lead country, or ALL for the whole run",
    "submitted": "proposals submitted",
    "screened_out": "incomplete or ineligible",
    "blocked": "blocked by a rule (any gate)",
    "blocked_after_approval": "approved, then blocked at the agreement or shipping gate",
    "cleared": "passed screening and screening-gate rules",
    "reviewed": "completed peer review",
    "shortlisted": "shortlisted (interviewed when there is a panel)",
    "approved": "granted grams at the decision",
    "delivered": "samples in hand",
    "pending": "unfinished at the horizon",
    "grams_requested": "grams requested",
    "grams_granted": "grams finally granted",
    "approval_rate": "approved / submitted",
    "median_days_to_decision": "median of decision_day - submitted_day",
    "median_days_to_samples": "median of samples_day - submitted_day",
    "grams_share": "share of all grams granted",
    "inventory_used_fraction": "ALL only: grams granted / initial inventory",
    "inventory_reserved_g": "ALL only: grams held in reserve at the end",
    "merit_efficiency": "ALL only: share of the top-m true-merit proposals among the m approved",
    "fairness_index": "ALL only: Jain's index of approval rates across applying countries",
}


@attrs.frozen
class SimulationResult:
    """One run's tables (pandas DataFrames) and what produced them."""

    scenario: str
    variant: str
    seed: int
    replication: int
    start_date: dt.date
    proposals: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame
    inventory: pd.DataFrame
    rules: pd.DataFrame
    initial_grams: dict[str, float]
    n_events: int = 0
    reviews: pd.DataFrame = attrs.field(factory=pd.DataFrame)


def _dates(start: dt.date, days: np.ndarray) -> pd.Series:
    base = np.datetime64(start.isoformat(), "s")
    secs = np.where(np.isnan(days), 0, np.round(days * 86400)).astype("int64")
    out = base + secs.astype("timedelta64[s]")
    out = np.where(np.isnan(days), np.datetime64("NaT"), out)
    return pd.Series(out.astype("datetime64[s]"))


def _proposals(w: World) -> pd.DataFrame:
    tr, p, sc, apps = w.trace, w.props, w.sc, w.applicants
    n = w.n
    calls = [c.name for c in sc.calls]
    counters: dict[int, int] = {}
    ids = []
    for c in p.call:
        counters[c] = counters.get(c, 0) + 1
        ids.append(f"P{c + 1}-{counters[c]:04d}")
    cols: dict[str, Any] = {
        "proposal_id": ids,
        "call": [calls[c] for c in p.call],
        "institution": [apps[a].name for a in p.applicant],
        "country": w.country_of,
        "kind": [apps[a].kind for a in p.applicant],
        "funders": [";".join(apps[a].funders) for a in p.applicant],
        "team_countries": [";".join(sorted(x)) for x in p.team_countries],
    }
    days = {s: np.asarray(tr.days[s], dtype=float) for s in STAGES}
    for s in STAGES:
        cols[f"{s}_day"] = days[s]
    cols["submitted_date"] = _dates(sc.start_date, days["submitted"])
    cols["decision_date"] = _dates(sc.start_date, days["decision"])
    cols["samples_date"] = _dates(sc.start_date, days["samples"])
    cols["days_to_decision"] = days["decision"] - days["submitted"]
    cols["days_to_samples"] = days["samples"] - days["submitted"]
    cols["state"] = pd.Categorical(tr.state, categories=list(TERMINAL_STATES))
    cols["reason"] = tr.reason
    cols["conditions"] = tr.conditions
    cols["destructive"] = p.destructive
    cols["merit"] = p.merit
    cols["review_score"] = tr.review_score
    cols["final_score"] = tr.final_score
    cols["review_wait_days"] = tr.review_wait
    cols["rule_delay_days"] = tr.rule_delay
    cols["grams_requested"] = p.requested.sum(axis=1) if n else np.zeros(0)
    cols["grams_awarded"] = w.awarded
    cols["grams_granted"] = tr.granted.sum(axis=1) if n else np.zeros(0)
    for t, name in enumerate(sc.sample_types):
        cols[f"requested_g:{name}"] = p.requested[:, t]
        cols[f"granted_g:{name}"] = tr.granted[:, t]
    return pd.DataFrame(cols)


def _events(w: World, ids: list[str]) -> pd.DataFrame:
    tr = w.trace
    ev_i, ev_day, kind, name, detail, grams = (
        zip(*tr.events, strict=True) if tr.events else ((),) * 6
    )
    idx = np.asarray(ev_i, dtype=np.int64)
    id_arr = np.asarray([*ids, ""], dtype=object)
    days = np.asarray(ev_day, dtype=float)
    df = pd.DataFrame(
        {
            "proposal_id": id_arr[idx] if len(idx) else np.zeros(0, dtype=object),
            "day": days,
            "date": _dates(w.sc.start_date, days),
            # Few distinct values in millions of rows: categoricals are smaller and faster.
            "kind": pd.Categorical(kind),
            "name": pd.Categorical(name),
            "detail": pd.Categorical(detail),
            "grams": np.asarray(grams, dtype=float),
        }
    )
    # Stable sort by time keeps each proposal's own order of equal-time events.
    return df.sort_values("day", kind="stable", ignore_index=True)


def _reviews(w: World, ids: list[str]) -> pd.DataFrame:
    """One row per review started, in the order reviewers took them (see REVIEW_COLUMNS)."""
    tr = w.trace
    i = np.asarray(tr.rv_i, dtype=np.int64)
    j = np.asarray(tr.rv_j, dtype=np.int64)
    rid = np.asarray(tr.rv_rid, dtype=np.int64)
    end = np.asarray(tr.rv_end, dtype=float)
    score = w.review_scores[i, j] if len(i) else np.zeros(0)
    return pd.DataFrame(
        {
            "proposal_id": np.asarray(ids, dtype=object)[i] if len(i) else np.zeros(0, object),
            "review": j + 1,
            "reviewer_id": rid,
            "reviewer_country": np.asarray(w.pool.country_of, dtype=object)[rid]
            if len(i)
            else np.zeros(0, object),
            "start_day": np.asarray(tr.rv_start, dtype=float),
            "end_day": end,
            "score": np.where(np.isnan(end), np.nan, score),
        }
    )


def _inventory(w: World) -> pd.DataFrame:
    log = np.asarray(w.inventory.log, dtype=float).reshape(-1, 6)
    names = np.asarray(w.inventory.names, dtype=object)
    return pd.DataFrame(
        {
            "day": log[:, 0],
            "sample_type": names[log[:, 1].astype(int)],
            "remaining_g": log[:, 2],
            "reserved_g": log[:, 3],
            "on_loan_g": log[:, 4],
            "consumed_g": log[:, 5],
        }
    )


RULE_COLUMNS = (
    "rule", "gate", "effect", "applied", "passed", "conditioned", "blocked", "mean_delay_days",
)  # fmt: skip


def _rules(w: World) -> pd.DataFrame:
    rows = []
    for r in w.sc.rules:
        applied, passed, cond, blocked, delay_sum, n_delay = w.trace.rule_stats.get(
            r.name, (0, 0, 0, 0, 0.0, 0)
        )
        rows.append(
            (r.name, r.gate, r.effect, applied, passed, cond, blocked,
             delay_sum / n_delay if n_delay else 0.0)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(RULE_COLUMNS))


def _jain(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    if len(x) == 0 or not np.any(x > 0):
        return float("nan")
    return float(x.sum() ** 2 / (len(x) * (x**2).sum()))


_COUNT_COLUMNS = (
    "submitted", "screened_out", "blocked", "blocked_after_approval", "cleared", "reviewed",
    "shortlisted", "approved", "delivered", "pending",
)  # fmt: skip


def _median(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def summarize(
    proposals: pd.DataFrame,
    countries: list[str],
    initial_grams: float,
    reserved_g: float = 0.0,
) -> pd.DataFrame:
    """Per-country and ``ALL`` summary of a proposals table (see ``SUMMARY_COLUMNS``).

    Countries in ``countries`` with no proposals get rows of zeros, so tables of many runs
    line up. Pure numpy: this runs once per replication in sweeps of thousands.
    """
    df = proposals
    state = np.asarray(df["state"].astype(str))
    approved = df["grams_awarded"].to_numpy() > 0
    blocked = state == "blocked"
    flags = {
        "submitted": np.ones(len(df), dtype=bool),
        "screened_out": (state == "incomplete") | (state == "ineligible"),
        "blocked": blocked,
        "blocked_after_approval": blocked & approved,
        "cleared": ~np.isnan(df["cleared_day"].to_numpy()),
        "reviewed": ~np.isnan(df["reviewed_day"].to_numpy()),
        "shortlisted": ~np.isnan(df["shortlisted_day"].to_numpy()),
        "approved": approved,
        "delivered": state == "delivered",
        "pending": state == "pending",
    }
    req = df["grams_requested"].to_numpy()
    granted = df["grams_granted"].to_numpy()
    dd = df["days_to_decision"].to_numpy()
    ds = df["days_to_samples"].to_numpy()
    country = np.asarray(df["country"], dtype=object)
    names = sorted(set(countries) | set(country.tolist()))
    code = {c: k for k, c in enumerate(names)}
    idx = np.fromiter((code[c] for c in country), dtype=np.int64, count=len(country))
    k = len(names)
    cols: dict[str, np.ndarray] = {"country": np.asarray([*names, "ALL"], dtype=object)}
    for name in _COUNT_COLUMNS:
        per = np.bincount(idx, weights=flags[name], minlength=k).astype(np.int64)
        cols[name] = np.append(per, int(flags[name].sum()))
    cols["grams_requested"] = np.append(np.bincount(idx, weights=req, minlength=k), req.sum())
    cols["grams_granted"] = np.append(np.bincount(idx, weights=granted, minlength=k), granted.sum())
    cols["median_days_to_decision"] = np.array(
        [_median(dd[idx == j]) for j in range(k)] + [_median(dd)]
    )
    cols["median_days_to_samples"] = np.array(
        [_median(ds[idx == j]) for j in range(k)] + [_median(ds)]
    )
    sub = cols["submitted"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["approval_rate"] = np.where(sub > 0, cols["approved"] / sub, np.nan)
        g_all = float(granted.sum())
        cols["grams_share"] = cols["grams_granted"] / g_all if g_all > 0 else np.full(k + 1, np.nan)
    extra = {c: np.full(k + 1, np.nan) for c in (
        "inventory_used_fraction", "inventory_reserved_g", "merit_efficiency", "fairness_index"
    )}  # fmt: skip
    extra["inventory_used_fraction"][k] = g_all / initial_grams if initial_grams else np.nan
    extra["inventory_reserved_g"][k] = reserved_g
    m = int(approved.sum())
    if m:
        top = np.argsort(-df["merit"].to_numpy(), kind="stable")[:m]
        extra["merit_efficiency"][k] = approved[top].sum() / m
    extra["fairness_index"][k] = _jain(cols["approval_rate"][:k][sub[:k] > 0])
    cols.update(extra)
    return pd.DataFrame({c: cols[c] for c in SUMMARY_COLUMNS})


def build_result(w: World) -> SimulationResult:
    """Turn a finished :class:`World` into a :class:`SimulationResult`."""
    props = _proposals(w)
    ids = list(props["proposal_id"])
    events = _events(w, ids)
    inv = _inventory(w)
    initial = {s.name: s.grams for s in w.sc.inventory}
    countries = sorted({a.country for a in w.applicants})
    summary = summarize(props, countries, sum(initial.values()), float(w.inventory.reserved.sum()))
    return SimulationResult(
        scenario=w.sc.name,
        variant=w.sc.variant,
        seed=w.seed,
        replication=w.replication,
        start_date=w.sc.start_date,
        proposals=props,
        events=events,
        summary=summary,
        inventory=inv,
        rules=_rules(w),
        initial_grams=initial,
        n_events=w.n_events,
        reviews=_reviews(w, ids),
    )
