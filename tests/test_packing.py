"""Packed batches (what experiment workers send back) give the tables that per-run arrays gave,
whatever the order in which batches finish; batch sizes cover every run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from samplesim.experiment.call_tables import call_rows
from samplesim.experiment.driver import _batches
from samplesim.experiment.plan import make_plan
from samplesim.experiment.task import frame
from samplesim.results_dir import sort_runs
from samplesim.store import MemoryStore
from samplesim.worker import run_batch, run_packed

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"
TWO_CALLS = ROOT / "scenarios" / "two-agencies-reciprocity.toml"


@pytest.mark.parametrize(
    ("path", "variants"),
    [
        (FLAGSHIP, ["lottery", "baseline", "wolf-lifted"]),
        (TWO_CALLS, ["wolf-lifted", "baseline", "partner-priority"]),
    ],
    ids=["flagship", "two-calls"],
)
def test_packed_batches_give_the_tables_of_the_per_run_arrays(path, variants):
    plan = make_plan("comparison", path, 3, variants)
    specs = plan.runs(range(5))
    tasks = [plan.task(specs[i : i + 2], None) for i in range(0, len(specs), 2)]
    done = [run_batch(t)[0] for t in tasks]
    want_runs = sort_runs(pd.concat([frame(d, plan.seed) for d in done], ignore_index=True))
    want_calls = pd.concat([call_rows(d, plan.seed) for d in done], ignore_index=True)
    # in run order (the variants sorted), each run's rows as they were
    want_calls = want_calls.sort_values(["point", "variant", "replication"], kind="stable")
    want_calls = want_calls.reset_index(drop=True)
    packed = [run_packed(t) for t in tasks]
    forward, backward = MemoryStore(), MemoryStore()
    for b in packed:
        forward.add_packed(b)
    for b in reversed(packed):  # batches finishing in another order
        backward.add_packed(b)
    pd.testing.assert_frame_equal(forward.runs(), want_runs, check_exact=True)
    pd.testing.assert_frame_equal(backward.runs(), want_runs, check_exact=True)
    pd.testing.assert_frame_equal(forward.calls(), want_calls, check_exact=True)
    pd.testing.assert_frame_equal(backward.calls(), want_calls, check_exact=True)
    assert forward.done_keys() == {s.key for s in specs}


@pytest.mark.parametrize(
    ("n", "jobs", "size"),
    [(1000, 2, None), (100, 2, None), (7, 2, None), (10, 2, 3), (50, 1, None)],
)
def test_batches_cover_every_run_once(n, jobs, size):
    sizes = _batches(n, jobs, size)
    assert sum(sizes) == n and all(s > 0 for s in sizes)
    if size is not None:
        assert all(s == size for s in sizes[:-1])
    else:
        assert sizes == sorted(sizes, reverse=True) and max(sizes) <= 50
