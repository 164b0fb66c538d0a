"""The experiment directory: atomic parts, refusal rules, resume after a kill, load_results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import samplesim
from samplesim.cli import main
from samplesim.errors import UserError
from samplesim.tidy import CATEGORICAL

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "change5-2023.toml"
SMALL = ROOT / "scenarios" / "small-known.toml"
SAMPLESIM = [sys.executable, "-m", "samplesim"]


def test_refuses_non_empty_dirs_and_other_scenarios(tmp_path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        samplesim.replicate(SMALL, 3, out=out)
    with pytest.raises(UserError, match="no samplesim experiment"):
        samplesim.replicate(SMALL, 3, out=out, resume=True)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

    exp = tmp_path / "exp"
    samplesim.replicate(SMALL, 3, out=exp)
    before = {p: p.stat().st_mtime_ns for p in exp.rglob("*")}
    with pytest.raises(UserError, match="another scenario"):
        samplesim.replicate(FLAGSHIP, 3, out=exp, resume=True)
    with pytest.raises(UserError, match="another spec"):
        samplesim.replicate(SMALL, 3, out=exp, resume=True, seed=2)
    assert {p: p.stat().st_mtime_ns for p in exp.rglob("*")} == before
    # CLI: exit status 2 with a message
    assert main(["run", str(FLAGSHIP), "--replications", "3", "--out", str(exp), "--resume"]) == 2


def test_resume_skips_finished_runs_and_extends(tmp_path):
    out = tmp_path / "exp"
    a = samplesim.replicate(SMALL, 6, out=out, batch_size=2)
    assert a.executed == 6
    b = samplesim.replicate(SMALL, 6, out=out, resume=True)
    assert b.executed == 0
    pd.testing.assert_frame_equal(a.runs, b.runs)
    c = samplesim.replicate(SMALL, 9, out=out, resume=True, batch_size=2)
    assert c.executed == 3 and c.runs["replication"].nunique() == 9
    man = json.loads((out / "manifest.json").read_text())
    assert man["kind"] == "replications" and len(man["finished_keys"]) == 9
    assert man["spec"]["scenario_digest"] == man["scenario_digest"]


def test_killed_run_resumes_to_the_same_table(tmp_path):
    # 20 parts of 5 runs: killed after 4, with 16 parts (1-2 s here) left to resume; the
    # claim does not depend on the size (300 runs took three times as long for nothing more).
    n, batch = 100, 5
    ref = samplesim.replicate(FLAGSHIP, n, seed=4).runs
    out = tmp_path / "killed"
    cmd = [*SAMPLESIM, "run", str(FLAGSHIP), "--replications", str(n), "--seed", "4",
           "--executor", "serial", "--batch-size", str(batch), "--out", str(out),
           "--quiet"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    parts = out / "parts"
    while time.monotonic() < deadline:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 4:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_parts = len(list(parts.glob("part-*.parquet")))
    assert proc.returncode == -signal.SIGKILL and 4 <= n_parts < n // batch
    assert not (out / "runs.parquet").exists()
    partial = samplesim.load_results(out)  # an interrupted experiment loads too
    assert 0 < partial["replication"].nunique() < n
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), ref)
    loaded = samplesim.load_results(out)  # the same rows; variant/country/metric categorical
    assert all(isinstance(loaded[c].dtype, pd.CategoricalDtype) for c in CATEGORICAL)
    pd.testing.assert_frame_equal(pd.DataFrame(loaded).astype({c: str for c in CATEGORICAL}), ref)


def test_parts_are_written_atomically(tmp_path):
    out = tmp_path / "exp"
    samplesim.replicate(SMALL, 4, out=out, batch_size=2)
    names = sorted(os.listdir(out / "parts"))
    # Per batch: its runs and its per-call rows, under the same digest; no temporary file left.
    assert all(n.startswith(("part-", "percall-")) and n.endswith(".parquet") for n in names)
    parts = [n for n in names if n.startswith("part-")]
    assert len(parts) == 2 and [n for n in names if n.startswith("percall-")] == [
        "percall-" + n.removeprefix("part-") for n in parts
    ]
    assert not [n for n in os.listdir(out) if n.startswith(".")]


def test_results_command(tmp_path, capsys):
    out = tmp_path / "exp"
    samplesim.compare(SMALL, ["lottery"], replications=3, out=out, plots=False)
    assert main(["results", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kind: comparison" in text and "lottery" in text
    assert main(["results", str(tmp_path / "nothing")]) == 2
