"""The metric functions on a small hand-built run record, and one summary for simulate() and
the experiment workers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samplesim
from helpers import FLAGSHIP, minimal_raw, valid_scenarios
from samplesim.metrics import ALL_ONLY, METRICS, RunView, long_rows, summarize
from samplesim.model import RunRecord, run_world
from samplesim.model.record import InventoryRecord, ReviewRecord
from samplesim.outcomes import SUMMARY_COLUMNS, summary_frame
from samplesim.scenario import build_scenario
from samplesim.stages import STAGE_NAMES

NAN = float("nan")


def make_record(
    country: list[str],
    *,
    applicant_countries: tuple[str, ...] = (),
    state: list[str] | None = None,
    awarded: list[float] | None = None,
    granted: list[float] | None = None,
    requested: list[list[float]] | None = None,
    merit: list[float] | None = None,
    days: dict[str, list[float]] | None = None,
    initial: tuple[float, ...] = (3.0, 1.0),
    reserved: tuple[float, ...] = (0.0, 0.0),
    from_waiting_list: list[bool] | None = None,
    review_counts: dict[str, list[int]] | None = None,
    reviewers: list[int] | None = None,
) -> RunRecord:
    """A run record with ``len(country)`` rows; unset columns are neutral."""
    n = len(country)
    zeros = np.zeros(n)
    req = np.asarray(requested, dtype=float) if requested else np.zeros((n, 2))
    gr = np.zeros((n, 2))
    if granted:
        gr[:, 0] = granted
    d = {s: np.full(n, np.nan) for s in STAGE_NAMES}
    d["submitted"] = np.zeros(n)  # every row was submitted unless ``days`` says otherwise
    for s, v in (days or {}).items():
        d[s] = np.asarray(v, dtype=float)
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    counts = {k: np.asarray(v, dtype=np.int64) for k, v in (review_counts or {}).items()}
    rid = np.asarray(reviewers or [], dtype=np.int64)
    nan_r = np.full(len(rid), np.nan)
    return RunRecord(
        scenario=build_scenario(minimal_raw()),
        seed=0,
        replication=0,
        n=n,
        proposal=np.arange(n),
        attempt=np.zeros(n, dtype=np.int64),
        call=np.zeros(n, dtype=np.int64),
        applicant=np.zeros(n, dtype=np.int64),
        country=np.asarray(country, dtype=object),
        merit=np.asarray(merit, dtype=float) if merit else zeros,
        requested=req,
        destructive=np.zeros(n, dtype=bool),
        team_countries=tuple(frozenset([c]) for c in country),
        days=d,
        state=np.asarray(state or ["pending"] * n, dtype=object),
        reason=np.full(n, "", dtype=object),
        conditions=np.full(n, "", dtype=object),
        review_score=np.full(n, np.nan),
        final_score=np.full(n, np.nan),
        review_wait=np.full(n, np.nan),
        rule_delay=zeros,
        awarded=np.asarray(awarded, dtype=float) if awarded else zeros,
        granted=gr,
        reviews=ReviewRecord(rid * 0, rid * 0, rid, nan_r, nan_r, nan_r, ())
        if reviewers
        else ReviewRecord(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, ()),
        events=[],
        inventory=InventoryRecord(("rock", "dust"), initial, np.asarray(reserved), []),
        rule_stats={},
        applicants=(),
        applicant_countries=applicant_countries,
        n_events=0,
        condition_delay=zeros,
        from_waiting_list=np.asarray(from_waiting_list or [False] * n, dtype=bool),
        rule_withdrew={},
        **counts,
    )


def five() -> RunRecord:
    """Five proposals from US and FR; DE applies but submitted nothing."""
    return make_record(
        ["US", "US", "FR", "FR", "US"],
        applicant_countries=("DE", "FR", "US"),
        state=["delivered", "declined", "blocked", "incomplete", "pending"],
        awarded=[1.0, 0.0, 0.5, 0.0, 0.0],  # FR's grant was withdrawn (blocked after approval)
        granted=[1.0, 0.0, 0.0, 0.0, 0.0],
        requested=[[1, 0], [0.5, 0.5], [0.5, 0], [0, 1], [2, 0]],
        merit=[2.0, 1.0, 0.5, -1.0, 0.0],
        days={
            "submitted": [0, 0, 10, 10, 20],
            "cleared": [5, 5, 15, NAN, 25],
            "reviewed": [30, 30, 40, NAN, NAN],
            "shortlisted": [50, 50, 50, NAN, NAN],
            "decision": [60, 60, 60, NAN, NAN],
            "samples": [100, NAN, NAN, NAN, NAN],
        },
        initial=(3.0, 1.0),
        reserved=(0.25, 0.25),
        review_counts={
            "invitations": [3, 2, 1, 0, 0],
            "declines": [1, 0, 0, 0, 0],
            "late_reviews": [0, 1, 0, 0, 0],
            "unassigned_reviews": [0, 1, 2, 0, 0],
        },
        reviewers=[0, 1, 1, 2],
    )


#: The expected values for five(), labels DE, FR, US, ALL.
EXPECTED: dict[str, list[float]] = {
    "submitted": [0, 2, 3, 5],
    "deterred": [0, 0, 0, 0],
    "screened_out": [0, 1, 0, 1],
    "blocked": [0, 1, 0, 1],
    "blocked_after_approval": [0, 1, 0, 1],
    "withdrawn": [0, 0, 0, 0],
    "withdrawn_after_approval": [0, 1, 0, 1],  # the blocked one counts
    "cleared": [0, 1, 3, 4],
    "reviewed": [0, 1, 2, 3],
    "shortlisted": [0, 1, 2, 3],
    "approved": [0, 1, 1, 2],
    "approved_from_waiting_list": [0, 0, 0, 0],
    "signed_at_decision": [0, 0, 0, 0],  # no agreement day in five()
    "delivered": [0, 0, 1, 1],
    "pending": [0, 0, 1, 1],
    "grams_requested": [0, 1.5, 4.0, 5.5],
    "grams_granted": [0, 0, 1.0, 1.0],
    "approval_rate": [NAN, 0.5, 1 / 3, 0.4],
    "median_days_to_decision": [NAN, 50, 60, 60],  # NaN days are skipped
    "median_days_to_samples": [NAN, NAN, 100, 100],
    "grams_share": [0, 0, 1, 1],
    "inventory_used_fraction": [NAN, NAN, NAN, 0.25],
    "inventory_reserved_g": [NAN, NAN, NAN, 0.5],
    # top-2 merit: rows 0 and 1; approved: rows 0 and 2
    "merit_efficiency": [NAN, NAN, NAN, 0.5],
    # Jain's index of FR 1/2 and US 1/3 (DE submitted nothing: left out)
    "fairness_index": [NAN, NAN, NAN, 25 / 26],
    "review_invitations": [0, 1, 5, 6],
    "review_declines": [0, 0, 1, 1],
    "decline_rate": [NAN, 0, 0.2, 1 / 6],  # DE issued none
    "late_reviews": [0, 0, 1, 1],
    "unassigned_reviews": [0, 2, 1, 3],
    "max_reviewer_load": [NAN, NAN, NAN, 2],  # reviewer 1 took two
}


def test_every_metric_has_a_known_answer():
    assert set(EXPECTED) == set(METRICS)


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_on_a_hand_built_record(name):
    view = RunView(five())
    assert view.labels == ["DE", "FR", "US", "ALL"]
    np.testing.assert_allclose(view[name], EXPECTED[name], rtol=1e-12, equal_nan=True)


def test_summarize_labels_and_values():
    labels, values = summarize(five())
    assert labels == ["DE", "FR", "US", "ALL"]
    assert list(values) == list(METRICS)
    for name in ALL_ONLY:
        assert np.isnan(values[name][:-1]).all()


def test_deterred_rows_count_as_deterred_not_submitted():
    """A row a deterrence rule prevented (state deterred, never submitted) counts in
    ``deterred`` only: not in ``submitted``, nor in the approval rate's denominator."""
    rec = make_record(
        ["US", "US", "FR"],
        state=["delivered", "deterred", "declined"],
        awarded=[1.0, 0.0, 0.0],
        days={"submitted": [0, NAN, 3]},
    )
    view = RunView(rec)
    assert view.labels == ["FR", "US", "ALL"]
    assert view["submitted"].tolist() == [1, 1, 2]
    assert view["deterred"].tolist() == [0, 1, 1]
    assert view["approval_rate"].tolist() == [0.0, 1.0, 0.5]


