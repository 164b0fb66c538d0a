"""Rules' unit of randomness (scope), windows in force (from / until), deterrence at the
application gate, and export controls as data (controlled items, end-user lists)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import FLAGSHIP, SCENARIOS, minimal_raw, write_scenario
from samplesim.loading import build_scenario
from samplesim.scenario import ScenarioError

matplotlib.use("Agg")

SEEDS = range(20)


def _raw(rule: dict, calls: int = 1) -> dict:
    raw = minimal_raw()
    raw["calls"] = [
        {"name": f"round-{k + 1}", "open_day": 200.0 * k, "close_day": 200.0 * k + 60}
        for k in range(calls)
    ]
    raw["horizon_days"] = 1500.0
    raw["rules"] = [rule]
    return raw


def _cert(**kw) -> dict:
    rule = {
        "name": "cert",
        "gate": "screening",
        "effect": "certification",
        "selector": {"countries": ["US"]},
        "delay": {"dist": "uniform", "low": 10, "high": 150},
        "success_probability": 0.5,
    }
    rule.update(kw)
    return rule


def _rule_events(res: samplesim.SimulationResult, name: str = "cert") -> pd.DataFrame:
    ev = res.events.astype({"proposal_id": str, "kind": str, "name": str, "detail": str})
    ev = ev[(ev["kind"] == "rule") & (ev["name"] == name)].copy()
    ev["outcome"] = ev["detail"].str.split(": ").str[1]
    calls = res.proposals.set_index("proposal_id")["call"]
    ev["call"] = calls.loc[ev["proposal_id"]].to_numpy()
    return ev


def _waited_until(res: samplesim.SimulationResult, name: str = "cert") -> pd.DataFrame:
    """The rule events of proposals that waited (their day is the resolution day)."""
    ev = res.events.astype({"proposal_id": str, "kind": str, "name": str})
    waited = set(ev.loc[(ev["kind"] == "rule_wait") & (ev["name"] == name), "proposal_id"])
    rev = _rule_events(res, name)
    return rev[rev["proposal_id"].isin(waited)]


# --- scope ----------------------------------------------------------------------------------


def test_call_scope_gives_one_outcome_and_one_resolution_per_call():
    sc = build_scenario(_raw(_cert(scope="call"), calls=2))
    differ = 0
    for seed in SEEDS:
        res = samplesim.simulate(sc, seed=seed)
        ev = _rule_events(res)
        assert len(ev) == (res.proposals["country"] == "US").sum()
        per_call = ev.groupby("call")["outcome"].nunique()
        assert (per_call == 1).all(), seed
        waited = _waited_until(res)
        assert (waited.groupby("call")["day"].agg(np.ptp) < 1e-9).all(), seed
        outcomes = ev.groupby("call")["outcome"].first()
        days = waited.groupby("call")["day"].first().round(6)
        if len(outcomes) == 2 and (outcomes.nunique() == 2 or days.nunique() == 2):
            differ += 1
        shared = res.rules.set_index("rule").loc["cert", "shared_outcome"]
        for call, outcome in outcomes.items():
            assert f"{call}: {outcome} (day " in shared or shared == outcome
    assert differ > 0  # each call negotiates on its own


def test_run_scope_gives_one_outcome_for_the_whole_run():
    sc = build_scenario(_raw(_cert(scope="run"), calls=2))
    outcomes_seen = set()
    for seed in SEEDS:
        res = samplesim.simulate(sc, seed=seed)
        ev = _rule_events(res)
        if ev.empty:
            continue
        assert ev["outcome"].nunique() == 1, seed
        days = _waited_until(res)["day"]
        assert days.empty or np.ptp(days) < 1e-9
        row = res.rules.set_index("rule").loc["cert"]
        assert row["scope"] == "run" and row["shared_outcome"] == ev["outcome"].iloc[0]
        # waiters are decided on the resolution day, later arrivals at once
        assert (ev["day"] >= row["resolution_day"] - 1e-9).all()
        np.testing.assert_allclose(_waited_until(res)["day"], row["resolution_day"])
        outcomes_seen.add(ev["outcome"].iloc[0])
    assert outcomes_seen == {"pass", "block"}


def test_proposal_scope_draws_per_proposal_and_is_the_default():
    """Scope "proposal" is samplesim 0.1's behaviour: outcomes differ within a call, and
    writing it out changes nothing."""
    mixed = 0
    default = build_scenario(_raw(_cert()))
    explicit = build_scenario(_raw(_cert(scope="proposal")))
    for seed in SEEDS:
        a, b = samplesim.simulate(default, seed=seed), samplesim.simulate(explicit, seed=seed)
        pd.testing.assert_frame_equal(a.proposals, b.proposals)
        pd.testing.assert_frame_equal(a.events, b.events)
        mixed += _rule_events(a)["outcome"].nunique() > 1
    assert mixed > 0


def test_shared_negotiation_starts_at_from_and_resolves_delay_later():
    """A run-scoped certification in force from day 20 with a fixed 50-day delay resolves on
    day 70: proposals screened before wait until day 70, later ones pass at once."""
    rule = _cert(scope="run", success_probability=1.0, delay=50.0)
    rule["from"] = 20.0
    raw = _raw(rule)
    raw["screening"] = {"delay": {"dist": "uniform", "low": 0, "high": 60}}
    sc = build_scenario(raw)
    before = after = 0
    for seed in range(10):
        res = samplesim.simulate(sc, seed=seed)
        props = res.proposals.set_index("proposal_id")
        for pid, day in zip(*(_rule_events(res)[c] for c in ("proposal_id", "day")), strict=True):
            screened = props.loc[pid, "screened_day"]
            assert screened >= 20
            if screened < 70:
                before += 1
                assert day == pytest.approx(70)
                assert props.loc[pid, "rule_delay_days"] == pytest.approx(70 - screened)
            else:
                after += 1
                assert day == screened and props.loc[pid, "rule_delay_days"] == 0
        if len(_rule_events(res)):
            assert res.rules.set_index("rule").loc["cert", "resolution_day"] == 70
    assert before and after


# --- windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["from", "until"])
def test_rule_in_force_only_inside_its_window(key):
    """With from = 30 (until = 30) only proposals reaching the gate on or after (before)
    day 30 meet the rule; the others are untouched: no rule event, no delay."""
    rule = _cert()
    rule[key] = 30.0
    raw = _raw(rule)
    raw["screening"] = {"delay": 0.0}
    sc = build_scenario(raw)
    inside = outside = 0
    for seed in range(10):
        res = samplesim.simulate(sc, seed=seed)
        p = res.proposals
        us = p[p["country"] == "US"]
        touched = set(_rule_events(res)["proposal_id"])
        waits = res.events[res.events["kind"].astype(str) == "rule_wait"]
        in_force = us["screened_day"] >= 30 if key == "from" else us["screened_day"] < 30
        assert set(us.loc[in_force, "proposal_id"]) <= touched | set(waits["proposal_id"])
        untouched = us.loc[~in_force]
        assert not set(untouched["proposal_id"]) & (touched | set(waits["proposal_id"].astype(str)))
        assert (untouched["rule_delay_days"] == 0).all()
        inside += in_force.sum()
        outside += (~in_force).sum()
    assert inside and outside


def test_dates_are_accepted_for_from_and_until():
    import datetime as dt

    rule = _cert()
    rule["from"] = dt.date(2024, 1, 31)
    rule["until"] = dt.date(2024, 3, 1)
    sc = build_scenario(_raw(rule))
    assert (sc.rules[0].in_force_from, sc.rules[0].in_force_until) == (30.0, 60.0)


# --- deterrence -------------------------------------------------------------------------------


def _deter(m: float, **kw) -> dict:
    rule = {
        "name": "deter",
        "gate": "application",
        "effect": "deterrence",
        "selector": {"funders": ["NASA"]},  # the lead's funders: Uni A
        "application_multiplier": m,
        "reason": "no exception",
    }
    rule.update(kw)
    return rule


def _no_rule_raw() -> dict:
    raw = _raw(_cert())
    raw["rules"] = []
    return raw


KEY = ["call", "institution", "submitted_day", "merit", "grams_requested"]


def test_deterrence_zero_removes_only_the_selected_institutions_applications():
    base = build_scenario(_no_rule_raw())
    raw = _no_rule_raw()
    raw["rules"] = [_deter(0.0)]
    sc = build_scenario(raw)
    for seed in range(10):
        ref, res = samplesim.simulate(base, seed=seed), samplesim.simulate(sc, seed=seed)
        p = res.proposals
        mine = p["institution"] == "Uni A"
        assert (p.loc[mine, "state"].astype(str) == "deterred").all()
        assert p.loc[mine, "submitted_day"].isna().all()
        assert (p.loc[~mine, "state"].astype(str) != "deterred").all()
        # The other applications are the same draws (common random numbers).
        others = p.loc[~mine, KEY].reset_index(drop=True)
        ref_others = ref.proposals.loc[ref.proposals["institution"] != "Uni A", KEY]
        pd.testing.assert_frame_equal(others, ref_others.reset_index(drop=True))
        # Deterred rows stay rows: same count as the applications drawn without the rule.
        assert len(p) == len(ref.proposals)
        summ = res.summary.set_index("country")
        assert summ.loc["ALL", "deterred"] == mine.sum()
        assert summ.loc["ALL", "submitted"] == (~mine).sum()
        assert summ.loc["US", "submitted"] == 0
        rt = res.rules.set_index("rule").loc["deter"]
        assert (rt["applied"], rt["blocked"]) == (mine.sum(), mine.sum())


def test_deterrence_half_removes_about_half():
    raw = _no_rule_raw()
    raw["rules"] = [_deter(0.5)]
    sc = build_scenario(raw)
    n = k = 0
    for seed in range(40):
        p = samplesim.simulate(sc, seed=seed).proposals
        mine = p["institution"] == "Uni A"
        n += mine.sum()
        k += (p.loc[mine, "state"].astype(str) == "deterred").sum()
    assert n > 60
    assert abs(k - n / 2) < 4 * np.sqrt(n / 4), (k, n)  # binomial(n, 1/2), 4 sigma


def test_deterrence_window_uses_the_submission_day():
    raw = _no_rule_raw()
    raw["rules"] = [_deter(0.0, until=30.0)]
    sc = build_scenario(raw)
    base = build_scenario(_no_rule_raw())
    for seed in range(5):
        p = samplesim.simulate(sc, seed=seed).proposals
        ref = samplesim.simulate(base, seed=seed).proposals
        mine = (ref["institution"] == "Uni A").to_numpy()
        early = mine & (ref["submitted_day"] < 30).to_numpy()
        assert (p.loc[early, "state"].astype(str) == "deterred").all()
        assert (p.loc[~early, "state"].astype(str) != "deterred").all()


def test_funnel_shows_the_deterred_applications(tmp_path):
    raw = _no_rule_raw()
    raw["rules"] = [_deter(0.0)]
    res = samplesim.simulate(build_scenario(raw), seed=1)
    n = int((res.proposals["state"].astype(str) == "deterred").sum())
    assert n > 0
    fig = samplesim.plots.funnel(res)
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    labels = [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().texts]
    assert any(t.startswith(f"deterred by rules ({n})") for t in labels), labels
    assert any(t.endswith(f"+{n}") for t in texts), texts
    yticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "deterred: deter" in yticks
    fig.savefig(tmp_path / "funnel.png")


# --- export controls as data -------------------------------------------------------------------


def test_controlled_items_selects_proposals_asking_for_a_controlled_item():
    raw = _raw(
        {
            "name": "tech-licence",
            "gate": "shipping",
            "effect": "licence",
            "selector": {"controlled_items": True},
            "success_probability": 0.0,
        }
    )
    raw["inventory"][1]["export_controlled"] = True  # dust: a technology item
    raw["inventory"][0]["grams"] = raw["inventory"][1]["grams"] = 50.0
    raw["proposals"]["types_per_proposal"] = 1
    sc = build_scenario(raw)
    for seed in range(5):
        res = samplesim.simulate(sc, seed=seed)
        p = res.proposals.set_index("proposal_id")
        touched = set(_rule_events(res, "tech-licence")["proposal_id"])
        shipped_or_blocked = p[p["agreement_day"].notna()]
        asks = shipped_or_blocked["requested_g:dust"] > 0
        assert set(shipped_or_blocked.index[asks]) == touched
        assert (p.loc[list(touched), "state"].astype(str) == "blocked").all()


def test_end_user_list_matches_numbered_copies_of_an_institution():
    raw = _no_rule_raw()
    raw["institutions"][0]["count"] = 2  # "Uni A #1", "Uni A #2"
    raw["rules"] = [
        {
            "name": "eul",
            "gate": "screening",
            "effect": "ban",
            "selector": {"institutions": ["Uni A"]},
        }
    ]
    res = samplesim.simulate(build_scenario(raw), seed=2)
    p = res.proposals
    mine = p["institution"].str.startswith("Uni A")
    assert mine.any() and (p.loc[mine, "state"].astype(str) == "blocked").all()


def test_selectors_take_any_well_formed_country_code():
    raw = _raw(_cert(selector={"countries": ["KP", "IR"]}, by_country={"SY": 0.0}))
    build_scenario(raw)  # valid: a sanctions list may name countries without applicants


def test_example_scenario_runs(tmp_path):
    sc = samplesim.load_scenario(SCENARIOS / "examples" / "export-controls.toml")
    res = samplesim.simulate(sc, seed=1)
    assert (res.proposals["state"].astype(str) == "deterred").any()


# --- bad input --------------------------------------------------------------------------------


def _problems(raw: dict) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as exc:
        build_scenario(raw)
    return [(p.path, p.message) for p in exc.value.problems]


BAD = [
    ("scope", lambda: _raw(_cert(scope="calls")), "rules[0].scope", "is not one of"),
    ("from-type", lambda: _raw(_cert(**{"from": "soon"})), "rules[0].from", "a number"),
    ("until-type", lambda: _raw(_cert(until=[1])), "rules[0].until", "a number"),
    (
        "from-after-until",
        lambda: _raw(_cert(**{"from": 50.0, "until": 40.0})),
        "rules[0].until",
        "must be after from (50)",
    ),
    ("multiplier-range", lambda: _raw(_deter(1.5)), "rules[0].application_multiplier", "between"),
    ("multiplier-type", lambda: _raw(_deter("half")), "rules[0].application_multiplier", "number"),
    ("multiplier-missing", lambda: _raw(_deter(None)), "rules[0].application_multiplier", "needs"),
    (
        "multiplier-elsewhere",
        lambda: _raw(_cert(application_multiplier=0.5)),
        "rules[0].application_multiplier",
        "only a deterrence rule",
    ),
    (
        "deterrence-gate",
        lambda: _raw(_deter(0.0, gate="screening")),
        "rules[0].gate",
        "application",
    ),
    (
        "application-effect",
        lambda: _raw(_cert(gate="application")),
        "rules[0].effect",
        "only effect deterrence",
    ),
    (
        "deterrence-delay",
        lambda: _raw(_deter(0.0, delay=5.0)),
        "rules[0]",
        "takes no delay",
    ),
    (
        "controlled-items-type",
        lambda: _raw(_cert(selector={"controlled_items": "yes"})),
        "rules[0].selector.controlled_items",
        "true or false",
    ),
    (
        "export-controlled-type",
        lambda: {
            **_raw(_cert()),
            "inventory": [{"name": "x", "grams": 1.0, "export_controlled": 1}],
        },
        "inventory[0].export_controlled",
        "true or false",
    ),
]


@pytest.mark.parametrize(("case", "make", "path", "text"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_key(case, make, path, text):
    raw = make()
    if case == "multiplier-missing":
        del raw["rules"][0]["application_multiplier"]
    problems = _problems(raw)
    assert any(p == path and text in m for p, m in problems), problems


def test_bad_input_exits_2_on_the_command_line(tmp_path, capsys):
    from samplesim.cli import main

    f = write_scenario(tmp_path / "bad.toml", _raw(_cert(scope="everything")))
    assert main(["validate", str(f)]) == 2
    assert "rules[0].scope" in capsys.readouterr().err


def test_flagship_rules_table_records_scope():
    # The flagship's one NASA-CNSA negotiation (run scope, from Space Day 2025 = day 540) and
    # NASA's certification of 29 Nov 2023 (day 28) ending the deterrence; seed 4 approves US.
    res = samplesim.simulate(samplesim.load_scenario(FLAGSHIP), seed=4)
    rt = res.rules.set_index("rule")
    assert rt.loc["wolf-amendment", "scope"] == "run"
    assert rt.loc["wolf-amendment", "from_day"] == 540
    assert rt.loc["wolf-amendment", "shared_outcome"] in ("pass", "condition")
    assert rt.loc["wolf-amendment", "resolution_day"] > 540
    assert rt.loc["wolf-certification", "until_day"] == 28
    others = rt.drop(index="wolf-amendment")
    assert (others["scope"] == "proposal").all() and others["shared_outcome"].isna().all()
    assert others["resolution_day"].isna().all() and others["from_day"].isna().all()


def test_a_rule_in_force_when_the_gate_is_reached_applies_after_an_earlier_rules_wait():
    """Regression (invariant check): a rule's window is judged on the day the proposal
    reaches the gate (README "rule windows"); an earlier rule's wait at the same gate moves
    the later rule's event past its ``until``, not out of force. The window check used the
    event's day and failed on such runs."""
    from test_invariants import check_all

    raw = minimal_raw()
    raw["rules"] = [
        {"name": "slow", "gate": "agreement", "effect": "licence", "success_probability": 1.0,
         "delay": {"dist": "fixed", "value": 100.0}},
        {"name": "late", "gate": "agreement", "effect": "certification",
         "success_probability": 1.0, "until": 150.0},
    ]  # fmt: skip
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=1)
    check_all(sc, res)
    ev = res.events.astype({"kind": str, "name": str})
    late = ev[(ev["kind"] == "rule") & (ev["name"] == "late")]
    waits = ev[(ev["kind"] == "rule_wait") & (ev["name"] == "slow")]
    assert len(late) and (late["day"] >= 150).all()  # decided after the window closed...
    assert (waits["day"] < 150).all()  # ...for proposals that reached the gate inside it
