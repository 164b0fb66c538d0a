"""Conditions with consequences (withdrawal, extra delay, reduced grant) and re-allocation of
grams freed after approval to a call's waiting list."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import minimal_raw, to_toml, write_scenario
from samplesim import cli
from samplesim.scenario import build_scenario
from test_invariants import check_all

TOL = 1e-9


def _nasa_rule(gate: str, **keys: Any) -> dict[str, Any]:
    """A condition on every US-led proposal at ``gate``."""
    return {
        "name": "nasa-funds",
        "gate": gate,
        "effect": "condition",
        "condition": "proceeds without NASA funds",
        "selector": {"countries": ["US"]},
        **keys,
    }


def _run(raw: dict[str, Any], seed: int = 1) -> samplesim.SimulationResult:
    sc = build_scenario(raw)
    res = samplesim.simulate(sc, seed=seed)
    check_all(sc, res)
    return res


def _summary(res: samplesim.SimulationResult) -> dict[str, Any]:
    return res.summary.set_index("country").loc["ALL"].to_dict()


def _roomy() -> dict[str, Any]:
    """minimal_raw with stock for every request and no other rule."""
    raw = minimal_raw()
    raw["inventory"] = [{"name": "rock", "grams": 100.0, "min_portion_g": 0.01}]
    raw["rules"] = []
    raw["logistics"] = {"loan_days": 5000.0}  # no loan comes back before the horizon
    return raw


# --- withdrawal ---------------------------------------------------------------------------


def test_withdraw_probability_one_at_screening_withdraws_every_conditioned_proposal():
    raw = _roomy()
    raw["rules"] = [_nasa_rule("screening", withdraw_probability=1.0)]
    res = _run(raw)
    p = res.proposals
    us = p["country"] == "US"
    assert us.sum() > 0 and (~us).sum() > 0
    assert (p.loc[us, "state"] == "withdrawn").all()
    assert p.loc[us, "reviewed_day"].isna().all()  # never reviewed
    assert p.loc[us, "reason"].str.startswith("nasa-funds: withdrew").all()
    assert (p.loc[~us, "state"] != "withdrawn").all()
    s = _summary(res)
    assert s["withdrawn"] == us.sum() and s["withdrawn_after_approval"] == 0
    assert res.rules.set_index("rule").loc["nasa-funds", "withdrew"] == us.sum()


def test_withdraw_probability_one_after_approval_gives_the_grams_back():
    raw = _roomy()
    raw["rules"] = [_nasa_rule("agreement", withdraw_probability=1.0)]
    res = _run(raw)
    p = res.proposals
    us = p["country"] == "US"
    gone = p[us & (p["grams_awarded"] > 0)]
    assert len(gone) > 0
    assert (gone["state"] == "withdrawn").all() and (gone["grams_granted"] == 0).all()
    s = _summary(res)
    assert s["withdrawn_after_approval"] == len(gone) and s["blocked_after_approval"] == 0
    assert s["approved"] == (p["grams_awarded"] > 0).sum()  # they still count as approved
    # Their grams are back in stock: only the others' grants are out.
    inv = res.inventory
    end = inv.iloc[-1]
    assert end["on_loan_g"] + end["consumed_g"] == pytest.approx(p["grams_granted"].sum())


def test_withdraw_probability_zero_changes_nothing():
    """withdraw_probability = 0 draws from its own stream only: every output is unchanged."""
    raw = _roomy()
    raw["rules"] = [_nasa_rule("agreement")]
    a = _run(raw, seed=5)
    raw["rules"] = [_nasa_rule("agreement", withdraw_probability=0.0, grant_factor=1.0)]
    b = _run(raw, seed=5)
    assert a.proposals.equals(b.proposals) and a.events.equals(b.events)


# --- reduced grant ------------------------------------------------------------------------


def test_grant_factor_halves_grants_to_whole_portions():
    raw = _roomy()
    raw["rules"] = [_nasa_rule("agreement", grant_factor=0.5)]
    res = _run(raw)
    p = res.proposals
    us = p[(p["country"] == "US") & (p["grams_awarded"] > 0)]
    assert len(us) > 0
    want = np.floor(us["grams_awarded"] * 0.5 / 0.01 + 1e-9) * 0.01
    np.testing.assert_allclose(us["grams_granted"], want, atol=TOL)
    assert ((us["grams_granted"] / 0.01 - np.round(us["grams_granted"] / 0.01)).abs() < 1e-6).all()
    fr = p[(p["country"] != "US") & (p["grams_awarded"] > 0)]
    np.testing.assert_allclose(fr["grams_granted"], fr["grams_awarded"])
    # The cut grams are back in stock: only the kept grams are out.
    end = res.inventory.iloc[-1]
    assert end["on_loan_g"] + end["consumed_g"] == pytest.approx(p["grams_granted"].sum())
    assert p["grams_granted"].sum() < p["grams_awarded"].sum()


def test_grant_factor_before_approval_cuts_the_request_and_below_a_portion_withdraws():
    raw = _roomy()
    raw["inventory"][0]["min_portion_g"] = 0.25
    raw["proposals"]["grams_requested"] = 0.4
    raw["rules"] = [_nasa_rule("screening", grant_factor=0.6)]  # 0.24 g: below one portion
    res = _run(raw)
    p = res.proposals
    us = p["country"] == "US"
    assert (p.loc[us, "state"] == "withdrawn").all()
    assert p.loc[us, "reason"].str.contains("below one portion").all()
    raw["rules"] = [_nasa_rule("screening", grant_factor=0.7)]  # 0.28 g: one portion left
    p = _run(raw).proposals
    us = p[(p["country"] == "US") & (p["grams_awarded"] > 0)]
    assert len(us) > 0
    np.testing.assert_allclose(us["grams_granted"], 0.25)
    np.testing.assert_allclose(us["grams_requested"], 0.4)  # the record keeps the request


# --- extra delay --------------------------------------------------------------------------


def test_extra_delay_adds_exactly_its_days():
    raw = _roomy()
    raw["rules"] = [_nasa_rule("screening")]
    a = _run(raw).proposals
    raw["rules"] = [_nasa_rule("screening", extra_delay=10.0)]
    b = _run(raw).proposals
    us = a["country"] == "US"
    np.testing.assert_allclose(b.loc[us, "cleared_day"], a.loc[us, "cleared_day"] + 10.0)
    np.testing.assert_allclose(b.loc[us, "condition_delay_days"], 10.0)
    np.testing.assert_allclose(b.loc[~us, "condition_delay_days"], 0.0)
    np.testing.assert_allclose(b["rule_delay_days"], a["rule_delay_days"])


# --- waiting list -------------------------------------------------------------------------


def _contested(reallocation: str, meetings: list[float] | None) -> dict[str, Any]:
    """One gram, 0.6 g per proposal: one grant per decision; US grants banned at agreement."""
    raw = minimal_raw()
    raw["inventory"] = [{"name": "rock", "grams": 1.0, "min_portion_g": 0.01}]
    raw["proposals"] = {"grams_requested": 0.6, "destructive_probability": 0.0}
    raw["institutions"] = [
        {"name": "Uni A", "country": "US", "propensity": 2.0},
        {"name": "Uni B", "country": "FR", "propensity": 3.0},
    ]
    raw["rules"] = [
        {"name": "ban-us", "gate": "agreement", "effect": "ban", "selector": {"countries": ["US"]}}
    ]
    raw["allocation"] = {"policy": "merit_rank", "reallocation": reallocation}
    raw["logistics"] = {"loan_days": 5000.0}
    if meetings is not None:
        raw["calls"][0]["decision"] = {"meeting_days": meetings}
    return raw


def _us_first_seed(meetings: list[float] | None) -> int:
    """A seed where a US proposal ranked first (granted, then banned) and the best declined
    one is from FR."""
    for seed in range(200):
        p = samplesim.simulate(build_scenario(_contested("stock", meetings)), seed=seed).proposals
        top = p[p["grams_awarded"] > 0]
        declined = p[p["state"] == "declined"].sort_values("final_score", ascending=False)
        us_first = len(top) == 1 and top["country"].iloc[0] == "US"
        if us_first and len(declined) > 1 and declined["country"].iloc[0] == "FR":
            return seed
    raise AssertionError("no such seed")


def test_waiting_list_gives_freed_grams_to_the_next_in_rank_at_the_next_meeting():
    meetings = [100.0, 200.0, 300.0]
    seed = _us_first_seed(meetings)
    stock = _run(_contested("stock", meetings), seed)
    wl = _run(_contested("waiting_list", meetings), seed)
    s, w = stock.proposals, wl.proposals
    banned = s.index[s["grams_awarded"] > 0][0]
    assert w.loc[banned, "state"] == "blocked" and w.loc[banned, "decision_day"] == 100.0
    # "stock": the others are declined at the meeting and the grams stay in stock.
    assert set(s.loc[s.index != banned, "state"]) <= {"declined", "not_shortlisted"}
    assert stock.inventory.iloc[-1]["remaining_g"] == pytest.approx(1.0)
    assert _summary(stock)["approved_from_waiting_list"] == 0
    # "waiting_list": the best-ranked declined proposal gets them at the next meeting.
    declined = s[s["state"] == "declined"].sort_values(["final_score"], ascending=False)
    nxt = declined.index[0]
    assert w.loc[nxt, "from_waiting_list"] and w.loc[nxt, "decision_day"] == 200.0
    assert w.loc[nxt, "grams_granted"] == pytest.approx(0.6)
    assert w.loc[nxt, "state"] == "delivered"
    assert w.loc[nxt, "agreement_day"] >= 200.0
    others = w.index.difference([banned, nxt])
    assert (w.loc[others, "grams_awarded"] == 0).all()
    # The rest wait on the list, then are declined at a meeting once nothing can be freed.
    rest = w.loc[declined.index[1:]]
    assert (rest["state"] == "declined").all() and rest["decision_day"].isin(meetings).all()
    assert rest["reason"].str.endswith("the waiting list closed").all()
    sw = _summary(wl)
    assert (sw["approved_from_waiting_list"], sw["approved"]) == (1, 2)
    assert sw["blocked_after_approval"] == sw["withdrawn_after_approval"] == 1
    end = wl.inventory.iloc[-1]
    assert (end["remaining_g"], end["on_loan_g"]) == pytest.approx((0.4, 0.6))


def test_waiting_list_without_meetings_reallocates_the_same_day():
    seed = _us_first_seed(None)
    w = _run(_contested("waiting_list", None), seed).proposals
    banned = w.index[(w["state"] == "blocked")][0]
    nxt = w.index[w["from_waiting_list"]]
    assert len(nxt) == 1
    assert w.loc[nxt[0], "decision_day"] == w.loc[banned, "decision_day"]


def test_waiting_list_with_no_meeting_left_keeps_the_grams_in_stock():
    seed = _us_first_seed([100.0])
    res = _run(_contested("waiting_list", [100.0]), seed)
    p = res.proposals
    assert not p["from_waiting_list"].any()
    assert (p.loc[p["state"] == "declined", "decision_day"] == 100.0).all()
    assert res.inventory.iloc[-1]["remaining_g"] == pytest.approx(1.0)


def test_a_call_may_override_the_reallocation():
    meetings = [100.0, 200.0, 300.0]
    seed = _us_first_seed(meetings)
    raw = _contested("waiting_list", meetings)
    raw["calls"][0]["reallocation"] = "stock"
    assert not _run(raw, seed).proposals["from_waiting_list"].any()


# --- bad input ----------------------------------------------------------------------------


def _cond_rule(**keys: Any) -> dict[str, Any]:
    rule = dict(minimal_raw()["rules"][0], on_failure="condition", condition="no NASA funds")
    return {**rule, **keys}


BAD: list[tuple[str, Any, str, str]] = [
    ("withdraw-above-1", _cond_rule(withdraw_probability=1.5),
     "rules[0].withdraw_probability", "probability"),
    ("withdraw-negative", _cond_rule(withdraw_probability=-0.1),
     "rules[0].withdraw_probability", "probability"),
    ("withdraw-string", _cond_rule(withdraw_probability="half"),
     "rules[0].withdraw_probability", "number"),
    ("grant-factor-zero", _cond_rule(grant_factor=0.0), "rules[0].grant_factor", "(0, 1]"),
    ("grant-factor-above-1", _cond_rule(grant_factor=1.2), "rules[0].grant_factor", "(0, 1]"),
    ("extra-delay-negative", _cond_rule(extra_delay={"dist": "uniform", "low": -5, "high": 5}),
     "rules[0].extra_delay", "negative"),
    ("extra-delay-bad-dist", _cond_rule(extra_delay={"dist": "gamma"}),
     "rules[0].extra_delay.dist", "unknown distribution"),
    ("licence-without-condition", dict(minimal_raw()["rules"][0], withdraw_probability=0.5),
     "rules[0].withdraw_probability", 'only with on_failure = "condition"'),
    ("ban-grant-factor",
     {"name": "b", "gate": "agreement", "effect": "ban", "grant_factor": 0.5},
     "rules[0].grant_factor", "a ban never ends in a condition"),
    ("ban-extra-delay", {"name": "b", "gate": "agreement", "effect": "ban", "extra_delay": 3},
     "rules[0].extra_delay", "a ban never ends in a condition"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "rule", "path", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_consequence_keys_exit_2_with_the_key_path(tmp_path, capsys, case, rule, path, words):
    raw = minimal_raw()
    raw["rules"] = [rule]
    f = write_scenario(tmp_path / f"{case}.toml", to_toml(raw))
    assert cli.main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert any(line.startswith(f"  {path}: ") and words in line for line in err.splitlines()), err


@pytest.mark.parametrize(
    ("where", "path"),
    [(["allocation"], "allocation.reallocation"), (["calls", 0], "calls[0].reallocation")],
)
def test_unknown_reallocation_exits_2_with_the_key_path(tmp_path, capsys, where, path):
    raw = minimal_raw()
    node = raw
    for k in where:
        node = node[k]
    node["reallocation"] = "lottery"
    f = write_scenario(tmp_path / "bad.toml", to_toml(raw))
    assert cli.main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"  {path}: 'lottery' is not one of: stock, waiting_list" in err, err
