"""Renewable, perishable resources (``[[inventory]] renewable = true``): the inventory's
periods with known answers, no roll-over, invariants and determinism, bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import samplesim
from helpers import SCENARIOS, assert_refused, minimal_raw, write_scenario
from samplesim import cli
from samplesim.model.inventory import Inventory
from samplesim.plots.files import load_run
from samplesim.scenario import build_scenario
from samplesim.scenario.resources import n_periods
from test_invariants import check_all

EXAMPLE = SCENARIOS / "examples" / "beamtime.toml"


def test_inventory_periods_known_answer():
    inv = Inventory(["shifts", "rock"], [0.0, 2.0], [1.0, 0.1], [(10.0, 100.0, 5.0), None])
    assert inv.budget() == {"shifts": 0.0, "rock": 2.0}  # before the first period: nothing
    inv.lend(20.0, np.array([3.0, 0.5]))
    assert inv.budget() == {"shifts": 2.0, "rock": 1.5}
    inv.reserve(110.0, 0.2)  # period 1 opened first: the 2 left expired, 5 offered
    assert inv.budget() == pytest.approx({"shifts": 4.0, "rock": 1.2})
    inv.lend(150.0, np.array([4.0, 0.0]))
    inv.take_back(160.0, np.array([4.0, 0.5]))  # shifts are used up; rock goes back
    assert inv.consumed[0] == 4.0 and inv.remaining[1] == pytest.approx(1.7)
    assert inv.close(250.0) == (
        (0, 0, 10.0, 5.0, 3.0, 2.0, 0.0),
        (0, 1, 110.0, 5.0, 4.0, 1.0, 0.0),  # the reserve expired too
        (0, 2, 210.0, 5.0, 0.0, 0.0, 5.0),
    )
    days = [row[0] for row in inv.log]
    assert days == sorted(days)


def test_periods_open_in_day_order_across_types():
    inv = Inventory(["a", "b"], [0.0, 0.0], [1.0, 1.0], [(0.0, 10.0, 1.0), (5.0, 10.0, 2.0)])
    inv.advance(26.0)
    assert [(int(r[0]), r[2]) for r in inv.periods] == [(0, 0), (1, 5), (0, 10), (1, 15), (0, 20),
                                                         (1, 25)]  # fmt: skip
    assert [row[0] for row in inv.log] == sorted(row[0] for row in inv.log)


def test_no_inventory_change_when_nothing_is_renewable():
    inv = Inventory(["rock"], [2.0], [0.1])
    inv.advance(1e9)
    assert inv.periods == [] and inv.close(100.0) == () and inv.budget() == {"rock": 2.0}


@pytest.mark.parametrize(
    ("first", "every", "horizon", "n"),
    [(0, 10, 100, 10), (0, 10, 101, 11), (5, 10, 100, 10), (100, 10, 100, 0), (0, 1000, 10, 1)],
)
def test_n_periods(first, every, horizon, n):
    assert n_periods(first, every, horizon) == n


# --- in a run -------------------------------------------------------------------------------


def _raw(**shifts: Any) -> dict[str, Any]:
    raw = minimal_raw()
    raw["rules"] = []
    raw["inventory"] = [
        {"name": "shifts", "grams": 0, "min_portion_g": 1, "renewable": True,
         "per_period": 5, "period_days": 30, **shifts},
    ]  # fmt: skip
    raw["calls"] = [{"name": "c", "open_day": 0, "close_day": 10}]
    raw["institutions"] = [{"name": "Uni", "country": "US", "propensity": 20.0}]
    raw["proposals"] = {"grams_requested": 1.0, "destructive_probability": 0.0}
    return raw


def test_no_roll_over_a_batch_decision_gets_one_period():
    sc = build_scenario(_raw())
    res = samplesim.simulate(sc, seed=2)
    p, per = res.proposals, res.periods
    day = p["decision_day"].dropna().unique()
    assert len(day) == 1 and day[0] > 60  # decided in the third period or later
    k = int(day[0] // 30)
    assert len(p) > 5
    # Exactly one period's 5 shifts granted, whatever expired before.
    assert p["granted_g:shifts"].sum() == 5.0
    assert per["granted_g"].tolist() == [5.0 if j == k else 0.0 for j in range(len(per))]
    assert (per["expired_g"].iloc[:k] == 5.0).all()
    assert len(per) == n_periods(0, 30, sc.horizon_days)
    check_all(sc, res)


def test_renewable_with_a_stock_and_withdrawals():
    raw = minimal_raw()  # its export licence withdraws half the US grants at shipping
    raw["inventory"].append({"name": "hours", "grams": 0, "min_portion_g": 0.5,
                             "renewable": True, "per_period": 3, "period_days": 90,
                             "first_period_day": 20})  # fmt: skip
    raw["proposals"]["sample_type_weights"] = {"rock": 1, "dust": 1, "hours": 2}
    raw["allocation"]["partial"] = True
    sc = build_scenario(raw)
    withdrawn = 0
    for seed in range(6):
        res = samplesim.simulate(sc, seed=seed)
        check_all(sc, res)
        p = res.proposals
        withdrawn += int(((p["state"] == "blocked") & (p["grams_awarded"] > 0)).sum())
        assert res.periods["granted_g"].sum() > 0
    assert withdrawn > 0  # grants were withdrawn after approval: the take-back path ran


def test_example_invariants_determinism_and_used_fraction():
    sc = samplesim.load_scenario(EXAMPLE)
    for seed in range(3):
        check_all(sc, samplesim.simulate(sc, seed=seed))
    a = samplesim.simulate(sc, seed=5)
    b = samplesim.simulate(samplesim.load_scenario(EXAMPLE), seed=5)
    for t in ("proposals", "events", "inventory", "summary", "periods"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
    used = a.summary.set_index("country").loc["ALL", "inventory_used_fraction"]
    assert used == pytest.approx(a.periods["granted_g"].sum() / a.periods["offered_g"].sum())


def test_periods_table_is_empty_without_renewable_resources():
    res = samplesim.simulate(build_scenario(minimal_raw()), seed=1)
    assert res.periods.empty


# --- bad input ------------------------------------------------------------------------------

BAD = [
    ({"grams": 3}, "inventory[0].grams", "must be 0 for a renewable"),
    ({"per_period": None}, "inventory[0].per_period", "required"),
    ({"period_days": None}, "inventory[0].period_days", "required"),
    ({"per_period": 0}, "inventory[0].per_period", "(0,"),
    ({"period_days": -5}, "inventory[0].period_days", "greater than 0"),
    ({"period_days": 0.001}, "inventory[0].period_days", "more than 100000 periods"),
    ({"first_period_day": -1}, "inventory[0].first_period_day", "from 0"),
    ({"min_portion_g": 6}, "inventory[0].min_portion_g", "exceeds per_period"),
    ({"renewable": "yes"}, "inventory[0].renewable", "true or false"),
    ({"renewable": False, "grams": 4}, "inventory[0].per_period", "only for a renewable"),
    ({"per_period": "many"}, "inventory[0].per_period", "number"),
]


@pytest.mark.parametrize(("change", "path", "words"), BAD, ids=[f"{b[1]}-{k}" for k, b in
                                                                 enumerate(BAD)])  # fmt: skip
def test_bad_resource_keys(tmp_path, capsys, change, path, words):
    raw = _raw()
    t = raw["inventory"][0]
    t.update(change)
    for k in [k for k, v in t.items() if v is None]:
        del t[k]
    assert_refused(tmp_path, capsys, raw, path, words)


def test_run_writes_and_reads_back_the_periods(tmp_path):
    out = tmp_path / "beam"
    assert cli.main(["run", str(EXAMPLE), "--seed", "3", "--out", str(out), "--no-plots"]) == 0
    back = load_run(out)
    fresh = samplesim.simulate(samplesim.load_scenario(EXAMPLE), seed=3)
    pd.testing.assert_frame_equal(back.periods, fresh.periods, check_dtype=False, rtol=1e-5)
    plain = tmp_path / "plain"
    f = write_scenario(tmp_path / "mini.toml", minimal_raw())
    assert cli.main(["run", str(f), "--out", str(plain), "--no-plots"]) == 0
    assert not (plain / "periods.csv").exists() and load_run(plain).periods.empty
