"""Shared test helpers: a tiny TOML writer, a minimal valid scenario and hypothesis strategies
that generate random *valid* scenarios as raw dicts (the form ``build_scenario`` takes)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from samplesim.scenario import Problem, ScenarioError, build_scenario
from samplesim.scenario.resubmission import RESUBMITTABLE

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FLAGSHIP = SCENARIOS / "change5-2023.toml"
SMALL = SCENARIOS / "small-known.toml"

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def toml_value(v: Any) -> str:
    """One value in TOML syntax (tables become inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(raw: dict[str, Any]) -> str:
    """Serialize a raw scenario dict as TOML (top-level keys, everything else inline)."""
    return "".join(f"{_key(k)} = {toml_value(v)}\n" for k, v in raw.items())


def write_scenario(path: Path, raw: dict[str, Any] | str) -> Path:
    path.write_text(raw if isinstance(raw, str) else to_toml(raw), encoding="utf-8")
    return path


def assert_problem(raw: dict[str, Any], path: str, words: str) -> None:
    """Building ``raw`` is refused with a problem at key ``path`` whose message has ``words``."""
    try:
        build_scenario(raw, source="x.toml")
    except ScenarioError as e:
        hits = [p for p in e.problems if p.path == path]
        assert hits, e.problems
        assert any(words in p.message for p in hits), hits
    else:
        raise AssertionError(f"accepted; expected a problem at {path}")


def assert_refused(tmp_path: Path, capsys: Any, raw: dict[str, Any], path: str, words: str) -> None:
    """``raw`` is refused at key ``path`` with ``words`` in the message: by the loader, and by
    ``validate`` and ``run`` with exit status 2, no traceback and nothing left on disk."""
    import pytest

    import samplesim
    from samplesim import cli

    f = write_scenario(tmp_path / "bad.toml", raw)
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(f)
    problems = info.value.problems
    assert any(p.path == path and words in p.message for p in problems), problems
    before = sorted(tmp_path.iterdir())
    assert cli.main(["validate", str(f)]) == 2
    assert cli.main(["run", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"  {path}: " in err and str(f) in err and "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before  # nothing left behind


def minimal_raw() -> dict[str, Any]:
    """A small valid scenario (raw dict) that exercises rules, review and allocation."""
    return {
        "name": "mini",
        "start_date": dt.date(2024, 1, 1),
        "horizon_days": 1000.0,
        "inventory": [
            {"name": "rock", "grams": 2.0, "min_portion_g": 0.01},
            {"name": "dust", "grams": 1.0},
        ],
        "calls": [{"name": "round-1", "open_day": 0, "close_day": 60}],
        "institutions": [
            {"name": "Uni A", "country": "US", "funders": ["NASA"], "propensity": 3.0},
            {"name": "Uni B", "country": "FR", "propensity": 2.0},
        ],
        "proposals": {"grams_requested": {"dist": "uniform", "low": 0.1, "high": 0.5}},
        "rules": [
            {
                "name": "export-licence",
                "gate": "shipping",
                "effect": "licence",
                "selector": {"countries": ["US"]},
                "delay": {"dist": "lognormal", "median": 20, "sigma": 0.5},
                "success_probability": 0.5,
            }
        ],
        "review": {
            "reviewers": 4,
            "reviews_per_proposal": 2,
            "duration": {"dist": "lognormal", "median": 14, "sigma": 0.5},
        },
        "allocation": {"policy": "merit_rank"},
    }


# --- bad-input cases: (id, mutation of minimal_raw or raw TOML text, expected path, text) ---


def _set(path: list[Any], value: Any):
    def mutate(raw: dict[str, Any]) -> dict[str, Any]:
        node = raw
        for p in path[:-1]:
            node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
        node[path[-1]] = value
        return raw

    return mutate


def _variant(raw: dict[str, Any]) -> dict[str, Any]:
    raw["variants"] = {"slow": {"review": {"reviewers": "nine"}}}
    return raw


def _empty_institutions(raw: dict[str, Any]) -> dict[str, Any]:
    raw["institutions"] = []
    return raw


def _many(raw: dict[str, Any]) -> dict[str, Any]:
    raw["inventory"][0]["grams"] = -1.0
    raw["calls"][0]["clse_day"] = 5
    raw["review"]["reviewers"] = "nine"
    return raw


#: Each case: id, mutate(raw)->raw or literal TOML text, expected problem path, message part.
BAD_CASES: list[tuple[str, Any, str, str]] = [
    ("toml-syntax", 'name = "x"\ninventory = [\n', "", "TOML syntax error"),
    ("unknown-top-level", _set(["colour"], "blue"), "colour", "unknown key"),
    ("unknown-nested", _set(["calls", 0, "clse_day"], 5), "calls[0].clse_day", "unknown key"),
    ("string-for-number", _set(["review", "reviewers"], "nine"), "review.reviewers", "whole"),
    ("negative-grams", _set(["inventory", 0, "grams"], -1.0), "inventory[0].grams", "greater"),
    ("zero-grams", _set(["inventory", 1, "grams"], 0), "inventory[1].grams", "greater than 0"),
    (
        "requested-fixed-zero",
        _set(["proposals", "grams_requested"], {"dist": "fixed", "value": 0}),
        "proposals.grams_requested",
        "positive",
    ),
    (
        "requested-uniform-negative",
        _set(["proposals", "grams_requested"], {"dist": "uniform", "low": -0.5, "high": 1}),
        "proposals.grams_requested",
        "positive",
    ),
    (
        "dist-missing-param",
        _set(["review", "duration"], {"dist": "lognormal", "median": 14}),
        "review.duration.sigma",
        "missing",
    ),
    (
        "dist-invalid-param",
        _set(["review", "duration"], {"dist": "lognormal", "median": 14, "sigma": -1}),
        "review.duration.sigma",
        "positive",
    ),
    (
        "dist-unknown-kind",
        _set(["review", "duration"], {"dist": "gamma", "shape": 2}),
        "review.duration.dist",
        "unknown distribution",
    ),
    (
        "close-before-open",
        _set(["calls", 0, "close_day"], -5),
        "calls[0].close_day",
        "must be after open_day (0)",
    ),
    (
        "rule-malformed-country",
        _set(["rules", 0, "selector"], {"countries": ["Russia"]}),
        "rules[0].selector.countries",
        "'Russia' is not a country code",
    ),
    (
        "rule-unknown-sample-type",
        _set(["rules", 0, "selector"], {"sample_types": ["cheese"]}),
        "rules[0].selector.sample_types",
        "unknown sample type 'cheese'",
    ),
    ("empty-institutions", _empty_institutions, "institutions", "at least one"),
    ("variant-error", _variant, "variants.slow.review.reviewers", "whole number"),
    ("leniency-negative", _set(["review", "leniency_sd"], -1), "review.leniency_sd", "between"),
    ("precision-huge", _set(["review", "precision_sd"], 99), "review.precision_sd", "between"),
    ("expertise-prob", _set(["review", "expertise"], 1.5), "review.expertise", "probability"),
    (
        "lottery-all-with-bar",
        lambda raw: {**raw, "allocation": {"policy": "lottery_all", "score_bar": 0.5}},
        "allocation.score_bar",
        "lottery_all draws among all eligible",
    ),
    (
        "lottery-interval",
        _set(["allocation", "lottery"], {"interval": 1.0}),
        "allocation.lottery.interval",
        "(0, 1)",
    ),
    (
        "lottery-unknown-key",
        _set(["allocation", "lottery"], {"topk": 2}),
        "allocation.lottery.topk",
        "unknown key",
    ),
    (
        "outside-reliability",
        _set(["review", "reliability_outside_expertise"], 0),
        "review.reliability_outside_expertise",
        "(0, 1]",
    ),
    ("unknown-unit", _set(["inventory", 1, "unit"], "furlongs"), "inventory[1].unit", "one of"),
    ("mixed-units", _set(["inventory", 1, "unit"], "shifts"), "inventory[1].unit", "one unit"),
    ("number-for-unit", _set(["inventory", 0, "unit"], 5), "inventory[0].unit", "string"),
    # review routes (issue 10): feasibility review, deadline day, conflicts, panels
    ("feasibility-staff", _set(["feasibility", "staff"], 0), "feasibility.staff", "between 1"),
    (
        "feasibility-shrink-to",
        _set(["feasibility", "shrink_to"], 0),
        "feasibility.shrink_to",
        "greater than 0",
    ),
    (
        "review-deadline-day",
        _set(["review", "deadline_day"], 5000),
        "review.deadline_day",
        "horizon_days",
    ),
    (
        "review-conflict-kind",
        _set(["review", "conflicts"], ["colour"]),
        "review.conflicts[0]",
        "unknown conflict",
    ),
    (
        "review-panel-catch-all",
        _set(["review", "panels"], [{"name": "a", "route": {"calls": ["round-1"]}}]),
        "review.panels[0].route",
        "last panel",
    ),
    (
        "data-only-probability",
        _set(["proposals", "data_only_probability"], 1.5),
        "proposals.data_only_probability",
        "probability",
    ),
    (
        "call-data-only-probability",
        _set(["calls", 0, "proposals"], {"data_only_probability": -0.2}),
        "calls[0].proposals.data_only_probability",
        "probability",
    ),
    # resubmission (issue 10, item 6)
    (
        "resubmission-state",
        _set(["resubmission"], {"probability": 0.5, "states": ["delivered"]}),
        "resubmission.states[0]",
        "unknown resubmittable state",
    ),
    (
        "resubmission-attempts",
        _set(["resubmission"], {"probability": 0.5, "max_attempts": 1}),
        "resubmission.max_attempts",
        "between 2",
    ),
    (
        "resubmission-key",
        _set(["resubmission"], {"chance": 0.5}),
        "resubmission.chance",
        "unknown key",
    ),
]


def bad_text(case: Any) -> str:
    return case if isinstance(case, str) else to_toml(case(minimal_raw()))


#: Structural mistakes and the exact plain message each gets (no library internals).
PLAIN_MESSAGE_CASES: list[tuple[str, Any, str, str]] = [
    (
        "gate-not-a-choice",
        _set(["rules", 0, "gate"], "screen"),
        "rules[0].gate",
        "'screen' is not one of: application, screening, agreement, shipping",
    ),
    (
        "on-failure-number",
        _set(["rules", 0, "on_failure"], 3),
        "rules[0].on_failure",
        "expected one of: block, condition, got a number (3)",
    ),
    (
        "decision-mode",
        _set(["calls", 0, "decision"], {"mode": "roll"}),
        "calls[0].decision.mode",
        "'roll' is not one of: batch, rolling",
    ),
    (
        "quoted-close-day",
        _set(["calls", 0, "close_day"], "2023-12-15"),
        "calls[0].close_day",
        "expected a number, got a string ('2023-12-15') "
        "(TOML dates are written unquoted: close_day = 2023-12-15)",
    ),
    (
        "quoted-meeting-day",
        _set(["calls", 0, "decision"], {"meeting_days": [100, "2024-05-01"]}),
        "calls[0].decision.meeting_days[1]",
        "expected a number, got a string ('2024-05-01') "
        "(TOML dates are written unquoted: meeting_days = [2024-05-01])",
    ),
    (
        "string-for-list",
        _set(["calls", 0, "eligible_countries"], "US"),
        "calls[0].eligible_countries",
        "expected a list, got a string ('US')",
    ),
    (
        "list-for-table",
        _set(["review", "reviewer_countries"], ["US"]),
        "review.reviewer_countries",
        "expected a table, got a list",
    ),
    (
        "string-for-table",
        _set(["calls", 0, "decision"], "batch"),
        "calls[0].decision",
        "expected a table, got a string ('batch')",
    ),
    (
        "string-for-number",
        _set(["inventory", 0, "grams"], "heavy"),
        "inventory[0].grams",
        "expected a number, got a string ('heavy')",
    ),
]


# --- hypothesis strategies of valid scenarios ---------------------------------------------

COUNTRIES = ["US", "FR", "DE", "JP"]
SEC = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def _r(x: float, nd: int = 3) -> float:
    return round(x, nd)


def positive_dist(lo: float = 0.05, hi: float = 40.0, allow_zero: bool = False):
    """A random distribution of any kind whose values all lie in [lo, hi] (``lo > 0``), or
    also 0 when ``allow_zero``. Values are rounded so that they survive TOML exactly."""
    v = st.floats(min_value=lo, max_value=hi).map(_r).filter(lambda x: x > 0)
    low = st.one_of(v, st.just(0.0)) if allow_zero else v
    fixed = low.map(lambda x: {"dist": "fixed", "value": x})
    expo = v.map(lambda x: {"dist": "exponential", "mean": x})
    logn = st.tuples(v, st.floats(0.05, 1.0).map(_r)).map(
        lambda t: {"dist": "lognormal", "median": t[0], "sigma": t[1]}
    )
    # Sorted, and widened to the whole range when too narrow: valid without filtering.
    base = 0.0 if allow_zero else lo

    def spread(t: list[float]) -> list[float]:
        return t if t[-1] - t[0] > 1e-3 else [base, *t[1:-1], hi]

    unif = st.tuples(low, v).map(sorted).map(spread)
    unif = unif.map(lambda t: {"dist": "uniform", "low": t[0], "high": t[1]})
    tri = st.tuples(low, v, v).map(sorted).map(spread)
    tri = tri.map(lambda t: {"dist": "triangular", "low": t[0], "mode": t[1], "high": t[2]})
    emp = st.lists(low, min_size=1, max_size=4).flatmap(
        lambda vals: st.one_of(
            st.just({"dist": "empirical", "values": vals}),
            st.lists(st.floats(0.1, 5).map(_r), min_size=len(vals), max_size=len(vals)).map(
                lambda w: {"dist": "empirical", "values": vals, "weights": w}
            ),
        )
    )
    # A bare number is shorthand for a fixed distribution.
    return st.one_of(fixed, expo, logn, unif, tri, emp, low)


def consequences():
    """Random consequence keys of a rule that can end in a condition (maybe none of them)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "withdraw_probability": SEC.map(_r),
            "grant_factor": st.floats(0.05, 1.0).map(_r),
            "extra_delay": positive_dist(0.05, 60.0, allow_zero=True),
        },
    )


def scenario_problems(raw: dict[str, Any]) -> list[Problem]:
    """Every problem the real loader finds in raw scenario data (empty when it is valid)."""
    try:
        build_scenario(clone(raw))
    except ScenarioError as exc:
        return exc.problems
    return []


def valid_scenarios(max_propensity: float = 2.5) -> st.SearchStrategy[dict[str, Any]]:
    """Random valid raw scenarios with few proposals (each example simulates quickly).

    Drawn mostly valid by construction, then judged by the real validator
    (:func:`scenario_problems`), so a new validation rule can never make the tests draw
    scenarios the loader rejects; check the filter rate with ``--hypothesis-show-statistics``.
    """
    return _scenario_drafts(max_propensity).filter(lambda raw: not scenario_problems(raw))


@st.composite
def _scenario_drafts(draw, max_propensity: float = 2.5) -> dict[str, Any]:
    """A random raw scenario built to satisfy the validator's rules as they were written."""
    n_types = draw(st.integers(1, 3))
    types = [f"type{k}" for k in range(n_types)]
    inventory = []
    for t in types:
        grams = draw(st.floats(0.2, 5.0).map(_r))
        inventory.append(
            {"name": t, "grams": grams, "min_portion_g": draw(st.floats(0.001, 0.1).map(_r))}
        )
        if draw(st.booleans()):
            inventory[-1]["export_controlled"] = True
    # One unit for the whole inventory (the validator refuses a mix), sometimes named.
    unit = draw(st.sampled_from([None, "g", "shifts", "items"]))
    for item in inventory if unit else ():
        item["unit"] = unit
    n_inst = draw(st.integers(1, 5))
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=n_inst, max_size=n_inst))
    institutions = []
    for k, c in enumerate(countries):
        inst: dict[str, Any] = {
            "name": f"inst{k}",
            "country": c,
            "kind": draw(st.sampled_from(["university", "agency"])),
            "funders": draw(st.lists(st.sampled_from(["NASA", "ESA", "JSPS"]), max_size=2)),
            "propensity": draw(st.floats(0.1, max_propensity).map(_r)),
        }
        if draw(st.booleans()):
            inst["count"] = draw(st.integers(1, 2))
        institutions.append(inst)
    known = sorted(set(countries) | {"CN"})  # CN is the default agency country

    n_calls = draw(st.integers(1, 2))
    calls = []
    last_close = 0.0
    for k in range(n_calls):
        open_day = float(draw(st.integers(0, 100)))
        close_day = open_day + draw(st.integers(5, 120))
        last_close = max(last_close, close_day)
        call: dict[str, Any] = {"name": f"call{k}", "open_day": open_day, "close_day": close_day}
        if draw(st.booleans()):
            call["max_grams_per_proposal"] = draw(st.floats(0.1, 2.0).map(_r))
        if draw(st.booleans()):
            call["reserve_fraction"] = draw(st.floats(0.0, 0.5).map(_r))
        if draw(st.booleans()):
            call["eligible_countries"] = draw(
                st.lists(st.sampled_from(known), min_size=1, max_size=2, unique=True)
            )
        if draw(st.booleans()):
            call["panel_day"] = close_day + draw(st.integers(0, 60))
        if draw(st.booleans()):
            call["decision"] = {
                "mode": "rolling",
                "meeting_every_days": float(draw(st.integers(15, 90))),
            }
        elif draw(st.booleans()):
            call["decision"] = {"mode": "batch", "meeting_days": [close_day + 100, close_day + 300]}
        calls.append(call)

    proposals: dict[str, Any] = {
        "grams_requested": draw(positive_dist(0.01, 1.5)),
        "types_per_proposal": draw(st.integers(1, n_types)),
        "destructive_probability": draw(SEC.map(_r)),
        "co_investigators": draw(positive_dist(0.05, 3.0, allow_zero=True)),
        "foreign_partner_probability": draw(SEC.map(_r)),
        "deadline_rush": draw(st.sampled_from([0.0, 1.0, 3.0])),
    }
    if draw(st.booleans()):
        proposals["sample_type_weights"] = {t: draw(st.floats(0.1, 3).map(_r)) for t in types}
    if draw(st.integers(0, 3)) == 0:  # data-only requests (issue 10, item 10)
        proposals["data_only_probability"] = draw(SEC.map(_r))

    rules = []
    for k in range(draw(st.integers(0, 3))):
        effect = draw(
            st.sampled_from(["ban", "certification", "licence", "condition", "deterrence"])
        )
        selector: dict[str, Any] = {}
        if draw(st.booleans()):
            selector["countries"] = draw(
                st.lists(st.sampled_from(known), min_size=1, max_size=2, unique=True)
            )
        if draw(st.booleans()):
            selector["sample_types"] = draw(
                st.lists(st.sampled_from(types), min_size=1, max_size=2, unique=True)
            )
        if draw(st.booleans()):
            selector["any_member_funders"] = ["NASA"]
        if draw(st.booleans()):
            selector["controlled_items"] = draw(st.booleans())
        gates = ["screening", "agreement", "shipping"]
        if effect == "deterrence":  # only deterrence acts before submission
            gates = ["application"]
        rule: dict[str, Any] = {
            "name": f"rule{k}",
            "gate": draw(st.sampled_from(gates)),
            "effect": effect,
            "selector": selector,
            "reason": f"reason of rule{k}",
        }
        if draw(st.booleans()):
            rule["scope"] = draw(st.sampled_from(["proposal", "call", "run"]))
        if draw(st.booleans()):  # in force over a window (either end may be open)
            lo, hi = sorted(draw(st.lists(st.integers(0, 400), min_size=2, max_size=2)))
            if draw(st.booleans()):
                rule["from"] = float(lo)
            if draw(st.booleans()):
                rule["until"] = float(hi + 1)
        if effect == "deterrence":
            rule["application_multiplier"] = draw(st.sampled_from([0.0, 0.5, 1.0]))
        elif effect != "ban":
            if draw(st.booleans()):
                rule["delay"] = draw(positive_dist(0.05, 60.0, allow_zero=True))
            rule["success_probability"] = draw(SEC.map(_r))
            if effect == "licence" and draw(st.booleans()):
                rule["by_country"] = {draw(st.sampled_from(known)): draw(SEC.map(_r))}
            if draw(st.booleans()):
                rule["on_failure"] = "condition"
                rule["condition"] = f"condition of rule{k}"
                rule["fallback_delay"] = draw(positive_dist(0.05, 30.0, allow_zero=True))
        if (effect == "condition" or rule.get("on_failure") == "condition") and draw(st.booleans()):
            rule.update(draw(consequences()))
        rules.append(rule)

    reviewers = draw(st.integers(1, 5))
    per_proposal = draw(st.integers(1, reviewers))
    review: dict[str, Any] = {
        "reviewers": reviewers,
        "load": draw(st.integers(1, 2)),
        "reviews_per_proposal": per_proposal,
        "duration": draw(positive_dist(0.5, 40.0)),
        "reliability": draw(st.floats(0.05, 1.0).map(_r)),
        "conflict_of_interest": draw(st.booleans()),
    }
    if draw(st.booleans()):
        rc = draw(st.sampled_from(known))
        # Mostly valid by construction: with conflict_of_interest, proposals led from ``rc``
        # need ``per_proposal`` reviewers from elsewhere (the unlisted reviewers, country "").
        # A whole pool from a country without applicants (e.g. CN) stays possible.
        conflicted = review["conflict_of_interest"] and rc in countries
        n_rc = draw(st.integers(0, reviewers - per_proposal if conflicted else reviewers))
        review["reviewer_countries"] = {rc: n_rc}
    if draw(st.booleans()):
        review["shortlist"] = {"top_k": draw(st.integers(1, 10))}
    if draw(st.booleans()):  # reviewers who differ
        review["leniency_sd"] = draw(st.floats(0.0, 1.0).map(_r))
        review["precision_sd"] = draw(st.floats(0.0, 0.5).map(_r))
        review["expertise"] = draw(SEC.map(_r))
        review["reliability_outside_expertise"] = draw(st.floats(0.05, 1.0).map(_r))
    if draw(st.booleans()):  # a grade scale (1-5 in half steps, or NIH's 1-9 lower-better)
        review["scale"] = draw(
            st.sampled_from(
                [{"low": 1, "high": 5, "step": 0.5},
                 {"low": 1, "high": 9, "step": 1, "lower_is_better": True}]
            )
        )  # fmt: skip
        review["ties"] = draw(st.sampled_from(["submission", "random"]))
    if draw(st.integers(0, 3)) == 0:  # distributed peer review among the applicants
        review["source"] = "distributed"
        review["reviews_per_applicant"] = draw(st.integers(per_proposal, per_proposal + 3))
        review["distributed_reliability"] = draw(st.floats(0.05, 1.0).map(_r))
    if draw(st.booleans()):  # invitations that may be declined, and a review deadline
        review["decline_probability"] = draw(st.sampled_from([0.0, 0.3, 0.8]))
        review["invitation_days"] = draw(st.sampled_from([0.0, 3.0, 10.5]))
        review["deadline_days"] = draw(st.sampled_from([5.0, 30.0, 400.0]))
    if draw(st.integers(0, 3)) == 0:  # reviewer load limit per round (may leave reviews out)
        review["max_reviews_per_round"] = draw(st.integers(1, 4))
    if draw(st.integers(0, 3)) == 0:  # review routes: deadline day, conflicts, identity bias
        review["deadline_day"] = draw(st.sampled_from([20.0, 90.0, 400.0]))
        if review.get("source") != "distributed" and review["conflict_of_interest"]:
            review["conflicts"] = draw(st.sampled_from([[], ["institution"], ["country", "team"]]))
            name = institutions[draw(st.integers(0, len(institutions) - 1))]["name"]
            review["reviewer_institutions"] = {name: draw(st.integers(0, reviewers))}
        review["identity_bias"] = {"agency": draw(st.sampled_from([-0.5, 0.0, 1.0]))}
        review["dual_anonymous"] = draw(st.booleans())
    plain = not ({"leniency_sd", "max_reviews_per_round"} & set(review))
    if plain and review.get("source") != "distributed" and draw(st.integers(0, 3)) == 0:
        k = draw(st.integers(1, 2))  # a panel for one institution kind, and one for the rest
        kind = institutions[draw(st.integers(0, len(institutions) - 1))]["kind"]
        review["panels"] = [
            {"name": "first", "reviewers": draw(st.integers(k, k + 3)), "reviews_per_proposal": k,
             "duration": draw(positive_dist(0.5, 40.0)), "route": {"kinds": [kind]}},
            {"name": "rest"},
        ]  # fmt: skip
        review["normalise_panels"] = draw(st.booleans())

    policy = draw(
        st.sampled_from(
            ["merit_rank", "lottery", "country_quota", "fair_share", "lottery_all",
             "grey_zone", "score_weighted", "expected_rank"]
        )
    )  # fmt: skip
    allocation: dict[str, Any] = {
        "policy": policy,
        "partial": draw(st.booleans()),
        "approval_delay": draw(positive_dist(0.05, 60.0, allow_zero=True)),
    }
    if draw(st.booleans()):
        allocation["max_awards"] = draw(st.integers(1, 6))
    if policy != "lottery_all" and draw(st.booleans()):
        allocation["score_bar"] = draw(st.floats(-1.0, 1.0).map(_r))
    if policy in ("grey_zone", "score_weighted", "expected_rank"):
        allocation["lottery"] = {
            "top_k": draw(st.integers(0, 4)),
            "grey_zone": draw(st.integers(1, 6)),
            "weight": draw(st.floats(0.0, 3.0).map(_r)),
            "interval": draw(st.floats(0.05, 0.95).map(_r)),
        }
    if draw(st.booleans()):
        allocation["reallocation"] = "waiting_list"
    if policy == "country_quota":
        allocation["max_share"] = draw(st.floats(0.1, 1.0).map(_r))
        allocation["quota"] = {draw(st.sampled_from(known)): draw(st.integers(0, 3))}

    raw: dict[str, Any] = {
        "name": "random",
        "start_date": draw(st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1))),
        "horizon_days": last_close + draw(st.integers(50, 1500)),
        "inventory": inventory,
        "calls": calls,
        "institutions": institutions,
        "proposals": proposals,
        "screening": {
            "delay": draw(positive_dist(0.05, 20.0, allow_zero=True)),
            "incomplete_probability": draw(st.sampled_from([0.0, 0.1, 0.3])),
        },
        "rules": rules,
        "review": review,
        "panel": {
            "enabled": draw(st.booleans()),
            "weight": draw(SEC.map(_r)),
            "delay": draw(positive_dist(0.05, 40.0, allow_zero=True)),
            "discussion_sd": draw(st.sampled_from([0.0, 0.3, 1.0])),
        },
        "allocation": allocation,
        "feasibility": draw(feasibility_tables()),
        "logistics": {
            "agreement_delay": draw(positive_dist(0.05, 30.0, allow_zero=True)),
            "shipping_delay": draw(positive_dist(0.05, 30.0, allow_zero=True)),
            "loan_days": draw(positive_dist(1.0, 400.0)),
        },
    }
    for call in calls:  # per-call settings (issue 10, item 7), partial tables
        if draw(st.integers(0, 3)) == 0:
            call.update(draw(_call_sections(types)))
    if draw(st.integers(0, 2)) == 0:
        _add_intake(draw, raw)
    _award_keys(draw, raw, known)
    _resubmission_keys(draw, raw)
    return raw