def test_signed_at_decision_counts_agreements_on_the_decision_day():
    """An agreement stamped on the decision's calendar day counts; a later one, or none
    (not reached: NaN), does not."""
    rec = make_record(
        ["FR", "FR", "US", "US", "DE"],
        days={
            "decision": [540, 540, 540, 540, NAN],
            "agreement": [540, 540.5, 603.2, NAN, NAN],
        },
    )
    view = RunView(rec)
    assert view.labels == ["DE", "FR", "US", "ALL"]
    assert view["signed_at_decision"].tolist() == [0, 2, 0, 2]


def test_no_proposals_gives_zero_counts_and_nan_rates():
    labels, v = summarize(make_record([], applicant_countries=("FR", "US")))
    assert labels == ["FR", "US", "ALL"]
    assert v["submitted"].tolist() == [0, 0, 0] and v["approved"].tolist() == [0, 0, 0]
    for name in ("approval_rate", "grams_share", "median_days_to_decision"):
        assert np.isnan(v[name]).all(), name
    assert np.isnan(v["merit_efficiency"][-1]) and np.isnan(v["fairness_index"][-1])
    assert v["inventory_used_fraction"][-1] == 0.0


@pytest.mark.parametrize(
    ("approved", "expected"),
    [([1, 1, 1], 1.0), ([1, 0, 0], 1 / 3), ([0, 0, 0], NAN), ([2, 1, 0], 0.6)],
)
def test_fairness_is_jains_index_of_approval_rates(approved, expected):
    country = ["AA", "AA", "BB", "BB", "CC", "CC"]
    awarded = [0.0] * 6
    for k, a in enumerate(approved):
        for j in range(a):
            awarded[2 * k + j] = 1.0
    got = RunView(make_record(country, awarded=awarded))["fairness_index"][-1]
    np.testing.assert_allclose(got, expected, equal_nan=True)


