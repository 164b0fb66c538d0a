"""Per-scenario memos: one value per scenario object, gone with it, never shared."""

from __future__ import annotations

import gc
from pathlib import Path

import attrs

from samplesim.loading import load_scenario
from samplesim.model.memo import per_scenario

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "change5-2023.toml"


def test_computed_once_per_scenario_object():
    calls = []

    @per_scenario
    def name_of(sc):
        calls.append(sc)
        return sc.name

    sc = load_scenario(FLAGSHIP)
    assert name_of(sc) == name_of(sc) == sc.name
    assert len(calls) == 1
    other = attrs.evolve(sc, name="other")  # a changed scenario is a new object
    assert name_of(other) == "other"
    assert len(calls) == 2


def test_entry_goes_with_its_scenario():
    @per_scenario
    def ident(sc):
        return object()

    sc = load_scenario(FLAGSHIP)
    first = ident(sc)
    del sc
    gc.collect()
    again = load_scenario(FLAGSHIP)  # may reuse the id: the dead entry is not returned
    assert ident(again) is not first
