"""The per-call table (``calls.csv``, ``result.calls``), the per-call funnel and resource units
(``[[inventory]] unit``)."""

from __future__ import annotations

import io

import attrs
import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import samplesim
from helpers import ROOT, minimal_raw, write_scenario
from samplesim import cli, plots
from samplesim.call_table import CALL_COLUMNS, calls_frame
from samplesim.metrics import in_unit, metric_label
from samplesim.model import run_world
from samplesim.plots.call_funnel import call_funnel, call_funnel_counts
from samplesim.scenario import ScenarioError, build_scenario
from samplesim.stages import FUNNEL
from samplesim.summary_table import print_run_summary
from test_invariants import check_all

SHIFTS = ROOT / "tests" / "data" / "calls-shifts.toml"
NAN = float("nan")


@pytest.fixture(scope="module")
def shifts():
    return samplesim.load_scenario(SHIFTS)


def _crafted(sc):
    """A record of ``sc`` (8 calls) whose rows are replaced by six known ones."""
    rec = run_world(sc, 1, 0)
    n, k = 6, len(sc.inventory)
    days = {s: np.full(n, NAN) for s in rec.days}
    # rows: call 0: three submitted (two approved, one with samples), one deterred;
    # call 2: two submitted, none approved, the second a resubmission of row 2. Other calls:
    # nothing.
    days["submitted"] = np.array([10.0, 20.0, 30.0, NAN, 200.0, 210.0])
    days["decision"] = np.array([100.0, 80.0, 90.0, NAN, 300.0, NAN])
    days["samples"] = np.array([130.0, NAN, NAN, NAN, NAN, NAN])
    granted = np.zeros((n, k))
    granted[0, 0], granted[1, 1] = 2.0, 3.5
    return attrs.evolve(
        rec,
        n=n,
        proposal=np.array([0, 1, 2, 3, 4, 2]),
        attempt=np.array([0, 0, 0, 0, 0, 1]),
        call=np.array([0, 0, 0, 0, 2, 2]),
        country=np.array(["AA", "BB", "BB", "CC", "CC", "AA"], dtype=object),
        awarded=np.array([2.0, 3.5, 0.0, 0.0, 0.0, 0.0]),
        state=np.array(
            ["delivered", "pending", "declined", "deterred", "declined", "pending"], dtype=object
        ),
        granted=granted,
        days=days,
    )


def test_known_answers(shifts):
    df = calls_frame(_crafted(shifts)).set_index("call")
    assert list(df.columns) == list(CALL_COLUMNS)[1:]
    c0, c2, c7 = df.loc["round-1"], df.loc["round-3"], df.loc["round-8"]
    assert (c0["submitted"], c0["approved"]) == (3, 2)  # the deterred row is not submitted
    assert c0["acceptance_rate"] == pytest.approx(2 / 3)
    assert c0["grams_granted"] == pytest.approx(5.5)
    # close_day of round-1 is 60: decisions at 100 and 80 -> 40 and 20; samples 130 -> 70.
    assert c0["median_days_deadline_to_decision"] == pytest.approx(30.0)
    assert c0["median_days_deadline_to_samples"] == pytest.approx(70.0)
    assert (c0["applicant_countries"], c0["awardee_countries"]) == (2, 2)
    assert (c0["applicant_country_list"], c0["awardee_country_list"]) == ("AA;BB", "AA;BB")
    assert (c2["submitted"], c2["approved"], c2["grams_granted"]) == (2, 0, 0.0)
    assert (c0["resubmitted"], c2["resubmitted"]) == (0, 1)
    assert c2["acceptance_rate"] == 0.0
    assert np.isnan(c2["median_days_deadline_to_decision"])
    assert (c2["applicant_country_list"], c2["awardee_country_list"]) == ("AA;CC", "")
    assert (c7["submitted"], c7["approved"]) == (0, 0) and np.isnan(c7["acceptance_rate"])
    assert df.loc["round-2", "deadline_date"] == pd.Timestamp("2024-05-30")  # 2024-01-01 + 150
    assert set(df["unit"]) == {"shifts"}