def _resubmission_keys(draw, raw: dict[str, Any]) -> None:
    """Sometimes declined proposals come back (drawn last: the draws above are unchanged)."""
    if draw(st.integers(0, 3)):
        return
    raw["resubmission"] = {
        "probability": draw(st.sampled_from([0.3, 1.0])),
        "max_attempts": draw(st.integers(2, 3)),
        "merit_gain": draw(st.sampled_from([0.0, 0.5])),
        "states": draw(st.lists(st.sampled_from(RESUBMITTABLE), min_size=1, unique=True)),
        "same_call": draw(st.booleans()),
    }
    if draw(st.booleans()):  # a last call open until near the horizon: room to come back
        last = max(c["close_day"] for c in raw["calls"])
        if raw["horizon_days"] - last > 20:
            raw["calls"].append({"name": "call-again", "open_day": last,
                                 "close_day": raw["horizon_days"] - 10.0})  # fmt: skip


def _add_intake(draw: Any, raw: dict[str, Any]) -> None:
    """Sometimes set the intake keys: notices of intent, proposal counts, request
    deadlines and rush before meetings, items and quanta, types per proposal as a
    distribution (drawn last, so the other keys' examples stay as they were)."""
    countries = sorted({i["country"] for i in raw["institutions"]})
    for call in raw["calls"]:
        lo, hi = call["open_day"], call["close_day"]
        if draw(st.booleans()):
            deadline = lo + float(draw(st.integers(0, int(hi - lo) - 2)))
            intent: dict[str, Any] = {
                "deadline_day": deadline,
                "outline_days": float(draw(st.integers(0, int(hi - deadline) - 1))),
                "proceed_probability": draw(st.sampled_from([0.3, 0.8, 1.0])),
            }
            if draw(st.booleans()):
                intent["review"] = "outline"
                intent["invite_fraction"] = draw(st.sampled_from([0.2, 0.5, 1.0]))
                intent["outline_reliability"] = draw(st.sampled_from([0.1, 0.3, 1.0]))
            call["intent"] = intent
        if draw(st.booleans()):
            value = draw(st.one_of(st.integers(0, 4), st.lists(st.integers(0, 4), min_size=1,
                                                                 max_size=3)))  # fmt: skip
            call["proposal_counts"] = {
                "by_country": {draw(st.sampled_from(countries)): value},
                "only_listed": draw(st.booleans()),
            }
        decision = call.get("decision")
        if decision and draw(st.booleans()):
            decision["request_deadline_days"] = float(draw(st.integers(0, 30)))
            decision["rush"] = draw(st.sampled_from(["call", "meetings"]))
    inv = raw["inventory"]
    if draw(st.booleans()):
        inv[0]["item_grams"] = _r(inv[0]["grams"] * draw(st.sampled_from([0.01, 0.1, 0.5])))
        raw["proposals"]["items_requested"] = draw(positive_dist(0.5, 4.0))
    if len(inv) > 1 and draw(st.booleans()):
        inv[1]["quantum_g"] = _r(inv[1]["grams"] * draw(st.sampled_from([0.01, 0.1, 0.5])))
    if draw(st.booleans()):
        raw["proposals"]["types_per_proposal"] = {"dist": "uniform", "low": 0.5,
                                                  "high": len(inv) + 0.5}  # fmt: skip


