"""Faults: SIGKILL at random moments then ``--resume``, workers orphaned by a killed parent,
two runs into one ``--out``, a changed scenario on resume, a disk that fills up, damaged parts
set aside, leftovers of killed commands, a closed stdout pipe."""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import samplesim
from helpers import SMALL
from hostile import assert_refused, damage, run_in_process, run_subprocess

SAMPLESIM = [sys.executable, "-m", "samplesim"]
S = str(SMALL)
#: Tables an experiment writes, compared between a killed-and-resumed and a clean run.
TABLES = ("runs.parquet", "replications.csv", "comparison.csv", "points.csv")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    got = {}
    for name in TABLES:
        f = out / name
        if f.exists():
            got[name] = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)
    return got


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_at_random_moment(cmd: list[str], out: Path, rng: random.Random) -> list[int]:
    """Start ``cmd``, SIGKILL it after a random number of finished parts plus a random delay;
    returns the worker processes it had."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    want = rng.randint(1, 4)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = workers or _children(proc.pid)
        if len(list((out / "parts").glob("part-*.parquet"))) >= want:
            break
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.05))
    workers = workers or _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "finished before the kill: make it longer"
    assert not (out / "runs.parquet").exists()
    return workers


#: Killed while runs execute, compared on the tables: no figures (drawn after the last run).
KILLED = [
    ("run", ["run", S, "--replications", "100", "--batch-size", "2", "--no-plots"], 11),
    ("compare", ["compare", S, "--variants", "lottery,no-licence", "--replications", "40",
                 "--batch-size", "2", "--no-plots"], 12),
    ("sweep", ["sweep", S, "--param", "review.reviewers=3:9", "--samples", "24",
               "--replications", "2", "--batch-size", "2", "--no-plots"], 13),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "args", "seed"), KILLED, ids=[k[0] for k in KILLED])
def test_sigkill_then_resume_gives_the_tables_of_an_uninterrupted_run(kind, args, seed, tmp_path):
    """compare is killed while it runs on worker processes: they must exit too."""
    rng = random.Random(seed)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    common = ["--seed", str(seed), "--quiet"]
    serial = ["--executor", "serial"]
    where = ["--executor", "processes", "--jobs", "2"] if kind == "compare" else serial
    o = run_in_process([*args, *common, *serial, "--out", str(clean)], tmp_path, timeout=120)
    assert o.status == 0, o.stderr
    cmd = [*SAMPLESIM, *args, *common, *where, "--out", str(killed)]
    workers = _kill_at_random_moment(cmd, killed, rng)
    if kind == "compare":
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert workers and not any(_alive(w) for w in workers), "orphaned workers"
    o = run_in_process([*args, *common, *serial, "--out", str(killed), "--resume"], tmp_path,
                       timeout=120)  # fmt: skip
    assert o.status == 0, o.stderr
    ref, got = _tables(clean), _tables(killed)
    assert set(ref) == set(got) and "runs.parquet" in got
    for name in ref:
        pd.testing.assert_frame_equal(got[name], ref[name], obj=name)
    assert not list(killed.glob(".samplesim.lock"))


def test_resume_refuses_a_changed_scenario_file(tmp_path):
    scen = tmp_path / "s.toml"
    shutil.copy(SMALL, scen)
    out = tmp_path / "out"
    args = ["run", str(scen), "--replications", "3", "--out", str(out), "--quiet"]
    assert run_in_process(args, tmp_path).status == 0
    scen.write_text(scen.read_text().replace('policy = "lottery"', 'policy = "merit_rank"'))
    before = sorted((p, p.stat().st_mtime_ns) for p in out.rglob("*"))
    assert_refused(run_in_process([*args, "--resume"], tmp_path), [str(out), "scenario"])
    assert sorted((p, p.stat().st_mtime_ns) for p in out.rglob("*")) == before


def test_two_runs_into_one_out_one_wins(tmp_path):
    from samplesim.paths import lock_dir, unlock_dir

    out = tmp_path / "out"
    fd = lock_dir(out)  # another process is writing there
    try:
        o = run_in_process(["run", S, "--replications", "3", "--out", str(out)], tmp_path)
        assert_refused(o, [str(out), "another samplesim process"])
        assert os.listdir(out) == [".samplesim.lock"]
    finally:
        unlock_dir(out, fd)
    # the real race: two processes started together
    cmd = [*SAMPLESIM, "run", S, "--replications", "10", "--executor", "serial", "--out",
           str(out), "--quiet"]  # fmt: skip
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=_env())
             for _ in range(2)]  # fmt: skip
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "another samplesim process" in loser or "not empty" in loser
    ref = samplesim.replicate(SMALL, 10).runs
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), ref)


def _fsize(limit: int):
    def pre() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def test_a_disk_that_fills_never_leaves_a_complete_looking_directory(tmp_path):
    o = run_subprocess(["run", S, "--out", "one"], tmp_path, extra=_fsize(20_000))
    assert_refused(o, ["one", "File too large"], status=1)
    assert sorted(os.listdir(tmp_path)) == []  # nothing: no out, no .partial
    # Full at the parts (3 kB): no figure would be drawn, nor after the resume (not compared).
    args = ["run", S, "--replications", "12", "--batch-size", "2", "--out", "exp",
            "--executor", "serial", "--no-plots"]  # fmt: skip
    o = run_subprocess(args, tmp_path, extra=_fsize(3_000))
    assert_refused(o, ["exp", "File too large"], status=1)
    man = json.loads((tmp_path / "exp" / "manifest.json").read_text())
    assert man["status"] == "running" and not (tmp_path / "exp" / "runs.parquet").exists()
    # with room again, --resume completes it
    o = run_in_process([*args, "--resume", "--quiet"], tmp_path)
    assert o.status == 0, o.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "exp" / "runs.parquet"), samplesim.replicate(SMALL, 12).runs
    )


def test_resume_sets_damaged_parts_aside_and_runs_them_again(tmp_path):
    out = tmp_path / "exp"
    ref = samplesim.replicate(SMALL, 8, out=out, batch_size=2).runs
    for f in ("runs.parquet", "replications.csv"):
        (out / f).unlink()
    parts = sorted((out / "parts").glob("part-*.parquet"))
    damage(parts[0], "truncated")
    damage(parts[1], "garbage")
    (out / "parts" / "errors-0.json").write_text("{")
    (out / "errors.csv").write_text("key,error\nstale,boom\n")  # from an earlier attempt
    o = run_in_process(["run", S, "--replications", "8", "--batch-size", "2", "--out",
                        str(out), "--resume", "--quiet"], tmp_path)  # fmt: skip
    assert o.status == 0, o.stderr
    assert o.stderr.count("set aside") == 3 and parts[0].name in o.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), ref)
    kept = sorted(p.name for p in (out / "parts").glob("*.damaged"))
    assert kept == sorted([parts[0].name + ".damaged", parts[1].name + ".damaged",
                           "errors-0.json.damaged"])  # fmt: skip
    man = json.loads((out / "manifest.json").read_text())
    assert sorted(man["set_aside"]) == kept
    assert not (out / "errors.csv").exists()  # a clean resume removes the stale errors


def test_resume_with_fewer_replications_agrees_with_its_tables(tmp_path):
    out = tmp_path / "exp"
    samplesim.replicate(SMALL, 6, out=out)
    r = samplesim.replicate(SMALL, 4, out=out, resume=True)
    loaded = samplesim.load_results(out)
    # load_results gives categoricals (variant, country, metric); the values must agree
    pd.testing.assert_frame_equal(loaded, r.runs, check_dtype=False, check_categorical=False)
    assert loaded["replication"].nunique() == 4
    assert pd.read_csv(out / "replications.csv")["n"].max() == 4


def test_leftovers_of_killed_commands_are_cleaned(tmp_path):
    dead = 2**22 + 12345  # above pid_max's default: no such process
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    orphan = tmp_path / f".out.partial-{dead}-abc"
    old = tmp_path / ".out.partial-xyz"  # an older name without a process id
    mine = tmp_path / f".out.partial-{os.getpid()}-live"  # a live process: kept
    for d in (orphan, old, mine):
        d.mkdir()
        (d / "proposals.parquet").write_text("half")
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    o = run_in_process(["run", S, "--out", str(tmp_path / "out"), "--no-plots", "--quiet"],
                       tmp_path)  # fmt: skip
    assert o.status == 0, o.stderr
    assert sorted(os.listdir(tmp_path)) == [mine.name, "out"]


def test_a_closed_stdout_pipe_ends_quietly(tmp_path):
    out = tmp_path / "exp"
    samplesim.replicate(SMALL, 3, out=out)
    p = subprocess.Popen([*SAMPLESIM, "results", str(out)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=_env())  # fmt: skip
    p.stdout.close()  # like `| head` that has already exited
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0 and "Traceback" not in err and "BrokenPipe" not in err


def test_a_single_run_refuses_an_out_another_command_is_writing(tmp_path):
    from samplesim.paths import _lock_file, unlock_dir

    out = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    fd = _lock_file(lock, out)
    try:
        o = run_in_process(["run", S, "--out", str(out), "--no-plots", "--quiet"], tmp_path)
        assert_refused(o, [str(out), "another samplesim process"])
        assert os.listdir(tmp_path) == [".out.lock"]
    finally:
        unlock_dir(out, fd, lock)
    o = run_in_process(["run", S, "--out", str(out), "--no-plots", "--quiet"], tmp_path)
    assert o.status == 0, o.stderr
    assert sorted(os.listdir(tmp_path)) == ["out"]  # the lock file is gone with its holder


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                       capture_output=True)  # fmt: skip
    return r.returncode == 0


def test_read_only_and_full_file_systems(tmp_path):
    ro, small = tmp_path / "ro", tmp_path / "small"
    if shutil.which("mount") is None or not _mount_tmpfs(ro, "ro,size=1m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        o = run_in_process(["run", S, "--out", str(ro / "out"), "--quiet"], tmp_path)
        assert_refused(o, [str(ro / "out"), "Read-only file system"])
        assert _mount_tmpfs(small, "size=64k")
        args = ["run", S, "--replications", "400", "--batch-size", "1", "--executor", "serial",
                "--out", str(small / "exp"), "--quiet"]  # fmt: skip
        o = run_in_process(args, tmp_path, timeout=60)
        assert_refused(o, [str(small / "exp"), "No space left on device"], status=1)
        man = json.loads((small / "exp" / "manifest.json").read_text())
        assert man["status"] == "running"
        assert not (small / "exp" / "runs.parquet").exists()
    finally:
        for d in (small, ro):
            subprocess.run(["umount", str(d)], capture_output=True)