def test_one_row_per_call_in_order_and_lazy(shifts):
    res = samplesim.simulate(shifts, seed=3)
    assert "_calls" in attrs.fields_dict(type(res)) and res.unit == "shifts"
    assert list(res.calls["call"]) == [c.name for c in shifts.calls]
    assert res.calls is res.calls  # built once


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_hold_on_the_shifts_scenario(shifts, seed):
    check_all(shifts, samplesim.simulate(shifts, seed=seed))


def test_flagship_calls_add_up_to_the_summary(flagship_result):
    row = flagship_result.calls.iloc[0]
    all_row = flagship_result.summary.set_index("country").loc["ALL"]
    assert (row["submitted"], row["approved"]) == (all_row["submitted"], all_row["approved"])
    assert row["unit"] == "g"


def test_run_writes_calls_csv_deterministically(tmp_path):
    # The tables are written before the figures are drawn (from the written files): the second
    # run needs no figures for its calls.csv.
    outs = []
    for name, plotting in (("a", []), ("b", ["--no-plots"])):
        out = tmp_path / name
        assert cli.main(["run", str(SHIFTS), "--seed", "5", *plotting, "--out", str(out)]) == 0
        outs.append(out)
    a, b = ((o / "calls.csv").read_bytes() for o in outs)
    assert a == b and a.startswith(b"call,deadline_date,submitted,approved,")
    back = plots.load_run(outs[0])
    live = samplesim.simulate(samplesim.load_scenario(SHIFTS), seed=5).calls
    pd.testing.assert_frame_equal(back.calls, live, check_dtype=False, atol=1e-5)
    assert back.unit == "shifts"
    assert (outs[0] / "plots" / "calls.png").stat().st_size > 0


# --- the per-call funnel ------------------------------------------------------------------


@pytest.mark.parametrize("source", ["flagship", "shifts"])
def test_call_funnel_panels(request, shifts, source):
    res = (
        request.getfixturevalue("flagship_result")
        if source == "flagship"
        else samplesim.simulate(shifts, seed=1)
    )
    fig = call_funnel(res)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == len(res.calls)
    counts = call_funnel_counts(res.proposals, list(res.calls["call"]))
    assert list(counts.columns) == [s.label for s in FUNNEL]  # stages from stages.py
    assert (counts["submitted"].to_numpy() == res.calls["submitted"].to_numpy()).all()
    assert (counts["approved"].to_numpy() == res.calls["approved"].to_numpy()).all()
    for ax, (_, row) in zip(shown, res.calls.iterrows(), strict=True):
        widths = [p.get_width() for p in ax.patches]
        # No notice of intent in these runs: the "intents" bar is left out (as in the funnel).
        assert "intents" not in [t.get_text() for t in ax.get_yticklabels()]
        assert widths == counts.loc[row["call"]].drop("intents").tolist()
        assert row["call"] in ax.get_title() and f"{res.unit} granted" in ax.get_title()
    assert shown[-1].get_xlabel() == "proposals (count)"
    assert fig.get_suptitle().startswith("Proposal funnel by call")


# --- units ------------------------------------------------------------------------------


def test_unit_labels():
    assert in_unit("grams_granted") == ("grams granted", "g")
    assert in_unit("grams_granted", "shifts") == ("shifts granted", "shifts")
    assert in_unit("grams_requested", "mg") == ("grams requested", "mg")
    assert in_unit("approved", "shifts") == ("approved", "count")
    assert metric_label("grams_granted@AA", "hours") == "hours granted (hours) [AA]"
    assert metric_label("grams_granted") == "grams granted (g)"


def test_unit_shows_in_terminal_card_and_report(shifts, tmp_path):
    res = samplesim.simulate(shifts, seed=1)
    buf = io.StringIO()
    print_run_summary(res, shifts, Console(file=buf, width=200))
    text = buf.getvalue()
    assert "shifts" in text and " g;" not in text and "grams" not in text
    assert "shifts granted (shifts)" in repr(res) and "grams" not in repr(res)
    out = tmp_path / "run"
    # The report renders its figures from the tables: the run's own plots/ would be unused.
    assert cli.main(["run", str(SHIFTS), "--seed", "1", "--no-plots", "--out", str(out)]) == 0
    from samplesim.report import build_report

    html = build_report(out)
    assert "By call" in html and "shifts granted (shifts)" in html
    assert "grams granted" not in html


