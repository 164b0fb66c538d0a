"""Model invariants, checked on random valid scenarios (hypothesis) and on the flagship."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samplesim
from attempt_checks import check_attempts
from helpers import FLAGSHIP, minimal_raw, valid_scenarios
from samplesim.model.trace import STAGES, TERMINAL_STATES
from samplesim.scenario import Scenario, build_scenario, load_raw, scenario_variants
from samplesim.scenario.agencies import agency_of
from samplesim.scenario.panels import panel_reviews
from samplesim.scenario.resources import n_periods
from samplesim.scenario.routes import conflict_kinds
from samplesim.scenario.schema import Call

TOL = 1e-9
NO_GRAMS = [
    "blocked", "withdrawn", "ineligible", "incomplete", "not_shortlisted", "declined", "deterred",
    "no_full_proposal", "not_invited",
]  # fmt: skip


def _events(res: samplesim.SimulationResult) -> pd.DataFrame:
    """The events table with plain string columns (they may be stored as categoricals)."""
    return res.events.astype({"proposal_id": str, "kind": str, "name": str, "detail": str})


def check_inventory(sc: Scenario, res: samplesim.SimulationResult) -> None:
    inv, props = res.inventory, res.proposals
    initial = {s.name: s.grams for s in sc.inventory}
    assert res.initial_grams == initial
    assert set(inv["sample_type"]) == set(initial)
    assert inv["day"].is_monotonic_increasing
    assert (inv["day"] <= sc.horizon_days + TOL).all()
    renewable = {s.name for s in sc.inventory if s.renewable}  # checked by check_periods
    for t, g0 in initial.items():
        if t in renewable:
            continue
        snaps = inv[inv["sample_type"] == t]
        pools = snaps[["remaining_g", "reserved_g", "on_loan_g", "consumed_g"]]
        # Conservation at every snapshot, no pool negative, never more out than the stock.
        np.testing.assert_allclose(pools.sum(axis=1), g0, rtol=0, atol=TOL)
        assert (pools >= -TOL).all().all()
        assert (snaps["on_loan_g"] + snaps["consumed_g"] <= g0 + TOL).all()
        # The first snapshot is the untouched stock.
        first = snaps.iloc[0]
        assert (first["remaining_g"], first["on_loan_g"], first["consumed_g"]) == (g0, 0, 0)
        # The end state, derived from the proposals table.
        end = snaps.iloc[-1]
        granted = props[f"granted_g:{t}"]
        returned = props["returned_day"].notna()
        destructive = props["destructive"].astype(bool)
        assert end["consumed_g"] == pytest.approx(granted[returned & destructive].sum(), abs=TOL)
        assert end["on_loan_g"] == pytest.approx(granted[~returned].sum(), abs=TOL)
        given_back = granted[returned & ~destructive].sum()
        assert granted.sum() == pytest.approx(
            g0 - end["remaining_g"] - end["reserved_g"] + given_back, abs=TOL
        )
        # Per proposal: never more than requested.
        assert (granted <= props[f"requested_g:{t}"] + TOL).all()
        assert (granted >= 0).all()


def check_periods(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """Renewable resources: per period offered = granted + expired + left at the horizon (left
    only in the last period), periods where the scenario puts them, granted never returned."""
    per, inv, props = res.periods, res.inventory, res.proposals
    for s in sc.inventory:
        rows = per[per["sample_type"] == s.name]
        if not s.renewable:
            assert rows.empty
            continue
        first = s.first_period_day or 0.0
        starts = [first + k * s.period_days for k in range(len(rows))]
        assert starts == pytest.approx(rows["start_day"].tolist())
        assert len(rows) == n_periods(first, s.period_days, sc.horizon_days)
        assert rows["period"].tolist() == list(range(len(rows)))
        assert (rows["offered_g"] == s.per_period).all()
        parts = rows[["granted_g", "expired_g", "left_g"]]
        assert (parts >= -TOL).all().all()
        np.testing.assert_allclose(parts.sum(axis=1), rows["offered_g"], rtol=0, atol=TOL)
        assert (rows["left_g"].iloc[:-1] == 0).all()
        # The log: never more in stock than a period offers; the granted is used up, never back.
        snaps = inv[inv["sample_type"] == s.name]
        assert (snaps["remaining_g"] + snaps["reserved_g"] <= s.per_period + TOL).all()
        pools = snaps[["remaining_g", "reserved_g", "on_loan_g", "consumed_g"]]
        assert (pools >= -TOL).all().all()
        assert snaps["consumed_g"].is_monotonic_increasing
        end = snaps.iloc[-1]
        granted = rows["granted_g"].sum()
        assert end["on_loan_g"] + end["consumed_g"] == pytest.approx(granted, abs=TOL)
        # Each proposal's grant (after any withdrawal) came from its decision's period.
        got = props[f"granted_g:{s.name}"]
        assert got.sum() <= granted + TOL
        ends = [*rows["start_day"].iloc[1:], np.inf]
        for (_, r), stop in zip(rows.iterrows(), ends, strict=True):
            day = props["decision_day"]
            inside = (day >= r["start_day"]) & (day < stop)
            assert got[inside].sum() <= r["granted_g"] + TOL
        assert got[props["decision_day"] < first].sum() == 0


def check_states(res: samplesim.SimulationResult) -> None:
    props, ev = res.proposals, _events(res)
    state = props["state"].astype(str)
    assert state.isin(list(TERMINAL_STATES)).all()
    assert props["proposal_id"].is_unique
    term = ev[ev["kind"] == "terminal"]
    assert term["proposal_id"].is_unique
    assert set(term["proposal_id"]) == set(props["proposal_id"])
    by_id = term.set_index("proposal_id").loc[props["proposal_id"]]
    assert list(by_id["name"]) == list(state)
    # no reason is a missing value (NA) in both tables
    assert list(by_id["detail"].astype(object).fillna("-")) == list(
        props["reason"].astype(object).fillna("-")
    )
    # No grams to proposals that did not get samples.
    assert (props.loc[state.isin(NO_GRAMS), "grams_granted"] == 0).all()
    assert (props.loc[state.isin(["declined", "not_shortlisted"]), "grams_awarded"] == 0).all()
    # A deterred application never entered the workflow: no stage (but its notice of intent,
    # sent before the application: check_intents), no grams, and a reason naming the
    # application-gate rule that deterred it.
    deterred = props[state == "deterred"]
    assert deterred[[f"{s}_day" for s in STAGES if s != "intent"]].isna().all().all()
    assert (deterred["grams_awarded"] == 0).all() and (deterred["rule_delay_days"] == 0).all()
    assert deterred["review_score"].isna().all()
    # Grants equal the award unless a condition's grant_factor cut them (then less).
    cond = ev[ev["kind"] == "condition"]
    cut = set(cond.loc[cond["detail"].str.startswith("grant cut"), "proposal_id"])
    was_cut = props["proposal_id"].isin(cut)
    delivered = props[state == "delivered"]
    assert (delivered["grams_granted"] > 0).all()
    assert delivered["samples_day"].notna().all()
    # A pending proposal holds grams only if it was approved and is still in logistics.
    pend = props[(state == "pending") & (props["grams_granted"] > 0)]
    assert pend["decision_day"].notna().all() and pend["samples_day"].isna().all()
    for held in (delivered, pend):
        whole = ~was_cut[held.index]
        np.testing.assert_allclose(held["grams_granted"][whole], held["grams_awarded"][whole])
        assert (held["grams_granted"] <= held["grams_awarded"] + TOL).all()
        assert (held.loc[~whole, "grams_granted"] < held.loc[~whole, "grams_awarded"]).all()
    # A withdrawn grant (blocked or withdrawn after approval) shows in the events.
    withdrawn = ev[ev["kind"] == "withdrawn"]
    stopped = props.loc[state.isin(["blocked", "withdrawn"]) & (props["grams_awarded"] > 0)]
    assert set(withdrawn["proposal_id"]) == set(stopped["proposal_id"])
    # Approved from a waiting list: granted at a decision, never declined.
    wl = props[props["from_waiting_list"].astype(bool)]
    data_only = wl["state"].astype(str) == "approved_no_material"  # approved, no grams
    assert ((wl["grams_awarded"] > 0) | data_only).all() and wl["decision_day"].notna().all()
    approved_ev = ev[(ev["kind"] == "decision") & (ev["name"] == "approved")]
    from_wl = approved_ev[approved_ev["detail"].str.startswith("from the waiting list")]
    assert set(from_wl["proposal_id"]) == set(wl["proposal_id"])
    data_only = props[state == "approved_no_material"]
    assert set(approved_ev["proposal_id"]) == set(
        props.loc[props["grams_awarded"] > 0, "proposal_id"]
    ) | set(data_only["proposal_id"])
    # Approved with a data-only request: nothing requested, lent or shipped; decided.
    assert (data_only[["grams_requested", "grams_awarded", "grams_granted"]] == 0).all().all()
    assert data_only["decision_day"].notna().all()
    assert data_only[["agreement_day", "shipped_day", "samples_day"]].isna().all().all()
    assert not approved_ev["proposal_id"].duplicated().any()


def check_times(sc: Scenario, res: samplesim.SimulationResult) -> None:
    props, ev = res.proposals, _events(res)
    days = props[[f"{s}_day" for s in STAGES]].to_numpy()
    # Every row was submitted but those a deterrence rule prevented and notices of intent
    # not followed by a full proposal.
    never = props["state"].astype(str).isin(["deterred", *INTENT_ENDS])
    assert (props["submitted_day"].notna() == ~never).all()
    for row in days:
        seen = row[~np.isnan(row)]
        assert np.all(np.diff(seen) >= 0), row
    assert (np.nan_to_num(days, nan=0.0) <= sc.horizon_days + TOL).all()
    for ci, call in enumerate(sc.calls):
        sub = props.loc[props["call"] == call.name, "submitted_day"].dropna()  # not deterred
        assert ((sub >= call.open_day) & (sub <= call.close_day)).all(), ci
    assert ev["day"].is_monotonic_increasing
    for _pid, days_of in ev[ev["proposal_id"].notna()].groupby("proposal_id")["day"]:
        assert days_of.is_monotonic_increasing
    # Every stage event matches the proposals table's stage column (review_start has none).
    stages = ev[ev["kind"] == "stage"]
    assert not stages.duplicated(["proposal_id", "name"]).any()
    table = props.set_index("proposal_id")
    for stage in STAGES:
        col = f"{stage}_day"
        s_ev = stages[stages["name"] == stage].set_index("proposal_id")["day"]
        if stage == "review_start":
            assert s_ev.empty
            continue
        reached = table[col].dropna()
        assert set(s_ev.index) == set(reached.index), stage
        np.testing.assert_array_equal(s_ev.sort_index(), reached.sort_index())


def check_rules(sc: Scenario, res: samplesim.SimulationResult) -> None:
    props, ev = res.proposals, _events(res)
    table = props.set_index("proposal_id")
    rule_ev = ev[ev["kind"] == "rule"]
    names = [r.name for r in sc.rules]
    assert set(rule_ev["name"]) <= set(names)
    assert set(ev.loc[ev["kind"] == "rule_wait", "name"]) <= set(names)
    outcome = rule_ev["detail"].str.split(": ").str[1]
    assert outcome.isin(["pass", "block", "condition"]).all()
    gate = rule_ev["detail"].str.split(": ").str[0]
    by_name = {r.name: r for r in sc.rules}
    assert (gate == rule_ev["name"].map(lambda n: by_name[n].gate)).all()
    # The rules table counts exactly these events.
    rt = res.rules.set_index("rule")
    assert list(rt.index) == names
    for r in sc.rules:
        mine = rule_ev[rule_ev["name"] == r.name]
        o = outcome[mine.index]
        assert rt.loc[r.name, "applied"] == len(mine)
        assert rt.loc[r.name, "blocked"] == (o == "block").sum()
        assert rt.loc[r.name, "conditioned"] == (o == "condition").sum()
        assert rt.loc[r.name, "passed"] == (o == "pass").sum()
        if r.effect == "ban":
            assert (o == "block").all()
        if r.effect == "condition":
            assert (o == "condition").all()
        # Each rule only touched proposals its selector selects.
        who = table.loc[mine["proposal_id"]]
        if r.selector.countries:
            assert who["country"].isin(r.selector.countries).all()
        if r.selector.sample_types:
            cols = [f"requested_g:{t}" for t in r.selector.sample_types]
            assert (who[cols].sum(axis=1) > 0).all()
        assert not mine.duplicated("proposal_id").any()  # a rule applies once per proposal
        # ... and only proposals to calls of its agency.
        calls = {c.name for c in sc.calls if agency_of(sc, c) == agency_of(sc, r)}
        assert who["call"].isin(calls).all()
    # Blocks and conditions are explained by rule events.
    blocked = props[props["state"].astype(str) == "blocked"]
    for pid, reason in zip(blocked["proposal_id"], blocked["reason"], strict=True):
        mine = rule_ev[rule_ev["proposal_id"] == pid]
        last = mine.iloc[-1]
        assert outcome[last.name] == "block"
        assert reason.startswith(f"{last['name']}: "), (reason, last["name"])
    blocking = rule_ev[outcome == "block"]
    deterred = props[props["state"].astype(str) == "deterred"]
    assert set(blocking["proposal_id"]) == set(blocked["proposal_id"]) | set(
        deterred["proposal_id"]
    )
    for pid, reason in zip(deterred["proposal_id"], deterred["reason"], strict=True):
        last = rule_ev[rule_ev["proposal_id"] == pid].iloc[-1]
        assert by_name[last["name"]].gate == "application" and outcome[last.name] == "block"
        assert reason.startswith(f"{last['name']}: deterred"), reason
    assert (gate[outcome.index] != "application").all() or (
        rule_ev.loc[gate == "application", "name"].map(lambda n: by_name[n].effect) == "deterrence"
    ).all()
    check_windows_and_shared(sc, res, rule_ev, outcome)
    # Withdrawals: the team withdrew under a condition of the rule its reason names.
    cond = ev[ev["kind"] == "condition"]
    withdrew = cond[cond["detail"].str.startswith("withdrew")]
    gone = props[props["state"].astype(str) == "withdrawn"]
    assert not withdrew["proposal_id"].duplicated().any()
    assert set(withdrew["proposal_id"]) == set(gone["proposal_id"])
    by_pid = withdrew.set_index("proposal_id")
    for pid, reason in zip(gone["proposal_id"], gone["reason"], strict=True):
        name = by_pid.loc[pid, "name"]
        assert reason == f"{name}: {by_pid.loc[pid, 'detail']}"
        assert outcome[rule_ev[rule_ev["proposal_id"] == pid].index[-1]] == "condition"
    for r in sc.rules:
        assert rt.loc[r.name, "withdrew"] == (withdrew["name"] == r.name).sum()
        if not (r.withdraw_probability or r.grant_factor < 1 or r.extra_delay):
            assert not (cond["name"] == r.name).any()
    # Extra delays: condition_delay_days is their sum, cut at the horizon.
    extra = cond[cond["detail"].str.startswith("extra delay")]
    owed = extra["detail"].str.extract(r"waits ([0-9.]+) d")[0].astype(float)
    served = np.minimum(owed, sc.horizon_days - extra["day"]).groupby(extra["proposal_id"]).sum()
    expected = served.reindex(table.index, fill_value=0.0)
    np.testing.assert_allclose(table["condition_delay_days"], expected, atol=1e-3)
    conditioned = set(rule_ev.loc[outcome == "condition", "proposal_id"])
    assert conditioned == set(props.loc[props["conditions"].notna(), "proposal_id"])
    # Rule delays: each rule_wait ends in that rule's decision for the proposal, or the horizon
    # cut it short (the proposal is pending on that rule); rule_delay_days is the time spent
    # waiting, and the rules table's mean delay is that of the waits that ended in a decision.
    waits = ev[ev["kind"] == "rule_wait"]
    keys = zip(rule_ev["proposal_id"], rule_ev["name"], strict=True)
    decided = dict(zip(keys, rule_ev["day"], strict=True))
    spent = dict.fromkeys(table.index, 0.0)
    served: dict[str, list[float]] = {r.name: [] for r in sc.rules}
    for pid, name, day in zip(waits["proposal_id"], waits["name"], waits["day"], strict=True):
        if (pid, name) in decided:
            spent[pid] += decided[pid, name] - day
            served[name].append(decided[pid, name] - day)
        else:
            assert table.loc[pid, "state"] == "pending", (pid, name)
            assert table.loc[pid, "reason"].startswith(
                f"horizon reached while waiting on rule {name} "
            ), (pid, name, table.loc[pid, "reason"])
            spent[pid] += sc.horizon_days - day
    np.testing.assert_allclose(list(spent.values()), table["rule_delay_days"], atol=1e-6)
    has_wait = set(waits["proposal_id"])
    assert set(props.loc[props["rule_delay_days"] > 0, "proposal_id"]) == has_wait
    for name, delays in served.items():
        expected = float(np.mean(delays)) if delays else 0.0
        assert rt.loc[name, "mean_delay_days"] == pytest.approx(expected, abs=1e-6), name


def check_windows_and_shared(
    sc: Scenario, res: samplesim.SimulationResult, rule_ev: pd.DataFrame, outcome: pd.Series
) -> None:
    """A rule touches only proposals reaching its gate in force (from <= day < until); a
    shared (call / run) rule gives one outcome per call / run (per destination for a licence
    with by_country), decided on its resolution day or, after it, at once."""
    ev = _events(res)
    # The day each proposal reached each gate: its first rule or rule_wait event there (the
    # rules in force are those of that day; an earlier rule's wait delays a later rule's
    # event, not the day the proposal reached the gate).
    touched = ev[ev["kind"].isin(["rule", "rule_wait"])]
    gate_of = touched["detail"].str.split(": ").str[0]
    reached = touched.groupby([touched["proposal_id"], gate_of])["day"].min().to_dict()
    waits = ev[ev["kind"] == "rule_wait"]
    arrived = set(zip(waits["proposal_id"], waits["name"], strict=True))  # waited on the rule
    props = res.proposals.set_index("proposal_id")
    rt = res.rules.set_index("rule")
    for r in sc.rules:
        mine = rule_ev[rule_ev["name"] == r.name]
        at = np.array([reached[(pid, r.gate)] for pid in mine["proposal_id"]])
        keys = list(zip(mine["proposal_id"], mine["name"], strict=True))
        lo = -np.inf if r.in_force_from is None else r.in_force_from
        hi = np.inf if r.in_force_until is None else r.in_force_until
        assert ((at >= lo) & (at < hi)).all(), (r.name, at, lo, hi)
        assert rt.loc[r.name, "scope"] == r.scope
        if r.scope == "proposal":
            assert pd.isna(rt.loc[r.name, "shared_outcome"])
            continue
        if mine.empty:
            continue
        who = props.loc[mine["proposal_id"], "call"].to_numpy() if r.scope == "call" else 0
        dest = props.loc[mine["proposal_id"], "country"].to_numpy() if r.by_country else ""
        o = pd.DataFrame({"who": who, "dest": dest, "o": outcome[mine.index].to_numpy()})
        assert (o.groupby(["who", "dest"])["o"].nunique() == 1).all(), r.name
        # Those that waited were all decided on the same (resolution) day, per call / run.
        waited = np.array([k in arrived for k in keys])
        days = pd.DataFrame({"who": who, "dest": dest, "day": mine["day"].to_numpy()})[waited]
        assert (days.groupby(["who", "dest"])["day"].agg(np.ptp) < 1e-9).all(), r.name
        res_day = rt.loc[r.name, "resolution_day"]
        if not np.isnan(res_day):  # one resolution: every decision on or after it
            assert (mine["day"] >= res_day - 1e-9).all()
            assert (outcome[mine.index] == rt.loc[r.name, "shared_outcome"]).all()
            np.testing.assert_allclose(mine["day"][waited], res_day, rtol=0, atol=1e-9)


def check_summary(res: samplesim.SimulationResult) -> None:
    props, summ = res.proposals, res.summary.set_index("country")
    all_row = summ.loc["ALL"]
    state = props["state"].astype(str)
    assert all_row["submitted"] == props["submitted_day"].notna().sum()
    assert all_row["deterred"] == (state == "deterred").sum()
    intents_ended = state.isin(INTENT_ENDS).sum()  # notices of intent only
    assert all_row["submitted"] + all_row["deterred"] + intents_ended == len(props)
    assert all_row["grams_granted"] == pytest.approx(props["grams_granted"].sum())
    per = summ.drop(index="ALL")
    for col in ("submitted", "deterred", "blocked", "approved", "delivered", "pending"):
        assert per[col].sum() == all_row[col]
    assert all_row["delivered"] == (props["state"] == "delivered").sum()
    # An agreement signed on the decision day is an agreement of an approved proposal.
    signed = props["agreement_day"].notna() & (
        np.floor(props["agreement_day"]) == np.floor(props["decision_day"])
    )
    assert per["signed_at_decision"].sum() == all_row["signed_at_decision"] == signed.sum()
    assert all_row["signed_at_decision"] <= all_row["approved"]


def _is_meeting(call: Call, day: float) -> bool:
    d = call.decision
    if day in d.meeting_days:
        return True
    if not d.meeting_every_days:
        return False
    start = d.meeting_days[-1] if d.meeting_days else call.close_day
    if d.first_meeting_day is not None:
        start = d.first_meeting_day
    k = (day - start) / d.meeting_every_days
    return k >= 0 and abs(k - round(k)) < 1e-6


def check_meetings(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """A call with decision meetings decides only on meeting days."""
    props = res.proposals
    for call in sc.calls:
        d = call.decision
        if not (d.meeting_days or d.meeting_every_days):
            continue
        days = props.loc[props["call"] == call.name, "decision_day"].dropna()
        assert all(_is_meeting(call, x) for x in days), (call.name, sorted(set(days)))


#: Terminal states of a notice of intent without a full proposal.
INTENT_ENDS = ("no_full_proposal", "not_invited")


def check_intents(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """Intents arrive between open_day and the intent deadline; full proposals follow only
    after the invitations are known; an intent that ended has no later stage and no grams."""
    props = res.proposals
    state = props["state"].astype(str)
    for call in sc.calls:
        mine = props[props["call"] == call.name]
        it = call.intent
        if it is None:
            assert mine["intent_day"].isna().all()
            assert not state[mine.index].isin(INTENT_ENDS).any()
            continue
        first = mine[mine["attempt"] == 1]  # a resubmission comes as a full proposal
        assert first["intent_day"].notna().all() and mine["intent_day"].notna().sum() == len(first)
        assert first["intent_day"].between(call.open_day, it.deadline_day).all()
        sub = mine["submitted_day"].dropna()
        assert (sub >= it.deadline_day + it.outline_days - 1e-9).all()
        ended = mine[state[mine.index].isin(INTENT_ENDS)]
        later = [f"{s}_day" for s in STAGES if s != "intent"]
        assert ended[later].isna().all().all() and (ended["grams_awarded"] == 0).all()
        if it.review == "none":
            assert not (state[mine.index] == "not_invited").any()
        if it.proceed_probability >= 1:
            assert not (state[mine.index] == "no_full_proposal").any()


def check_request_deadlines(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """No proposal is decided at a meeting less than ``request_deadline_days`` after it was
    submitted (``calls[i].decision.request_deadline_days``)."""
    props = res.proposals
    for call in sc.calls:
        gap = call.decision.request_deadline_days
        if gap is None:
            continue
        mine = props[(props["call"] == call.name) & props["decision_day"].notna()]
        early = mine["decision_day"] - mine["submitted_day"] < gap - 1e-9
        assert not early.any(), mine.loc[early, ["proposal_id", "submitted_day", "decision_day"]]


def check_round_limit(
    sc: Scenario, res: samplesim.SimulationResult, limit: int, missing: pd.Series
) -> None:
    """No reviewer takes more than ``limit`` reviews of one batch call (one round); the
    unassigned count is the reviews the reviewed proposals lack (no deadline: exactly)."""
    rv, props = res.reviews, res.proposals.set_index("proposal_id")
    call = props.loc[rv["proposal_id"], "call"].to_numpy()
    batch = {c.name for c in sc.calls if c.decision.mode != "rolling"}
    in_batch = rv[[c in batch for c in call]].assign(call=[c for c in call if c in batch])
    if len(in_batch):
        assert in_batch.groupby(["call", "reviewer_id"]).size().max() <= limit
    unassigned = res.summary.set_index("country").loc["ALL", "unassigned_reviews"]
    # Rows still in review at the horizon may have unassigned reviews too (at most the ones
    # they lack).
    k = sc.review.reviews_per_proposal
    pending = props["state"].astype(str) == "pending"
    open_rows = props[props["reviewed_day"].isna() & pending].index
    taken = rv.groupby("proposal_id").size().reindex(open_rows).fillna(0)
    if sc.review.deadline_days is None and sc.review.deadline_day is None:
        assert missing.sum() <= unassigned <= missing.sum() + (k - taken).sum()
    else:  # a review not yet taken at the deadline is not asked for any more
        assert unassigned <= missing.sum() + (k - taken).sum()
    none = missing.index[missing == sc.review.reviews_per_proposal]
    assert props.loc[none, "review_score"].isna().all()
    assert props.loc[none, "state"].isin(["not_shortlisted", "pending"]).all()  # or undecided


def _deadline_instants(sc: Scenario, reviewed: pd.DataFrame) -> pd.Series:
    """The day each reviewed proposal's review deadline fell (reviews start when it is
    cleared, or when it passed the feasibility review if there is one)."""
    col = "feasible_day" if "feasible_day" in reviewed and sc.feasibility.enabled else "cleared_day"
    start = reviewed[col]
    rv = sc.review
    ends = []
    if rv.deadline_days is not None:
        ends.append(start + rv.deadline_days)
    if rv.deadline_day is not None:
        ends.append(np.maximum(start, rv.deadline_day))
    return pd.concat(ends, axis=1).min(axis=1) if len(ends) > 1 else ends[0]


def check_panels(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """Several review panels: each panel's reviews are checked as one review of its own, by
    its own reviewers (a block of ids of the panel's size, in panel order)."""
    props, rv = res.proposals, res.reviews
    panel_of = props.set_index("proposal_id").loc[rv["proposal_id"], "panel"].to_numpy()
    assert (rv["panel"].to_numpy() == panel_of).all()
    start = 0
    for prv, pn in zip(panel_reviews(sc.review), sc.review.panels, strict=True):
        mine = rv[rv["panel"] == pn.name]
        assert mine["reviewer_id"].between(start, start + prv.reviewers - 1).all()
        start += prv.reviewers
        sub = attrs.evolve(sc, review=prv)
        check_reviews(sub, _replace(res, proposals=props[props["panel"] == pn.name], reviews=mine))
    assert props["panel"].notna().all()


def check_reviews(sc: Scenario, res: samplesim.SimulationResult) -> None:
    if sc.review.panels:
        check_panels(sc, res)
        return
    rv, props = res.reviews, res.proposals.set_index("proposal_id")
    # k distinct reviewers per proposal, none from the lead's country under conflict of interest
    assert not rv.duplicated(["proposal_id", "reviewer_id"]).any()
    assert not rv.duplicated(["proposal_id", "review"]).any()
    kinds = conflict_kinds(sc.review)
    if "country" in kinds:
        lead = props.loc[rv["proposal_id"], "country"].to_numpy()
        assert not (rv["reviewer_country"].to_numpy() == lead).any()
    if {"institution", "team"} & set(kinds) and "reviewer_institution" in rv:  # never the lead's
        lead_inst = props.loc[rv["proposal_id"], "institution"].to_numpy()
        assert not (rv["reviewer_institution"].to_numpy() == lead_inst).any()
    reviewed = props[props["reviewed_day"].notna()]
    g = rv.groupby("proposal_id")
    size = g.size().reindex(reviewed.index)
    last = g["end_day"].max().reindex(reviewed.index)
    k = sc.review.reviews_per_proposal
    has_deadline = sc.review.deadline_days is not None or sc.review.deadline_day is not None
    deadline = _deadline_instants(sc, reviewed) if has_deadline else None
    limit = sc.review.max_reviews_per_round
    if limit is not None:  # reviews nobody could take are unassigned, the others all counted
        check_round_limit(sc, res, limit, k - size.fillna(0))
    if limit is not None and deadline is None:
        assert (size.fillna(0) <= k).all()
        some = size.notna()
        assert (last[some] <= reviewed["reviewed_day"][some] + 1e-9).all()
    elif deadline is None:
        assert (size == k).all()
        np.testing.assert_allclose(last, reviewed["reviewed_day"])
    elif limit is not None:
        assert (size.fillna(0) <= k).all()
    else:  # all in; or the deadline with some in hand; or, with none by then, the first one
        assert (size <= k).all()
        first = g["end_day"].min().reindex(reviewed.index)
        day = reviewed["reviewed_day"]
        on_time = np.isclose(day, last) | np.isclose(day, deadline) | np.isclose(day, first)
        assert on_time.all()
    # The review score is the mean of the reviews in by the time the panel went ahead.
    in_time = rv[rv["end_day"] <= props.loc[rv["proposal_id"], "reviewed_day"].to_numpy() + 1e-9]
    mean = in_time.groupby("proposal_id")["score"].mean().reindex(reviewed.index)
    np.testing.assert_allclose(mean, reviewed["review_score"], rtol=1e-9, atol=1e-9)
    # No reviewer holds more than `load` reviews at once (an end frees the slot at that instant).
    for _rid, mine in rv.groupby("reviewer_id"):
        ends = mine["end_day"].fillna(np.inf).to_numpy()
        steps = sorted([(d, 1) for d in mine["start_day"]] + [(d, -1) for d in ends])
        distributed = sc.review.source == "distributed"  # m reviews per applicant in all
        limit = sc.review.reviews_per_applicant if distributed else sc.review.load
        assert np.cumsum([s for _, s in steps]).max() <= limit


def check_all(sc: Scenario, res: samplesim.SimulationResult) -> None:
    check_inventory(sc, res)
    check_periods(sc, res)
    check_states(res)
    check_times(sc, res)
    check_rules(sc, res)
    check_summary(res)
    check_meetings(sc, res)
    check_reviews(sc, res)
    check_calls(sc, res)
    check_request_deadlines(sc, res)
    check_intents(sc, res)
    check_attempts(sc, res)


def check_calls(sc: Scenario, res: samplesim.SimulationResult) -> None:
    """The per-call table adds up to the summary and agrees with the proposals table."""
    calls, props = res.calls, res.proposals
    assert list(calls["call"]) == [c.name for c in sc.calls]
    all_row = res.summary.set_index("country").loc["ALL"]
    for col in ("submitted", "approved", "grams_granted"):
        assert calls[col].sum() == pytest.approx(all_row[col], abs=TOL), col
    assert (calls["approved"] <= calls["submitted"]).all()
    assert (calls["awardee_countries"] <= calls["applicant_countries"]).all()
    rate = calls["acceptance_rate"]
    assert rate[calls["submitted"] > 0].between(0, 1).all()
    assert rate[calls["submitted"] == 0].isna().all()
    close = {c.name: c.close_day for c in sc.calls}
    rolling = {c.name: c.decision.mode == "rolling" for c in sc.calls}
    data_only = props["state"].astype(str) == "approved_no_material"
    approved = props[(props["grams_awarded"] > 0) | data_only]
    for _, row in calls.iterrows():
        mine = approved[approved["call"] == row["call"]]
        # A rolling call times each request from its arrival; a batch call from close_day.
        start = mine["submitted_day"] if rolling[row["call"]] else close[row["call"]]
        want = (mine["decision_day"] - start).median()
        got = row["median_days_deadline_to_decision"]
        assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want, abs=TOL)
        assert np.isnan(got) or got >= -TOL  # never decided before its deadline
        theirs = props[(props["call"] == row["call"]) & props["submitted_day"].notna()]
        resub = int((theirs["attempt"] > 1).sum())  # a deterred resubmission is not submitted
        assert row["resubmitted"] == resub
        awardees = sorted(set(mine["country"]))
        assert row["awardee_countries"] == len(awardees)
        assert str(row["awardee_country_list"] or "") == ";".join(awardees)