def _award_keys(draw, raw: dict[str, Any], known: list[str]) -> None:
    """Sometimes trimmed awards, the balanced policy, a renewable resource (drawn last, so
    the draws above are unchanged)."""
    al, inv = raw["allocation"], raw["inventory"]
    if draw(st.integers(0, 3)) == 0:
        al["trim_fraction"] = draw(st.sampled_from([0.3, 0.5, 0.8]))
    if draw(st.integers(0, 3)) == 0:
        al["award_cap"] = draw(st.sampled_from([0.1, 0.25, 1.0]))
    if draw(st.integers(0, 4)) == 0:
        payers = draw(st.lists(st.sampled_from(known), min_size=1, max_size=3, unique=True))
        balance: dict[str, Any] = {
            "contribution": {c: draw(st.integers(1, 40)) for c in payers},
            "rounds": draw(st.sampled_from(["all", 1, 2])),
            "tolerance": draw(st.sampled_from([0.0, 0.05])),
        }
        if draw(st.booleans()):
            balance["minimum_share"] = {draw(st.sampled_from(known)): 0.1}
        al["policy"], al["balance"] = "balanced", balance
    if draw(st.integers(0, 4)) == 0:
        t = inv[0]
        t.update(renewable=True, per_period=t["grams"], grams=0.0)
        t["period_days"] = draw(st.sampled_from([15.0, 60.0, 365.0]))
        if draw(st.booleans()):
            t["first_period_day"] = draw(st.sampled_from([0.0, 10.0, 45.5]))


