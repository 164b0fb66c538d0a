"""The hostile-input corpus (tests/hostile.py) against validate, run, compare, sweep,
results, plot and report: every case exits 2 (1 for an I/O fault) with one ``error:`` line
naming the key or the file, no traceback, nothing left behind, within memory and time limits.

Every generated scenario case runs in-process through ``samplesim validate`` (fast, under a
time limit); a representative member of each class also runs as a subprocess of ``run``,
``compare`` and ``sweep`` under ``RLIMIT_AS`` 4 GiB.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import SMALL, minimal_raw, to_toml
from hostile import (
    MEMORY_LIMIT,
    VARIANT_OPS,
    Case,
    Outcome,
    assert_refused,
    damage,
    file_kind_cases,
    manifest_mutations,
    nesting_cases,
    number_cases,
    run_in_process,
    run_subprocess,
    scenario_cases,
    size_cases,
    snapshot,
    variant_op_cases,
)
from samplesim import limits as L

SCENARIO_CASES = scenario_cases()


def _memory_limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _names(case: Case, path: str) -> list[str]:
    return [path, *([case.key] if case.key else [])]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, dict]:
    """Every generated case through ``samplesim validate``, in one subprocess under the
    4 GiB address-space limit (each case with its own time limit)."""
    root = tmp_path_factory.mktemp("corpus")
    script = Path(__file__).with_name("hostile.py")
    r = subprocess.run(
        [sys.executable, str(script), str(root)], capture_output=True, text=True, timeout=300,
        preexec_fn=_memory_limit, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[c.id for c in SCENARIO_CASES])
def test_validate_refuses_every_generated_scenario(case: Case, corpus) -> None:
    res = corpus[case.id]
    assert_refused(Outcome(res["status"], "", res["stderr"]), _names(case, res["path"]))
    assert res["left"] == []


def test_the_corpus_covers_every_class() -> None:
    ids = {c.id for c in SCENARIO_CASES}
    for needed in ("fifo", "dev-zero", "dev-urandom", "symlink-loop", "int5000-horizon_days",
                   "inline-20000", "array-20000", "size-horizon_days-0", "add_rules-string",
                   "remove_rules-list-of-tables", "size-review.load-0"):  # fmt: skip
        assert needed in ids
    assert len(SCENARIO_CASES) > 80


#: One member of each class, for the commands that run (subprocesses with the memory limit).
REPRESENTATIVES = [
    next(c for c in file_kind_cases() if c.id == "dev-urandom"),
    next(c for c in nesting_cases() if c.id == "inline-20000"),
    next(c for c in number_cases() if c.id == "int5000-institutions[0].count"),
    next(c for c in size_cases() if c.id == "size-proposals.co_investigators-0"),
    next(c for c in variant_op_cases() if c.id == "remove_rules-list-of-lists"),
]
COMMANDS = {
    "run": ["run", "{path}", "--out", "out", "--no-plots"],
    "compare": ["compare", "{path}", "--replications", "2", "--out", "out"],
    "sweep": ["sweep", "{path}", "--param", "review.reviewers=3:5", "--samples", "2",
              "--out", "out"],
}  # fmt: skip
SUBPROCESS_CASES = [
    (REPRESENTATIVES[0], "run"),
    (REPRESENTATIVES[1], "run"),
    (REPRESENTATIVES[4], "compare"),
    (REPRESENTATIVES[3], "sweep"),
]
# The other representatives run in-process (test_run_refuses_in_process_and_leaves_nothing).


@pytest.mark.parametrize(
    ("case", "command"), SUBPROCESS_CASES, ids=[f"{c.id}-{m}" for c, m in SUBPROCESS_CASES]
)
def test_commands_refuse_hostile_scenarios_within_limits(case, command, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    before = snapshot(tmp_path)
    args = [a.format(path=path) for a in COMMANDS[command]]
    o = run_subprocess(args, tmp_path)
    assert_refused(o, _names(case, path))
    assert snapshot(tmp_path) == before  # no out/, no partial directory


IN_PROCESS = [
    *[("run", c) for c in [*REPRESENTATIVES, *SCENARIO_CASES[::7]]],
    *[("sweep", c) for c in SCENARIO_CASES[3::11]],
    *[("compare", c) for c in variant_op_cases()[::4]],
]


@pytest.mark.parametrize(
    ("command", "case"), IN_PROCESS, ids=[f"{m}-{c.id}" for m, c in IN_PROCESS]
)
def test_commands_refuse_in_process_and_leave_nothing(command: str, case: Case, tmp_path):
    path = case.make(tmp_path)
    before = snapshot(tmp_path)
    args = [a.format(path=path) for a in COMMANDS[command]]
    o = run_in_process([*args, "--quiet"], tmp_path)
    assert_refused(o, _names(case, path))
    assert snapshot(tmp_path) == before


def test_force_lifts_soft_limits_only(tmp_path: Path) -> None:
    soft = tmp_path / "soft.toml"
    raw = minimal_raw()
    raw["review"]["load"] = L.MAX_REVIEW_SLOTS  # reviewers x load over the soft limit
    soft.write_text(to_toml(raw))
    assert_refused(run_in_process(["validate", str(soft)], tmp_path), ["review.load", "--force"])
    assert run_in_process(["validate", str(soft), "--force"], tmp_path).status == 0
    hard = tmp_path / "hard.toml"
    hard.write_text(to_toml({**minimal_raw(), "horizon_days": 1e300}))
    o = run_in_process(["validate", str(hard), "--force"], tmp_path)
    assert_refused(o, ["horizon_days", str(L.MAX_HORIZON_DAYS).rstrip("0").rstrip(".")[:6]])


# --- command-line arguments --------------------------------------------------------------------

S = str(SMALL)
BIG = str(2**63)
ARG_CASES: list[tuple[str, list[str], str]] = [
    *[(f"seed-{cmd}", [cmd, S, *extra, "--seed", v], "--seed")
      for cmd, extra in (("run", []), ("run", ["--replications", "3"]),
                         ("compare", ["--replications", "2"]),
                         ("sweep", ["--param", "review.reviewers=3:5", "--samples", "2"]))
      for v in (BIG, str(10**30), "-1")],
    *[(f"replications-{cmd}-{v}", [cmd, S, "--replications", v, *extra], "--replications")
      for cmd, extra in (("run", []), ("compare", []),
                         ("sweep", ["--param", "review.reviewers=3:5", "--samples", "2"]))
      for v in ("1000000000", str(L.MAX_REPLICATIONS + 1))],
    *[(f"batch-size-{v}", ["run", S, "--replications", "3", "--batch-size", v], "--batch-size")
      for v in ("0", "-5", str(L.MAX_BATCH_SIZE + 1))],
    ("precision-country", ["run", S, "--precision", "approved@XX=0.5"], "XX"),
    ("precision-format", ["run", S, "--precision", "approved"], "--precision"),
    ("precision-metric", ["run", S, "--precision", "nope=1"], "nope"),
    ("samples-huge", ["sweep", S, "--param", "review.reviewers=3:5", "--samples", "10**12"],
     "--samples"),
    ("samples-over", ["sweep", S, "--param", "review.reviewers=3:5", "--samples",
                      str(L.MAX_SAMPLES + 1)], "--samples"),
    ("levels-over", ["sweep", S, "--grid", "--param", "review.reviewers=3:5", "--levels",
                     str(L.MAX_LEVELS + 1)], "--levels"),
    ("levels-grid-product", ["sweep", S, "--grid", "--param", "review.reviewers=3:5",
                             "--param", "review.reliability=0.1:0.9", "--param",
                             "screening.incomplete_probability=0:0.5", "--levels", "1000"],
     "points"),
    ("levels-unknown-path", ["sweep", S, "--grid", "--param", "review.reviewers=3:5",
                             "--levels", "review.nope=3"], "review.nope"),
    ("param-twice", ["sweep", S, "--param", "review.reviewers=3:5", "--param",
                     "review.reviewers=4:9", "--samples", "2"], "review.reviewers"),
    ("outcomes-country", ["sweep", S, "--param", "review.reviewers=3:5", "--samples", "2",
                          "--outcomes", "approved@XX"], "XX"),
    ("outcomes-metric", ["sweep", S, "--param", "review.reviewers=3:5", "--samples", "2",
                         "--outcomes", "nope"], "nope"),
    ("jobs-zero", ["run", S, "--replications", "3", "--jobs", "0"], "--jobs"),
]  # fmt: skip


@pytest.mark.parametrize(("cid", "args", "names"), ARG_CASES, ids=[c[0] for c in ARG_CASES])
def test_bad_arguments_are_refused_before_anything_is_created(cid, args, names, tmp_path):
    o = run_in_process([*args, "--out", "out", "--quiet"], tmp_path)
    if o.status == 2 and "usage:" in o.stderr:  # argparse refused the literal itself
        assert "Traceback" not in o.stderr
    else:
        assert_refused(o, [names])
    assert list(tmp_path.iterdir()) == []


def test_jobs_over_the_cores_are_capped_with_a_warning(tmp_path: Path) -> None:
    from samplesim.executors import default_jobs

    args = ["run", S, "--replications", "2", "--jobs", str(default_jobs() + 50), "--quiet"]
    o = run_in_process([*args, "--out", "out"], tmp_path)
    assert o.status == 0, o.stderr
    assert f"capped at the {default_jobs()} cores" in o.stderr


def test_the_seed_limit_is_what_numpy_and_the_tables_accept(tmp_path: Path) -> None:
    o = run_in_process(["run", S, "--seed", str(2**63 - 1), "--out", "out", "--quiet",
                        "--no-plots"], tmp_path)  # fmt: skip
    assert o.status == 0, o.stderr


# --- damaged result directories ----------------------------------------------------------------


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    """A complete experiment, an interrupted one (parts only) and a single run."""
    import samplesim

    base = tmp_path_factory.mktemp("dirs")
    samplesim.replicate(SMALL, 4, out=base / "exp", batch_size=2, executor="serial")
    inter = base / "interrupted"
    shutil.copytree(base / "exp", inter)
    for f in ("runs.parquet", "replications.csv"):
        (inter / f).unlink()
    m = json.loads((inter / "manifest.json").read_text())
    (inter / "manifest.json").write_text(json.dumps({**m, "status": "running"}))
    o = run_in_process(["run", S, "--out", str(base / "run"), "--no-plots", "--quiet"], base)
    assert o.status == 0, o.stderr
    return {"exp": base / "exp", "interrupted": inter, "run": base / "run"}


READERS = ("results", "plot", "report")


def _damaged_cases() -> list[tuple[str, str, str, str]]:
    """(id, directory, file:damage, reader): each reader on each file it reads."""
    out = []
    for how in ("truncated", "empty", "garbage"):
        for reader in READERS:
            out.append((f"part-{how}-{reader}", "interrupted", f"parts/*.parquet:{how}", reader))
            out.append((f"runs-{how}-{reader}", "exp", f"runs.parquet:{how}", reader))
            # results reads a run's summary.csv; plot and report its Parquet tables
            f = "summary.csv" if reader == "results" else "proposals.parquet"
            out.append((f"{f.split('.')[0]}-{how}-{reader}", "run", f"{f}:{how}", reader))
    return out


DAMAGED = _damaged_cases()


@pytest.mark.parametrize(("cid", "which", "target", "reader"), DAMAGED,
                         ids=[d[0] for d in DAMAGED])  # fmt: skip
def test_readers_name_a_damaged_file(dirs, cid, which, target, reader, tmp_path):
    d = tmp_path / which
    shutil.copytree(dirs[which], d)
    pattern, _, how = target.partition(":")
    f = sorted(d.glob(pattern))[0]
    damage(f, how)
    before = snapshot(tmp_path)
    o = run_in_process([reader, str(d)], tmp_path)
    assert_refused(o, [f.name, "damaged"])
    assert snapshot(tmp_path) == before  # no plots/, no report.html


MANIFESTS = manifest_mutations()


@pytest.mark.parametrize(("cid", "mutate"), MANIFESTS, ids=[m[0] for m in MANIFESTS])
def test_readers_check_the_manifest_against_its_schema(dirs, cid, mutate, tmp_path):
    d = tmp_path / "exp"
    shutil.copytree(dirs["exp"], d)
    m = json.loads((d / "manifest.json").read_text())
    (d / "manifest.json").write_text(json.dumps(mutate(m)))
    before = snapshot(tmp_path)
    for reader in READERS:
        o = run_in_process([reader, str(d)], tmp_path)
        key = cid.removesuffix("-wrong-type")
        assert_refused(o, ["manifest.json", *([key] if key in m else [])])
    assert snapshot(tmp_path) == before


def test_resume_refuses_a_damaged_manifest_without_touching_it(dirs, tmp_path):
    d = tmp_path / "exp"
    shutil.copytree(dirs["exp"], d)
    (d / "manifest.json").write_text('{"samplesim_manifest": 1, "seed": "abc"}')
    before = snapshot(tmp_path)
    o = run_in_process(["run", S, "--replications", "4", "--out", str(d), "--resume",
                        "--quiet"], tmp_path)  # fmt: skip
    assert_refused(o, [str(d), "damaged"])
    assert snapshot(tmp_path) == before


# --- names matplotlib would parse ------------------------------------------------------------


def test_names_with_mathtext_are_drawn_as_text(tmp_path: Path) -> None:
    raw = minimal_raw()
    raw["name"] = "$\\frac{1}{$ ^_"
    raw["institutions"][0]["name"] = "Uni $x^{$"
    raw["variants"] = {"$lot$": {"allocation": {"policy": "lottery"}}}
    path = tmp_path / "math.toml"
    path.write_text(to_toml(raw))
    o = run_in_process(["run", str(path), "--out", "r", "--quiet"], tmp_path, timeout=120)
    assert o.status == 0, o.stderr
    assert len(list((tmp_path / "r" / "plots").glob("*.png"))) >= 4
    o = run_in_process(["compare", str(path), "--replications", "2", "--out", "c", "--quiet",
                        "--executor", "serial"], tmp_path, timeout=120)  # fmt: skip
    assert o.status == 0, o.stderr
    assert (tmp_path / "c" / "plots" / "comparison.png").exists()  # variant names drawn
    # names never become paths: everything was written under r/ and c/
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "math.toml", "r"]


def test_readme_quotes_the_limits_of_the_code() -> None:
    from helpers import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Limits and guarantees", 1)[1].split("\n## ", 1)[0]
    for value in (L.MAX_FILE_BYTES, L.MAX_DEPTH, L.MAX_PROPOSALS, L.MAX_INSTITUTIONS,
                  L.MAX_CO_INVESTIGATORS, L.MAX_REVIEW_SLOTS, L.MAX_MEETINGS,
                  L.MAX_REPLICATIONS, L.MAX_RUNS, L.MAX_SAMPLES, L.MAX_LEVELS,
                  L.MAX_BATCH_SIZE):  # fmt: skip
        assert re.search(rf"(?<![\d.]){value}(?![\d.])", section), value
    for value in (L.MAX_HORIZON_DAYS, L.MAX_GRAMS, L.MAX_GRAM_RESOLUTION):
        assert f"{value:g}" in section, value
    assert L.MAX_INTEGER == 2**53 and "2**53" in section and L.MAX_SEED == 2**63


# --- where output cannot be written --------------------------------------------------------

#: (command, arguments before the bad path, option taking it); the path goes last.
WRITERS = [
    ("run", ["run", S, "--no-plots", "--out"]),
    ("replications", ["run", S, "--replications", "2", "--executor", "serial", "--out"]),
    ("compare", ["compare", S, "--variants", "lottery", "--replications", "2", "--executor",
                 "serial", "--out"]),
    ("sweep", ["sweep", S, "--param", "review.reviewers=3:5", "--samples", "2",
               "--executor", "serial", "--out"]),
    ("plot", ["plot", "{exp}", "--out"]),
    ("report", ["report", "{exp}", "--out"]),
    ("results-csv", ["results", "{exp}", "--csv"]),
]  # fmt: skip
BAD_PATHS = {
    "proc": "/proc/samplesim-no/out",
    "under-a-file": "{file}/out",
    "sys": "/sys/samplesim-no",
}
OUT_CASES = [(w, args, p) for w, args in WRITERS for p in BAD_PATHS]


@pytest.mark.parametrize(("writer", "args", "where"), OUT_CASES,
                         ids=[f"{w}-{p}" for w, _, p in OUT_CASES])  # fmt: skip
def test_an_output_path_that_cannot_be_written_exits_2(dirs, writer, args, where, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    bad = BAD_PATHS[where].format(file=tmp_path / "a-file")
    args = [a.format(exp=dirs["exp"]) for a in args]
    before = snapshot(tmp_path), snapshot(dirs["exp"])
    o = run_in_process([*args, bad, *(["--quiet"] if writer not in ("plot", "report",
                                                                    "results-csv") else [])],
                       tmp_path, timeout=30)  # fmt: skip
    assert_refused(o, [bad if where != "under-a-file" else "a-file"])
    assert (snapshot(tmp_path), snapshot(dirs["exp"])) == before


# --- properties: any shape of a variant operation, any big integer ------------------------------

_LEAVES = st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip


@given(op=st.sampled_from(VARIANT_OPS), value=_VALUES)
def test_any_variant_operation_is_a_scenario_or_an_error_at_its_key(op, value) -> None:
    from samplesim.loading import build_scenario
    from samplesim.scenario import ScenarioError

    raw = minimal_raw()
    raw["variants"] = {"v": {op: value}}
    try:
        build_scenario(raw, "hostile.toml")
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.path.startswith("variants.v.") for p in exc.problems), exc.problems


@given(n=st.integers(min_value=L.MAX_INTEGER + 1, max_value=10**400), neg=st.booleans())
def test_any_integer_beyond_the_limit_is_refused_at_its_key(n, neg) -> None:
    from samplesim.scenario import ScenarioError
    from samplesim.scenario.reading import check_raw

    raw = minimal_raw()
    raw["review"]["load"] = -n if neg else n
    with pytest.raises(ScenarioError, match=r"review\.load: integer too large"):
        check_raw(raw, "hostile.toml")
    raw["review"]["load"] = L.MAX_INTEGER * (-1 if neg else 1)
    check_raw(raw, "hostile.toml")  # the limit itself is fine
