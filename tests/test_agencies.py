"""Several curating agencies, reciprocal rules, rule windows and diplomatic priorities."""

from __future__ import annotations

import numpy as np
import pytest

import samplesim
from helpers import SCENARIOS, clone, minimal_raw, scenario_problems
from samplesim.policies import POLICIES, Candidate
from samplesim.scenario import build_scenario, load_raw, scenario_variants
from samplesim.scenario.schema import Allocation
from test_invariants import check_all

TWO = SCENARIOS / "two-agencies-reciprocity.toml"


def two_raw() -> dict:
    """Agency A (CN) with one sample type and a call; agency B (US) with two and a call."""
    raw = minimal_raw()
    raw["agencies"] = [{"name": "A", "country": "CN"}, {"name": "B", "country": "US"}]
    raw["inventory"] = [
        {"name": "a_rock", "agency": "A", "grams": 1.0, "min_portion_g": 0.01},
        {"name": "b_rock", "agency": "B", "grams": 5.0, "min_portion_g": 0.01},
        {"name": "b_dust", "agency": "B", "grams": 0.5, "min_portion_g": 0.01},
    ]
    raw["calls"] = [
        {"name": "a-call", "agency": "A", "open_day": 0, "close_day": 60},
        {"name": "b-call", "agency": "B", "open_day": 0, "close_day": 60, "reserve_fraction": 0.5},
    ]
    raw["institutions"] = [
        {"name": "Uni US", "country": "US", "funders": ["NASA"], "propensity": 4.0},
        {"name": "Uni FR", "country": "FR", "propensity": 4.0},
        {"name": "Uni CN", "country": "CN", "propensity": 4.0},
    ]
    raw["rules"] = [
        {
            "name": "a-ban",
            "agency": "A",
            "gate": "screening",
            "effect": "ban",
            "selector": {"countries": ["US"]},
            "from": 20.0,
            "until": 40.0,
        },
        {
            "name": "b-mirror",
            "agency": "B",
            "gate": "screening",
            "effect": "ban",
            "selector": {"countries": ["CN"]},
            "reciprocal_to": "a-ban",
        },
    ]
    raw["review"]["reviewers"] = 6
    return raw


def _run(raw: dict, seed: int):
    sc = build_scenario(clone(raw))
    res = samplesim.simulate(sc, seed=seed)
    check_all(sc, res)
    return sc, res


def _types(res, call: str) -> list[str]:
    p = res.proposals[res.proposals["call"] == call]
    cols = [c for c in p.columns if c.startswith("requested_g:")]
    return sorted(c.split(":")[1] for c in cols if p[c].sum() > 0)


@pytest.mark.parametrize("seed", range(6))
def test_a_call_never_allocates_another_agencys_grams(seed):
    _, res = _run(two_raw(), seed)
    p = res.proposals
    assert _types(res, "a-call") == ["a_rock"]
    assert set(_types(res, "b-call")) <= {"b_rock", "b_dust"}
    a, b = p[p["call"] == "a-call"], p[p["call"] == "b-call"]
    for col in ("granted_g:b_rock", "granted_g:b_dust", "requested_g:b_rock"):
        assert (a[col] == 0).all()
    assert (b["granted_g:a_rock"] == 0).all() and (b["requested_g:a_rock"] == 0).all()
    assert a["grams_granted"].sum() <= 1.0 + 1e-9  # A's stock only
    # B's reserve (reserve_fraction = 0.5) holds back B's grams only, never A's.
    inv = res.inventory
    assert (inv.loc[inv["sample_type"] == "a_rock", "reserved_g"] == 0).all()
    assert (inv.loc[inv["sample_type"] == "b_rock", "reserved_g"] > 0).any()


def _rule_events(res, name: str):
    ev = res.events
    return ev[(ev["kind"] == "rule") & (ev["name"] == name)]


@pytest.mark.parametrize("seed", range(6))
def test_rules_apply_to_their_agency_only_and_only_in_their_window(seed):
    _, res = _run(two_raw(), seed)
    p = res.proposals.set_index("proposal_id")
    for rule, call, country in (("a-ban", "a-call", "US"), ("b-mirror", "b-call", "CN")):
        mine = _rule_events(res, rule)
        assert (p.loc[mine["proposal_id"], "call"] == call).all()
        # In force on days [20, 40): the mirror has the window of the rule it mirrors.
        assert mine["day"].between(20, 40, inclusive="left").all()
        led = p[(p["country"] == country)]
        at_gate = led["screened_day"]
        inside = led[(at_gate >= 20) & (at_gate < 40)]
        blocked = led["reason"].astype(str).str.startswith(f"{rule}: ")
        assert set(led.index[blocked]) == set(inside.index[inside["call"] == call])
        other = led[led["call"] != call]
        assert not other["reason"].astype(str).str.startswith(f"{rule}: ").any()
        if rule == "b-mirror":
            assert mine["detail"].str.endswith("(reciprocal to a-ban)").all()
    # Over the seeds both rules and both windows' sides occur (not a vacuous test).
    assert len(_rule_events(res, "a-ban")) + len(_rule_events(res, "b-mirror")) > 0