@st.composite
def _call_sections(draw, types: list[str]) -> dict[str, Any]:
    """Some of a call's own ``[calls.*]`` sections, each a partial table."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["allocation"] = {"partial": draw(st.booleans())}
        if draw(st.booleans()):
            out["allocation"]["policy"] = draw(st.sampled_from(["merit_rank", "lottery"]))
    if draw(st.booleans()):
        out["review"] = {"duration": draw(positive_dist(0.5, 40.0))}
        if draw(st.booleans()):
            out["review"]["shortlist"] = {"top_fraction": draw(st.floats(0.1, 1.0).map(_r))}
    if draw(st.booleans()):
        out["panel"] = {
            "enabled": draw(st.booleans()),
            "reliability": draw(st.floats(0.05, 1.0).map(_r)),
        }
    if draw(st.booleans()):
        out["proposals"] = {"grams_requested": draw(positive_dist(0.01, 1.5))}
        if draw(st.booleans()):
            out["proposals"]["sample_type_weights"] = {draw(st.sampled_from(types)): 1.0}
    if draw(st.booleans()):
        out["logistics"] = {"shipping_delay": draw(positive_dist(0.05, 30.0, allow_zero=True))}
    if draw(st.booleans()):
        out["screening"] = {"incomplete_probability": draw(st.sampled_from([0.0, 0.5]))}
    return out


@st.composite
def feasibility_tables(draw: st.DrawFn) -> dict[str, Any]:
    """A ``[feasibility]`` table: off (mostly), or a feasibility review that declines and cuts."""
    if draw(st.integers(0, 3)):
        return {"enabled": False}
    return {
        "enabled": True,
        "staff": draw(st.integers(1, 3)),
        "duration": draw(positive_dist(0.05, 30.0, allow_zero=True)),
        "decline_probability": draw(st.sampled_from([0.0, 0.2, 1.0])),
        "shrink_probability": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "shrink_to": draw(positive_dist(0.05, 1.5)),
    }


def clone(raw: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(raw)


def chromium_path() -> str | None:
    """The headless Chromium (or Chrome) on PATH, for the report rendering tests; None
    when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None