def test_merit_efficiency_ranks_by_true_merit_stably():
    rec = make_record(["AA"] * 4, merit=[1.0, 3.0, 3.0, 0.0], awarded=[0, 1, 0, 1])
    # m = 2 approved; the top two by merit are rows 1 and 2 (ties kept in row order)
    assert RunView(rec)["merit_efficiency"][-1] == 0.5


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["AA", "BB", "CC"]),
            st.one_of(st.just(NAN), st.floats(-1e6, 1e6), st.sampled_from([0.0, 1.5, 7.0])),
        ),
        max_size=30,
    )
)
def test_grouped_median_is_numpys_median_of_each_group(rows):
    country = [c for c, _ in rows]
    x = np.array([v for _, v in rows], dtype=float)
    view = RunView(make_record(country, applicant_countries=("AA", "BB", "CC")))
    got = view.median(x)
    groups = [x[np.asarray(country, dtype=object) == c] for c in ("AA", "BB", "CC")] + [x]
    for g, value in zip(groups, got, strict=True):
        g = g[~np.isnan(g)]
        want = np.median(g) if len(g) else NAN
        assert (np.isnan(want) and np.isnan(value)) or value == want  # bit for bit


def test_summary_frame_is_the_summary_table():
    df = summary_frame(five())
    assert list(df.columns) == list(SUMMARY_COLUMNS)
    assert df["country"].tolist() == ["DE", "FR", "US", "ALL"]
    assert df["approved"].dtype == np.int64 and df["grams_granted"].dtype == np.float64
    assert SUMMARY_COLUMNS["fairness_index"].startswith("ALL only: ")


# --------------------------------------------------------------------------------------------
# simulate() and the experiment workers report the same numbers


def _same(summary: pd.DataFrame, runs: pd.DataFrame) -> None:
    """``runs`` (one replication of the long table) holds exactly ``summary``'s values."""
    got = runs.set_index(["country", "metric"])["value"]
    want: dict[tuple[str, str], Any] = {}
    for row in summary.itertuples(index=False):
        for name in METRICS:
            if row.country == "ALL" or name not in ALL_ONLY:
                want[(row.country, name)] = float(getattr(row, name))
    assert set(got.index) == set(want)
    keys = sorted(want)
    np.testing.assert_array_equal(got.loc[keys].to_numpy(), [want[k] for k in keys])


@pytest.mark.parametrize("variant", ["baseline", "lottery", "country-quota"])
def test_simulate_summary_equals_the_workers_rows_on_the_flagship(variant):
    sc = samplesim.load_scenario(FLAGSHIP, variant=variant)
    res = samplesim.replicate(FLAGSHIP, variant=variant, replications=3, seed=4, executor="serial")
    assert set(res.runs["variant"]) == {variant}
    for r in range(3):
        summary = samplesim.simulate(sc, seed=4, replication=r).summary
        _same(summary, res.runs[res.runs["replication"] == r])


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow])
@given(raw=valid_scenarios(), seed=st.integers(0, 2**16))
def test_simulate_summary_equals_the_workers_rows_on_random_scenarios(raw, seed):
    sc = build_scenario(raw)
    res = samplesim.replicate(sc, replications=1, seed=seed, executor="serial")
    _same(samplesim.simulate(sc, seed=seed).summary, res.runs)
    # and the worker's long rows are metrics.long_rows of the same record
    country, metric, value = long_rows(run_world(sc, seed))
    ref = res.runs.set_index(["country", "metric"])["value"]
    np.testing.assert_array_equal(ref.loc[list(zip(country, metric, strict=True))], value)