def test_a_rule_outside_its_window_never_applies():
    raw = two_raw()
    raw["rules"][0]["from"] = 500.0
    raw["rules"][0]["until"] = 600.0
    _, res = _run(raw, 1)
    assert (res.events["kind"] != "rule").all()
    raw["rules"][0].pop("from")
    raw["rules"][0].pop("until")
    _, res = _run(raw, 1)
    assert len(_rule_events(res, "a-ban")) > 0 and len(_rule_events(res, "b-mirror")) > 0


def test_removing_a_mirrored_rule_lifts_its_mirrors():
    raw = two_raw()
    raw["rules"].append(
        {
            "name": "c",
            "gate": "agreement",
            "effect": "ban",
            "agency": "A",
            "reciprocal_to": "b-mirror",
        }
    )
    raw["variants"] = {"lifted": {"remove_rules": ["a-ban"]}, "only-c": {"remove_rules": ["c"]}}
    assert [r.name for r in build_scenario(clone(raw), variant="lifted").rules] == []
    assert [r.name for r in build_scenario(clone(raw), variant="only-c").rules] == [
        "a-ban",
        "b-mirror",
    ]
    # Replacing the list without the mirrored rule is an error, not a silent lift.
    raw = two_raw()
    raw["variants"] = {"drop": {"rules": [raw["rules"][1]]}}
    probs = scenario_problems(raw)
    assert [p.path for p in probs] == ["variants.drop.rules[0].reciprocal_to"]


def cand(i: int, country: str, score: float) -> Candidate:
    return Candidate(i, country, score, {"rock": 0.3}, {"rock": 0.01})


def test_partner_priority_ranks_a_priority_country_above_an_equal_score():
    pp = POLICIES["partner_priority"]
    rng = np.random.default_rng(0)
    cands = [cand(0, "US", 1.0), cand(1, "PK", 1.0)]
    al = Allocation(policy="partner_priority", priority_countries={"PK": 0.5})
    assert set(pp(cands, {"rock": 0.3}, al, rng)) == {1}
    assert set(POLICIES["merit_rank"](cands, {"rock": 0.3}, al, rng)) == {0}
    # The bonus is added to the score: 0.5 beats a 0.4 lead, not a 0.6 one.
    assert set(pp([cand(0, "US", 1.4), cand(1, "PK", 1.0)], {"rock": 0.3}, al, rng)) == {1}
    assert set(pp([cand(0, "US", 1.6), cand(1, "PK", 1.0)], {"rock": 0.3}, al, rng)) == {0}


def test_partner_priority_without_priorities_is_merit_rank():
    r = np.random.default_rng(5)
    for _ in range(50):
        cands = [
            Candidate(i, str(r.choice(["US", "FR", "PK"])), float(r.normal()), {"rock": 0.3}, {})
            for i in range(12)
        ]
        budget = {"rock": float(r.uniform(0.5, 3))}
        al = Allocation(partial=bool(r.random() < 0.5))
        rng = np.random.default_rng(0)
        assert POLICIES["partner_priority"](cands, budget, al, rng) == POLICIES["merit_rank"](
            cands, budget, al, rng
        )
    raw = minimal_raw()
    base = samplesim.simulate(build_scenario(clone(raw)), seed=3).proposals
    raw["allocation"] = {"policy": "partner_priority"}
    same = samplesim.simulate(build_scenario(clone(raw)), seed=3).proposals
    assert base.equals(same)


def test_agency_priorities_weigh_only_that_agencys_calls():
    from samplesim.model.agencies import call_allocation

    raw = two_raw()
    raw["allocation"] = {"policy": "partner_priority", "priority_countries": {"FR": 1.0}}
    raw["agencies"][0]["priority_countries"] = {"PK": 2.0}
    sc = build_scenario(clone(raw))
    assert call_allocation(sc, sc.calls[0]).priority_countries == {"PK": 2.0}
    assert call_allocation(sc, sc.calls[1]).priority_countries == {"FR": 1.0}


def test_applies_to_limits_an_institution_to_some_agencies():
    raw = two_raw()
    raw["institutions"][2]["applies_to"] = ["B"]
    for seed in range(4):
        _, res = _run(raw, seed)
        p = res.proposals
        assert (p.loc[p["country"] == "CN", "call"] == "b-call").all()
        assert (p["country"] == "CN").any()


def _paths(mutate) -> list[str]:
    raw = two_raw()
    mutate(raw)
    return [p.path for p in scenario_problems(raw)]