def test_unit_shows_in_run_figures(shifts):
    res = samplesim.simulate(shifts, seed=1)
    alloc = plots.allocation(res)
    assert alloc.axes[0].get_ylabel() == "shifts granted (shifts)"
    inv = plots.inventory_over_time(res)
    assert all("shifts" in ax.get_title() for ax in inv.axes if ax.get_visible())


def test_default_unit_keeps_grams(flagship_result):
    assert flagship_result.unit == "g"
    assert plots.allocation(flagship_result).axes[0].get_ylabel() == "grams granted (g)"


@pytest.mark.parametrize(
    ("units", "path", "words"),
    [
        (["bananas", None], "inventory[0].unit", "unknown unit 'bananas'"),
        (["g", "kg"], "inventory[1].unit", "one unit"),
        ([None, "shifts"], "inventory[1].unit", "earlier sample type is in 'g'"),
    ],
)
def test_bad_units_are_refused_with_the_key_path(tmp_path, capsys, units, path, words):
    raw = minimal_raw()
    for item, unit in zip(raw["inventory"], units, strict=True):
        if unit is not None:
            item["unit"] = unit
    f = write_scenario(tmp_path / "bad.toml", raw)
    with pytest.raises(ScenarioError) as info:
        samplesim.load_scenario(f)
    assert any(p.path == path and words in p.message for p in info.value.problems)
    out = tmp_path / "out"
    assert cli.main(["run", str(f), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: " in err and "Traceback" not in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_every_listed_unit_is_accepted(tmp_path):
    from samplesim.scenario.units import UNITS

    for unit in UNITS:
        raw = minimal_raw()
        for item in raw["inventory"]:
            item["unit"] = unit
        sc = samplesim.load_scenario(write_scenario(tmp_path / f"{unit}.toml", raw))
        assert samplesim.simulate(sc, seed=1).calls["unit"].iloc[0] == unit


def test_call_funnel_shows_intents_when_a_call_has_them():
    sc = samplesim.load_scenario(ROOT / "scenarios" / "examples" / "intake-outline.toml")
    res = samplesim.simulate(sc, seed=1)
    fig = call_funnel(res)
    ax = next(a for a in fig.axes if a.get_visible())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "intents"
    counts = call_funnel_counts(res.proposals, list(res.calls["call"]))
    assert counts["intents"].iloc[0] == res.proposals["intent_day"].notna().sum()
    assert counts["intents"].iloc[0] > counts["submitted"].iloc[0]


def test_a_rolling_call_times_each_request_from_its_arrival():
    raw = minimal_raw()
    raw["calls"] = [{"name": "rolling", "open_day": 0, "close_day": 300,
                     "decision": {"mode": "rolling", "meeting_every_days": 60.0,
                                  "first_meeting_day": 60.0}}]  # fmt: skip
    sc = build_scenario(raw)
    rec = run_world(sc, 1, 0)
    n, k = 3, len(sc.inventory)
    days = {s: np.full(n, NAN) for s in rec.days}
    days["submitted"] = np.array([10.0, 50.0, 100.0])
    days["decision"] = np.array([60.0, 120.0, 180.0])
    days["samples"] = np.array([90.0, NAN, 200.0])
    crafted = attrs.evolve(
        rec, n=n, proposal=np.arange(n), attempt=np.zeros(n, dtype=np.int64),
        call=np.zeros(n, dtype=np.int64), country=np.array(["US", "FR", "US"], dtype=object),
        awarded=np.array([1.0, 1.0, 1.0]), granted=np.ones((n, k)),
        state=np.array(["delivered", "pending", "delivered"], dtype=object), days=days,
    )  # fmt: skip
    row = calls_frame(crafted).set_index("call").loc["rolling"]
    # 50, 70 and 80 days from arrival to decision (not -240, -180, -120 from close_day 300).
    assert row["median_days_deadline_to_decision"] == pytest.approx(70.0)
    assert row["median_days_deadline_to_samples"] == pytest.approx(90.0)  # 80 and 100
