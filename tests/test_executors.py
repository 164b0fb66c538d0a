"""Identical results whichever executor and however many workers; scheduler errors."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

import samplesim
from samplesim.cli import main
from samplesim.errors import UserError
from samplesim.executors import make_executor

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small-known.toml"


@pytest.fixture(scope="module")
def serial_table():
    return samplesim.compare(SMALL, ["lottery", "country-quota"], replications=20, seed=7).runs


def test_processes_equal_serial(serial_table):
    res = samplesim.compare(
        SMALL, ["lottery", "country-quota"], replications=20, seed=7,
        executor="processes", jobs=2, batch_size=3,
    )  # fmt: skip
    pd.testing.assert_frame_equal(res.runs, serial_table)


def test_dask_local_cluster_equals_serial(serial_table):
    pytest.importorskip("distributed")
    res = samplesim.compare(
        SMALL, ["lottery", "country-quota"], replications=20, seed=7,
        executor="dask", jobs=2, batch_size=7,
    )  # fmt: skip
    pd.testing.assert_frame_equal(res.runs, serial_table)


def test_batch_size_does_not_matter(serial_table):
    res = samplesim.compare(SMALL, ["lottery", "country-quota"], 20, seed=7, batch_size=1)
    pd.testing.assert_frame_equal(res.runs, serial_table)


def test_unreachable_scheduler_is_a_quick_user_error(tmp_path, capsys):
    t0 = time.monotonic()
    with pytest.raises(UserError, match="Dask scheduler"):
        make_executor("dask", 1, "tcp://127.0.0.1:9")
    assert time.monotonic() - t0 < 15
    out = tmp_path / "o"
    argv = ["run", str(SMALL), "--replications", "3", "--executor", "dask",
            "--scheduler", "tcp://127.0.0.1:9", "--out", str(out)]  # fmt: skip
    assert main(argv) == 2
    assert "cannot reach" in capsys.readouterr().err and not out.exists()


def test_bad_executor_options():
    with pytest.raises(UserError):
        make_executor("threads")
    with pytest.raises(UserError):
        make_executor("processes", 0)
    with pytest.raises(UserError, match="scheduler"):
        make_executor("serial", 1, "tcp://x:1")