def _set(path, value):
    def mutate(raw):
        node = raw
        for k in path[:-1]:
            node = node[k]
        if value is None:
            node.pop(path[-1])
        else:
            node[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (_set(["calls", 0, "agency"], "C"), "calls[0].agency"),
        (_set(["inventory", 1, "agency"], None), "inventory[1].agency"),
        (_set(["rules", 0, "agency"], None), "rules[0].agency"),
        (_set(["calls", 1, "agency"], None), "calls[1].agency"),
        (_set(["rules", 1, "reciprocal_to"], "nope"), "rules[1].reciprocal_to"),
        (_set(["rules", 1, "reciprocal_to"], "b-mirror"), "rules[1].reciprocal_to"),
        (_set(["rules", 0, "reciprocal_to"], "b-mirror"), "rules[0].reciprocal_to"),
        (_set(["rules", 1, "from"], 3.0), "rules[1]"),
        (_set(["rules", 0, "until"], 10.0), "rules[0].until"),
        (_set(["rules", 0, "from"], "soon"), "rules[0].from"),
        (
            _set(["allocation"], {"priority_countries": {"pk": 1.0}}),
            "allocation.priority_countries",
        ),
        (
            _set(["allocation"], {"priority_countries": {"PK": -1.0}}),
            "allocation.priority_countries.PK",
        ),
        (
            _set(["allocation"], {"priority_countries": {"PK": "high"}}),
            "allocation.priority_countries.PK",
        ),
        (_set(["agencies", 0, "country"], "China"), "agencies[0].country"),
        (_set(["agencies", 1, "name"], "A"), "agencies[1].name"),
        (_set(["institutions", 0, "applies_to"], ["C"]), "institutions[0].applies_to"),
        (_set(["inventory", 0, "agency"], "B"), "calls[0].agency"),
        (
            _set(["proposals", "sample_type_weights"], {"b_rock": 1.0}),
            "proposals.sample_type_weights",
        ),
    ],
)
def test_bad_agency_input_names_its_key_path(mutate, path):
    paths = _paths(mutate)
    assert path in paths, paths


def test_cycle_of_reciprocal_rules_is_refused():
    def mutate(raw):
        raw["rules"][0]["reciprocal_to"] = "b-mirror"
        raw["rules"][0].pop("from")
        raw["rules"][0].pop("until")

    probs = scenario_problems(_mutated(mutate))
    assert {p.path for p in probs} == {"rules[0].reciprocal_to", "rules[1].reciprocal_to"}
    assert all("cycle" in p.message for p in probs)


def _mutated(mutate) -> dict:
    raw = two_raw()
    mutate(raw)
    return raw


def test_one_agency_needs_no_agency_keys_and_accepts_its_implicit_name():
    raw = minimal_raw()
    raw["agency_country"] = "US"
    raw["calls"][0]["agency"] = "US"
    assert scenario_problems(raw) == []
    raw["calls"][0]["agency"] = "CN"
    assert [p.path for p in scenario_problems(raw)] == ["calls[0].agency"]


@pytest.mark.parametrize("variant", ["baseline", *scenario_variants(load_raw(TWO))])
def test_the_two_agency_scenario_runs_and_keeps_its_invariants(variant):
    sc = samplesim.load_scenario(TWO, variant=variant)
    for seed in range(4):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        p = res.proposals
        ce5 = p[p["call"] == "ce5-international-2023"]
        assert set(_types(res, "ce5-international-2023")) <= {
            "ce5_scooped_regolith",
            "ce5_drill_core",
        }
        assert ce5["grams_granted"].sum() <= 2.6 + 1e-9
        assert (ce5["country"] != "CN").all()  # Chinese institutions apply to NASA only
        ev = res.events
        mirror = ev[(ev["kind"] == "rule") & (ev["name"] == "nasa-china-restriction")]
        assert mirror["detail"].str.endswith("(reciprocal to wolf-amendment)").all()
    names = [r.name for r in sc.rules]
    if variant == "wolf-lifted":
        assert names == []  # the mirrors went with the Wolf Amendment
    else:
        assert names == ["wolf-amendment", "nasa-bilateral-ban", "nasa-china-restriction"]


@pytest.mark.parametrize("seed", range(4))
def test_a_calls_budget_is_its_agencys_stock(seed):
    # country_quota caps a country at max_share of the decision's budget: A's 1 g, not the
    # 6.5 g of both agencies.
    raw = two_raw()
    raw["allocation"] = {"policy": "country_quota", "max_share": 0.3}
    _, res = _run(raw, seed)
    p = res.proposals
    a = p[p["call"] == "a-call"].groupby("country", observed=True)["grams_awarded"].sum()
    assert (a <= 0.3 + 1e-9).all(), a
    assert a.sum() > 0
