"""Scenario loading: the shipped scenarios load; bad input is reported with exact key paths."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import samplesim
from helpers import (
    BAD_CASES,
    FLAGSHIP,
    PLAIN_MESSAGE_CASES,
    ROOT,
    SCENARIOS,
    bad_text,
    clone,
    minimal_raw,
    to_toml,
    valid_scenarios,
    write_scenario,
)
from samplesim.distributions import Exponential, LogNormal
from samplesim.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    ScenarioWarning,
    build_scenario,
    check_warnings,
    load_raw,
    loader,
    scenario_variants,
    validate_file,
)

ALL_SCENARIOS = sorted(SCENARIOS.glob("*.toml"))


def _paths(exc: ScenarioError) -> list[str]:
    return [p.path for p in exc.problems]


# --- the shipped scenarios -----------------------------------------------------------------


def test_flagship_exists_and_is_listed():
    assert FLAGSHIP in ALL_SCENARIOS


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_and_all_their_variants_load(path):
    sc = samplesim.load_scenario(path)
    assert sc.variant == "baseline"
    assert sc.source == str(path)
    assert len(sc.digest) == 64
    assert validate_file(path) == []
    for name in scenario_variants(load_raw(path)):
        v = samplesim.load_scenario(path, variant=name)
        assert v.variant == name
        assert v.digest == sc.digest  # the digest identifies the file, not the variant


def test_flagship_content():
    sc = samplesim.load_scenario(FLAGSHIP)
    assert sc.start_date == dt.date(2023, 11, 1)
    call = sc.calls[0]
    # TOML dates of *_day keys become day numbers counted from start_date.
    assert call.close_day == (dt.date(2023, 12, 22) - sc.start_date).days
    assert call.panel_day == (dt.date(2024, 4, 26) - sc.start_date).days
    assert sc.review.duration == LogNormal(median=21, sigma=0.5)
    wolf = {"wolf-certification", "nasa-bilateral-ban", "wolf-amendment"}
    assert {r.name for r in sc.rules} == wolf | {"ear-entity-list"}
    rules = {r.name: r for r in sc.rules}
    # NASA's certification (29 Nov 2023) ends the deterrence of NASA-funded applicants.
    cert = rules["wolf-certification"]
    assert (cert.gate, cert.effect, cert.application_multiplier) == ("application", "deterrence", 0)
    assert cert.in_force_until == (dt.date(2023, 11, 29) - sc.start_date).days
    assert rules["wolf-amendment"].scope == "run"  # one NASA-CNSA negotiation
    lifted = samplesim.load_scenario(FLAGSHIP, variant="wolf-lifted")
    assert {r.name for r in lifted.rules} == {"ear-entity-list"}
    assert lifted.allocation.policy == "merit_rank"
    # The counterfactual file says the same as the variant.
    same = samplesim.load_scenario(FLAGSHIP.parent / "change5-wolf-lifted.toml")
    assert (same.rules, same.allocation) == (lifted.rules, lifted.allocation)
    never = samplesim.load_scenario(FLAGSHIP, variant="wolf-no-exception")
    deter = [r for r in never.rules if r.effect == "deterrence"]
    assert len(deter) == 1 and deter[0].in_force_until is None and deter[0].in_force_from is None
    assert samplesim.load_scenario(FLAGSHIP, variant="lottery").allocation.policy == "lottery"


def test_overrides_argument_applies():
    sc = samplesim.load_scenario(FLAGSHIP, overrides=[{"review": {"reviewers": 12}}])
    assert sc.review.reviewers == 12
    assert sc.review.reviews_per_proposal == 3  # the rest of the table is kept


# --- bad input: exact key paths --------------------------------------------------------------


BAD_IDS = [c[0] for c in BAD_CASES]


@pytest.mark.parametrize(("case", "mutate", "path", "words"), BAD_CASES, ids=BAD_IDS)
def test_bad_input_names_the_key_path(tmp_path, case, mutate, path, words):
    f = write_scenario(tmp_path / f"{case}.toml", bad_text(mutate))
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(f)
    exc = info.value
    assert exc.source == str(f)
    matching = [p for p in exc.problems if p.path == path]
    assert matching, f"no problem at {path!r}: {exc.problems}"
    assert any(words in p.message for p in matching), exc.problems
    text = str(exc)
    n = len(exc.problems)
    assert text.splitlines()[0] == f"{f}: {n} problem{'s' if n > 1 else ''}"
    if path:
        assert f"  {path}: " in text
    assert validate_file(f) == exc.problems


def test_minimal_scenario_is_valid(tmp_path):
    # The bad cases above are single changes of this scenario, so they fail for that change.
    sc = samplesim.load_scenario(write_scenario(tmp_path / "ok.toml", minimal_raw()))
    assert sc.name == "mini"
    assert sc.sample_types == ["rock", "dust"]


def test_close_day_message_is_exact(tmp_path):
    raw = minimal_raw()
    raw["calls"][0].update(open_day=10, close_day=3)
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert "calls[0].close_day: must be after open_day (10)" in str(info.value)


def test_several_problems_reported_at_once():
    raw = minimal_raw()
    raw["inventory"][0]["grams"] = -1.0
    raw["calls"][0]["close_day"] = -5
    raw["rules"][0]["selector"] = {"countries": ["zz"], "sample_types": ["cheese"]}
    raw["review"]["reviews_per_proposal"] = 9
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw, source="x.toml")
    paths = _paths(info.value)
    for p in (
        "inventory[0].grams",
        "calls[0].close_day",
        "rules[0].selector.countries",
        "rules[0].selector.sample_types",
        "review.reviews_per_proposal",
    ):
        assert p in paths
    assert str(info.value).startswith(f"x.toml: {len(paths)} problems")


def test_several_structural_problems_reported_at_once():
    raw = minimal_raw()
    raw["calls"][0]["clse_day"] = 5
    raw["review"]["reviewers"] = "nine"
    raw["inventory"][1]["grams"] = "heavy"
    raw["review"]["duration"] = {"dist": "lognormal", "median": 1}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert set(_paths(info.value)) >= {
        "calls[0].clse_day",
        "review.reviewers",
        "inventory[1].grams",
        "review.duration.sigma",
    }


@pytest.mark.parametrize(("case", "mutate", "path", "message"), PLAIN_MESSAGE_CASES)
def test_structural_mistakes_get_plain_messages(case, mutate, path, message):
    with pytest.raises(ScenarioError) as info:
        build_scenario(mutate(minimal_raw()))
    assert [(p.path, p.message) for p in info.value.problems] == [(path, message)]


def test_sanctions_list_may_name_countries_without_applicants(tmp_path):
    raw = minimal_raw()
    raw["rules"].append(
        {
            "name": "sanctions",
            "gate": "screening",
            "effect": "ban",
            "selector": {"countries": ["RU", "IR", "KP", "SY"]},
        }
    )
    raw["rules"][0]["by_country"] = {"US": 0.5, "CN": 0.1}  # CN: no applicant, but US applies
    f = write_scenario(tmp_path / "s.toml", raw)
    with pytest.warns(ScenarioWarning) as caught:
        sc = samplesim.load_scenario(f)
    assert [str(w.message) for w in caught] == [
        f"{f}: rules[1].selector.countries: no applicant, partner or reviewer is from "
        "RU, IR, KP, SY, so this never applies"
    ]
    assert sc.rules[1].selector.countries == ["RU", "IR", "KP", "SY"]
    with pytest.warns(ScenarioWarning):
        assert validate_file(f) == []
    # One applicant from a listed country: the rule applies, nothing to warn about.
    raw["institutions"][1]["country"] = "IR"
    assert check_warnings(build_scenario(raw)) == []


@pytest.mark.parametrize("code", ["Russia", "ru", "RUS", "R", ""])
def test_malformed_country_codes_are_refused(code):
    raw = minimal_raw()
    raw["rules"][0]["selector"] = {"countries": ["US", code]}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    (problem,) = info.value.problems
    assert problem.path == "rules[0].selector.countries"
    assert problem.message.startswith(f"{code!r} is not a country code (two capital letters")


def test_unknown_variant(tmp_path):
    f = write_scenario(tmp_path / "s.toml", minimal_raw())
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(f, variant="nope")
    assert _paths(info.value) == ["variants"]
    assert "no variant named 'nope'" in info.value.problems[0].message


def test_variant_problems_are_prefixed_and_base_problems_reported_once():
    raw = minimal_raw()
    raw["inventory"][0]["grams"] = 0
    raw["variants"] = {"big": {"calls": {"round-1": {"close_day": -1}}}}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    paths = _paths(info.value)
    assert "variants.big.calls[0].close_day" in paths
    assert paths.count("inventory[0].grams") == 1
    assert "variants.big.inventory[0].grams" not in paths


def test_variant_naming_missing_entry():
    raw = minimal_raw()
    raw["variants"] = {"v": {"remove_rules": ["no-such-rule"]}}
    with pytest.raises(ScenarioError) as info:
        build_scenario(raw)
    assert "variants.v.remove_rules[0]" in _paths(info.value)


def test_variant_may_change_a_distribution_kind():
    # A variant replacing a lognormal by an exponential must not inherit median/sigma.
    raw = minimal_raw()
    raw["variants"] = {"expo": {"review": {"duration": {"dist": "exponential", "mean": 5}}}}
    sc = build_scenario(raw, variant="expo")
    assert sc.review.duration == Exponential(mean=5)
    assert sc.review.reviewers == 4  # sibling keys of the table are still merged
    # ...while a partial table without `dist` still patches the base distribution.
    raw["variants"] = {"wide": {"review": {"duration": {"sigma": 0.9}}}}
    assert build_scenario(raw, variant="wide").review.duration == LogNormal(14, 0.9)


def test_extends(tmp_path):
    write_scenario(tmp_path / "base.toml", minimal_raw())
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\nname = "child"\n[review]\nreviewers = 6\n')
    sc = samplesim.load_scenario(child)
    assert (sc.name, sc.review.reviewers, sc.review.reviews_per_proposal) == ("child", 6, 2)
    loop = tmp_path / "loop.toml"
    loop.write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(loop)
    assert _paths(info.value) == ["extends"]


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(tmp_path / "nope.toml")
    assert "file not found" in str(info.value)


def test_nothing_in_a_scenario_is_executed(tmp_path):
    marker = tmp_path / "PWNED"
    payload = f"__import__('os').system('touch {marker}')"
    raw = minimal_raw()
    raw["name"] = payload
    raw["description"] = "{{ " + payload + " }} ${HOME} $(touch " + str(marker) + ")"
    raw["institutions"][0]["name"] = payload
    raw["institutions"][0]["propensity"] = 30.0  # it submits in every replication
    raw["rules"][0]["reason"] = payload
    raw["rules"][0]["selector"]["institutions"] = [payload]
    f = write_scenario(tmp_path / "evil.toml", raw)
    sc = samplesim.load_scenario(f)
    assert sc.name == payload
    assert sc.institutions[0].name == payload
    res = samplesim.simulate(sc, seed=1)
    assert (res.proposals["institution"] == payload).any()
    assert not marker.exists()
    # A value that is code where a number is expected is an error, not evaluated.
    raw["horizon_days"] = f"__import__('os').system('touch {marker}') or 900"
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(write_scenario(tmp_path / "evil2.toml", raw))
    assert _paths(info.value) == ["horizon_days"]
    assert not marker.exists()


# --- property tests ------------------------------------------------------------------------

# Examples and deadline come from the hypothesis profile (tests/conftest.py); drawing an
# example runs the real validator, which may be slow on a loaded machine.
PROPS = settings(suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(valid_scenarios())
def test_random_valid_scenarios_load(raw):
    sc = build_scenario(clone(raw))
    # Through TOML text too (what a user writes), with identical results.
    assert build_scenario(tomllib.loads(to_toml(raw))) == sc
    assert sc.sample_types == [t["name"] for t in raw["inventory"]]
    assert [c.close_day for c in sc.calls] == [c["close_day"] for c in raw["calls"]]
    assert sc.review.reviewers == raw["review"]["reviewers"]
    assert sc.allocation.policy == raw["allocation"]["policy"]
    assert [r.name for r in sc.rules] == [r["name"] for r in raw["rules"]]


def _distinct_reviewers_rule(sc: Scenario) -> list[Problem]:
    """With conflict_of_interest, each applicant country needs reviews_per_proposal
    reviewers from other countries (a rule the strategy's construction anticipates)."""
    rv = sc.review
    if not rv.conflict_of_interest:
        return []
    return [
        Problem("review.reviewer_countries", f"too few reviewers outside {c}")
        for c in sorted({i.country for i in sc.institutions})
        if rv.reviewers - rv.reviewer_countries.get(c, 0) < rv.reviews_per_proposal
    ]


def _one_call_rule(sc: Scenario) -> list[Problem]:
    """A rule the strategy's construction knows nothing of (it often draws two calls)."""
    return [Problem("calls", "one call only")] if len(sc.calls) > 1 else []


@pytest.mark.parametrize("new_rule", [_distinct_reviewers_rule, _one_call_rule])
def test_random_scenarios_follow_the_real_validator(monkeypatch, new_rule):
    """valid_scenarios() asks the loader's own checks, so a new rule cannot make it drift."""
    real = loader.check_scenario
    monkeypatch.setattr(loader, "check_scenario", lambda sc, known: real(sc, known) + new_rule(sc))

    @settings(max_examples=40, derandomize=True, database=None, phases=[Phase.generate])
    @given(valid_scenarios())
    def drawn(raw):
        build_scenario(raw)  # raises ScenarioError on a scenario the validator rejects

    drawn()


def _sites(raw: dict[str, Any]) -> dict[str, list[tuple[tuple[Any, ...], str]]]:
    """Corruptible places: (key path as a tuple, the expected problem path)."""

    def dotted(keys: tuple[Any, ...]) -> str:
        out = ""
        for k in keys:
            out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
        return out

    required = [("name",), ("start_date",), ("inventory",), ("calls",), ("institutions",)]
    tables = [(), ("review",), ("proposals",), ("allocation",), ("logistics",), ("screening",)]
    tables += [("panel",)]
    numbers = [("horizon_days",), ("review", "reviewers"), ("review", "load")]
    numbers += [("review", "reliability"), ("proposals", "destructive_probability")]
    for i, _ in enumerate(raw["inventory"]):
        required += [("inventory", i, "name"), ("inventory", i, "grams")]
        tables.append(("inventory", i))
        numbers.append(("inventory", i, "grams"))
    for i, c in enumerate(raw["calls"]):
        required += [("calls", i, k) for k in ("name", "open_day", "close_day")]
        tables.append(("calls", i))
        numbers += [("calls", i, "open_day"), ("calls", i, "close_day")]
        if "decision" in c:
            tables.append(("calls", i, "decision"))
    for i, _ in enumerate(raw["institutions"]):
        required += [("institutions", i, "name"), ("institutions", i, "country")]
        tables.append(("institutions", i))
        numbers.append(("institutions", i, "propensity"))
    for i, r in enumerate(raw["rules"]):
        required += [("rules", i, k) for k in ("name", "gate", "effect")]
        tables += [("rules", i), ("rules", i, "selector")]
        if "success_probability" in r:
            numbers.append(("rules", i, "success_probability"))
    dur = raw["review"]["duration"]
    if isinstance(dur, dict):
        required += [("review", "duration", k) for k in dur if k != "weights"]
        tables.append(("review", "duration"))
    return {
        "drop": [(k, dotted(k)) for k in required],
        "unknown": [((*t, "bogus_key"), dotted((*t, "bogus_key"))) for t in tables],
        "string": [(k, dotted(k)) for k in numbers],
    }


def _parent(raw: dict[str, Any], keys: tuple[Any, ...]) -> Any:
    node: Any = raw
    for k in keys[:-1]:
        node = node[k]
    return node


@PROPS
@given(valid_scenarios(), st.data())
def test_random_single_corruptions_are_reported_at_their_path(raw, data):
    kind = data.draw(st.sampled_from(["drop", "unknown", "string"]), label="kind")
    keys, expected = data.draw(st.sampled_from(_sites(raw)[kind]), label="site")
    bad = clone(raw)
    parent = _parent(bad, keys)
    if kind == "drop":
        del parent[keys[-1]]
    elif kind == "unknown":
        parent[keys[-1]] = 1
    else:
        parent[keys[-1]] = data.draw(st.sampled_from(["12", "nine", ""]), label="string")
    with pytest.raises(ScenarioError) as info:
        build_scenario(bad)
    paths = _paths(info.value)
    assert expected in paths, (kind, expected, info.value.problems)
    assert str(keys[-1]) in expected
    # Corrupting one key reports nothing but that key (and nothing un-located).
    assert all(p == expected for p in paths), info.value.problems


def test_reviewers_all_conflicted_is_an_error() -> None:
    """A country whose proposals can find no reviewer outside it would wait forever."""
    from pathlib import Path

    from samplesim.scenario import build_scenario, load_raw

    raw = load_raw(Path(__file__).resolve().parents[1] / "scenarios" / "small-known.toml")
    raw["review"]["reviewer_countries"] = {"AA": raw["review"]["reviewers"]}
    with pytest.raises(ScenarioError) as exc:
        build_scenario(raw, "x.toml")
    assert any(
        p.path == "review.reviewer_countries" and "from AA" in p.message for p in exc.value.problems
    )
    raw["review"]["conflict_of_interest"] = False
    build_scenario(raw, "x.toml")  # without conflict-of-interest exclusion it is fine


def test_a_table_type_check_survives_any_order_of_first_use():
    """cattrs' ``gen_structure_mapping`` registers the bare mapping hook for its type: a class
    structured after another class with the same table type then skipped the check (a list
    gave "invalid value"). In a fresh interpreter, use ``dict[str, float]`` through
    ``[allocation.balance]`` first, then give ``priority_countries`` a list."""
    code = """
import sys
sys.path.insert(0, "tests")
from helpers import minimal_raw
from samplesim.loading import build_scenario
from samplesim.scenario.convert import structure
from samplesim.scenario.schema import Allocation, Review
structure({"policy": "balanced", "balance": {"contribution": {"US": 1.0}}}, Allocation)
structure({"reviewer_countries": {"US": 2}}, Review)
raw = minimal_raw()
raw["allocation"]["priority_countries"] = ["US"]
raw["review"]["reviewer_countries"] = ["US"]
try:
    build_scenario(raw)
except Exception as e:
    print(sorted((p.path, p.message) for p in e.problems))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == str(
        [
            ("allocation.priority_countries", "expected a table, got a list"),
            ("review.reviewer_countries", "expected a table, got a list"),
        ]
    ), out.stderr