# Drawing an example runs the real validator; its cost is not a problem of the strategy.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(valid_scenarios(), st.integers(0, 2**32 - 1))
def test_invariants_on_random_scenarios(raw, seed):
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=seed)
    check_all(sc, res)


@pytest.mark.parametrize("variant", ["baseline", *scenario_variants(load_raw(FLAGSHIP))])
def test_invariants_on_the_flagship(variant):
    sc = samplesim.load_scenario(FLAGSHIP, variant=variant)
    for seed in range(8):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)


def test_invariant_checks_can_fail():
    """The checks are not vacuous: corrupting a result is detected."""
    sc = samplesim.load_scenario(FLAGSHIP)
    res = samplesim.simulate(sc, seed=2)
    check_all(sc, res)
    bad_inv = res.inventory.copy()
    bad_inv.loc[len(bad_inv) - 1, "on_loan_g"] += 0.01
    with pytest.raises(AssertionError):
        check_inventory(sc, _replace(res, inventory=bad_inv))
    bad = res.proposals.copy()
    i = bad.index[bad["state"] == "declined"][0]
    bad.loc[i, "grams_granted"] = 0.1
    with pytest.raises(AssertionError):
        check_states(_replace(res, proposals=bad))
    bad = res.proposals.copy()
    i = bad["decision_day"].first_valid_index()
    bad.loc[i, "reviewed_day"] = bad.loc[i, "decision_day"] + 1
    with pytest.raises(AssertionError):
        check_times(sc, _replace(res, proposals=bad))
    bad = res.proposals.copy()
    i = bad.index[bad["state"] == "blocked"][0]
    bad.loc[i, "reason"] = "some other rule: " + bad.loc[i, "reason"]
    with pytest.raises(AssertionError):
        check_rules(sc, _replace(res, proposals=bad))
    bad = res.reviews.copy()
    bad.loc[1, "reviewer_id"] = bad.loc[0, "reviewer_id"]  # rows 0, 1: one proposal's reviews
    with pytest.raises(AssertionError):
        check_reviews(sc, _replace(res, reviews=bad))


