"""Notices of intent and outline review before full proposals (``[calls.intent]``)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import samplesim
from helpers import assert_problem, minimal_raw
from samplesim import plots
from samplesim.scenario import build_scenario
from test_invariants import check_all


def _raw(**intent: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["calls"][0].update(demand=6.0, close_day=120)
    raw["calls"][0]["intent"] = {"deadline_day": 40, **intent}
    return raw


def _run(raw: dict[str, Any], seed: int) -> samplesim.SimulationResult:
    return samplesim.simulate(build_scenario(copy.deepcopy(raw)), seed=seed)


def test_every_intent_becomes_a_full_proposal_by_default():
    raw = _raw(outline_days=10)
    plain = minimal_raw()
    plain["calls"][0].update(demand=6.0, close_day=120)
    for seed in range(3):
        res, base = _run(raw, seed), _run(plain, seed)
        check_all(build_scenario(copy.deepcopy(raw)), res)
        p = res.proposals
        # the same entities and counts as without the intent stage: the counts count intents
        assert len(p) == len(base.proposals)
        assert (p["state"].astype(str) != "not_invited").all()
        assert p["intent_day"].between(0, 40).all()
        assert p["submitted_day"].between(50, 120).all()
        assert (p["submitted_day"] > p["intent_day"]).all()
        # merit is each proposal's own, drawn as without intents
        assert sorted(p["merit"].round(9)) == sorted(base.proposals["merit"].round(9))


def test_proceed_probability_is_the_share_followed_up():
    raw = _raw(proceed_probability=0.4)
    ended = total = 0
    for seed in range(12):
        p = _run(raw, seed).proposals
        ended += int((p["state"].astype(str) == "no_full_proposal").sum())
        total += len(p)
    # binomial(total, 0.6): within 4 standard deviations
    assert abs(ended - 0.6 * total) < 4 * np.sqrt(total * 0.24), (ended, total)


def test_outline_review_invites_the_top_fraction_by_outline_score():
    raw = _raw(review="outline", invite_fraction=0.5, outline_reliability=1.0, outline_days=14)
    for seed in range(3):
        res = _run(raw, seed)
        check_all(build_scenario(copy.deepcopy(raw)), res)
        p = res.proposals
        n = len(p)
        invited = p["state"].astype(str) != "not_invited"
        assert invited.sum() == int(np.ceil(0.5 * n))
        # reliability 1: the outline score is the merit, so the invited are the best half
        assert p.loc[invited, "merit"].min() > p.loc[~invited, "merit"].max()
        ended = p[~invited]
        assert ended["submitted_day"].isna().all()
        # ended when invitations were known: deadline_day + outline_days
        ev = res.events
        term = ev[(ev["kind"] == "terminal") & (ev["name"] == "not_invited")]
        assert set(term["day"]) == {54.0}


def test_a_noisy_outline_review_still_favours_merit():
    raw = _raw(review="outline", invite_fraction=0.5, outline_reliability=0.3)
    gaps = []
    for seed in range(10):
        p = _run(raw, seed).proposals
        invited = p["state"].astype(str) != "not_invited"
        gaps.append(p.loc[invited, "merit"].mean() - p.loc[~invited, "merit"].mean())
    # E[merit | top half of sqrt(0.3) merit + noise] - E[merit | bottom half] = 2 * 0.8 * sqrt(0.3)
    assert 0.5 < np.mean(gaps) < 1.3


def test_the_funnel_shows_intents_only_when_there_are_some(tmp_path):
    res = _run(_raw(review="outline", invite_fraction=0.6), 1)
    fig = plots.funnel(res)
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert ticks[:2] == ["intents", "submitted"]
    assert "intent_day" in res.proposals.columns
    fig.savefig(tmp_path / "funnel.png")
    tl = plots.timeline(res)
    tl.savefig(tmp_path / "timeline.png")
    plain = _run(minimal_raw(), 1)
    ticks = [t.get_text().replace("\n", " ") for t in plots.funnel(plain).axes[0].get_xticklabels()]
    assert "intents" not in ticks
    assert plain.proposals["intent_day"].isna().all()


def test_same_seed_same_outputs_with_intents():
    raw = _raw(review="outline", invite_fraction=0.7, proceed_probability=0.8, outline_days=5)
    sc = build_scenario(raw)
    a, b = samplesim.simulate(sc, seed=4), samplesim.simulate(sc, seed=4)
    assert a.proposals.equals(b.proposals) and a.events.equals(b.events)
    assert a.summary.equals(b.summary)


@pytest.mark.parametrize(
    ("intent", "path", "words"),
    [
        ({"deadline_day": 120}, "calls[0].intent.deadline_day", "[open_day, close_day)"),
        ({"deadline_day": -1}, "calls[0].intent.deadline_day", "[open_day, close_day)"),
        ({}, "calls[0].intent.deadline_day", "missing"),
        ({"deadline_day": 40, "outline_days": 90}, "calls[0].intent.outline_days", "before"),
        ({"deadline_day": 40, "outline_days": -2}, "calls[0].intent.outline_days", "at least 0"),
        ({"deadline_day": 40, "proceed_probability": 1.5},
         "calls[0].intent.proceed_probability", "probability"),
        ({"deadline_day": 40, "review": "full"}, "calls[0].intent.review", "not one of"),
        ({"deadline_day": 40, "outline_reliability": 0}, "calls[0].intent.outline_reliability",
         "(0, 1]"),
        ({"deadline_day": 40, "invite_fraction": 0}, "calls[0].intent.invite_fraction", "(0, 1]"),
        ({"deadline_day": 40, "invite": 0.5}, "calls[0].intent.invite", "unknown"),
        ({"deadline_day": "2024-02-01"}, "calls[0].intent.deadline_day", "unquoted"),
    ],
)  # fmt: skip
def test_bad_intent_keys_name_the_key_path(intent, path, words):
    raw = minimal_raw()
    raw["calls"][0]["close_day"] = 120
    raw["calls"][0]["intent"] = intent
    assert_problem(raw, path, words)


def test_a_deterred_full_proposal_keeps_its_notice_of_intent():
    """Regression (invariant check): an application-gate deterrence rule acts on the full
    proposal, after its notice of intent arrived; the row keeps its intent day and has no
    later stage (the deterred check used to demand no stage day at all, contradicting
    check_intents, which demands an intent day on every row of a call with intents)."""
    raw = _raw(outline_days=10)
    raw["rules"] = [
        {
            "name": "stay-home",
            "gate": "application",
            "effect": "deterrence",
            "selector": {"countries": ["US"]},
            "application_multiplier": 0.0,
        }
    ]
    sc = build_scenario(copy.deepcopy(raw))
    res = samplesim.simulate(sc, seed=1)
    check_all(sc, res)
    p = res.proposals
    deterred = p[p["state"].astype(str) == "deterred"]
    assert len(deterred) and (deterred["country"] == "US").all()
    assert deterred["intent_day"].notna().all() and deterred["submitted_day"].isna().all()