def _replace(res: samplesim.SimulationResult, **tables: pd.DataFrame) -> samplesim.SimulationResult:
    return attrs.evolve(res, **tables)


def test_rule_wait_cut_by_the_horizon_counts_only_the_elapsed_part():
    """A 100-day licence wait that the horizon cuts short counts the days that elapsed, and the
    proposal ends pending with a reason naming the rule it was still waiting on."""
    raw = minimal_raw()
    raw["horizon_days"] = 80.0
    raw["screening"] = {"delay": 5.0}
    raw["rules"] = [
        {
            "name": "slow-licence",
            "gate": "screening",
            "effect": "licence",
            "delay": {"dist": "fixed", "value": 100.0},
        }
    ]
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=3)
    props = res.proposals
    assert len(props) > 0
    elapsed = sc.horizon_days - props["screened_day"]
    assert (elapsed > 0).all() and (elapsed < 100).all()
    np.testing.assert_allclose(props["rule_delay_days"], elapsed)
    assert (props["state"].astype(str) == "pending").all()
    assert set(props["reason"]) == {
        "horizon reached while waiting on rule slow-licence (screening)"
    }
    # No decision was made, so the rules table counts none (and no delay).
    rt = res.rules.set_index("rule").loc["slow-licence"]
    assert (rt["applied"], rt["mean_delay_days"]) == (0, 0.0)
    check_all(sc, res)


def test_tables_built_on_first_access_are_built_once_and_survive_pickling():
    import pickle

    res = samplesim.simulate(FLAGSHIP, seed=3)
    copy = pickle.loads(pickle.dumps(res))  # before any lazy table was built
    for name in ("events", "reviews", "inventory", "rules"):
        first = getattr(res, name)
        assert getattr(res, name) is first  # built once
        pd.testing.assert_frame_equal(getattr(copy, name), first)
    assert len(res.events) and len(res.reviews) and len(res.rules) and len(res.inventory)
