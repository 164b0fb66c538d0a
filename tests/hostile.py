"""The hostile-input corpus: generators of bad scenario files, bad arguments and damaged
result directories, and a runner that holds each command to the promise (exit 2, or 1 for an
I/O fault; a message naming the key or the file; no traceback; nothing left behind), under a
memory limit and a time limit.

Cases are generated per class from a valid scenario (``helpers.minimal_raw``) and from valid
result directories, so that a new key, limit or file is covered by adding one line to a
table, not one test.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from helpers import minimal_raw, to_toml
from samplesim import limits as L

#: Memory and time limits of each subprocess case.
MEMORY_LIMIT = 4 << 30
TIMEOUT_S = 20.0  # interpreter start-up and imports take most of it on a loaded machine
IN_PROCESS_TIMEOUT_S = 5


@attrs.frozen
class Case:
    """One hostile input: an id, how to make it (``make(dir) -> path argument``), and what the
    message must name (``key``: a key path or file name; ``None``: the file itself)."""

    id: str
    make: Callable[[Path], str]
    key: str | None = None


# --- scenario files ------------------------------------------------------------------------


def _at(raw: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    node = raw
    for p in path[:-1]:
        node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
    node[path[-1]] = value
    return raw


def _text_case(cid: str, text: str | bytes, key: str | None = None) -> Case:
    def make(d: Path) -> str:
        p = d / f"{cid}.toml"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return str(p)

    return Case(cid, make, key)


def _raw_case(cid: str, raw: dict[str, Any], key: str) -> Case:
    return _text_case(cid, to_toml(raw), key)


def _special(cid: str) -> Case:
    def make(d: Path) -> str:
        p = d / cid
        if cid == "fifo":
            os.mkfifo(p)
        elif cid == "directory":
            p.mkdir()
        elif cid == "symlink-loop":
            os.symlink(d / "loop-b", p)
            os.symlink(p, d / "loop-b")
        elif cid == "dangling-symlink":
            os.symlink(d / "nowhere.toml", p)
        else:
            return {"dev-zero": "/dev/zero", "dev-urandom": "/dev/urandom"}[cid]
        return str(p)

    return Case(cid, make, None)


def file_kind_cases() -> list[Case]:
    """Paths that are not regular files, and files that are not scenario text."""
    cases = [
        _special(k)
        for k in ("fifo", "dev-zero", "dev-urandom", "directory", "symlink-loop",
                  "dangling-symlink")
    ]  # fmt: skip
    cases.append(_text_case("oversized", "# x\n" * (L.MAX_FILE_BYTES // 4 + 1)))
    cases.append(_text_case("not-utf8", b'name = "\xff\xfe"\n'))
    cases.append(_text_case("extends-device", 'extends = "/dev/zero"\nname = "x"\n'))
    return cases


def nesting_cases() -> list[Case]:
    """Deep arrays, inline tables and dotted keys, at, above and far above the limit."""
    out = []
    for depth in (L.MAX_DEPTH + 1, 1000, 20_000):
        out.append(_text_case(f"array-{depth}", "x = " + "[" * depth + "]" * depth + "\n"))
        out.append(_text_case(f"inline-{depth}", "x = " + "{a=" * depth + "1" + "}" * depth))
        if depth <= 1000:
            out.append(_text_case(f"dotted-{depth}", "x" + ".a" * depth + " = 1\n"))
    return out


def number_cases() -> list[Case]:
    """Integer literals too long to parse or beyond 2**53, at several keys."""
    out = []
    for digits in (17, 400, 5000):
        for key in ("horizon_days", "review.load", "institutions[0].count"):
            path = {"horizon_days": ["horizon_days"], "review.load": ["review", "load"],
                    "institutions[0].count": ["institutions", 0, "count"]}[key]  # fmt: skip
            raw = _at(minimal_raw(), path, 0)
            text = to_toml(raw)
            # the literal replaces the placeholder 0 written at that key
            literal = "9" * digits
            if key == "horizon_days":
                text = text.replace("horizon_days = 0", f"horizon_days = {literal}")
            elif key == "review.load":
                text = text.replace("load = 0", f"load = {literal}")
            else:
                text = text.replace("count = 0", f"count = {literal}")
            expect = key if digits < 4300 else None
            out.append(_text_case(f"int{digits}-{key}", text, expect))
    return out


#: (key path as a list, values) of the size limits; every value must be refused.
SIZE_MUTATIONS: list[tuple[list[Any], list[Any], str]] = [
    (["institutions", 0, "count"], [10**6, 10**9], "institutions[0].count"),
    (["calls", 0, "demand"], [1e7, 1e12, float("inf")], "calls[0].demand"),
    (["institutions", 0, "propensity"], [1e7, 1e300], "calls[0].demand"),
    (["proposals", "co_investigators"], [1e9, {"dist": "uniform", "low": 0, "high": 1e10}],
     "proposals.co_investigators"),
    (["review", "load"], [10**9], "review.load"),
    (["review", "reviewers"], [10**7], "review.reviewers"),
    (["calls", 0, "decision"], [{"mode": "rolling", "meeting_every_days": 1e-6}],
     "calls[0].decision.meeting_every_days"),
    (["horizon_days"], [1e300, float("inf"), 1e7], "horizon_days"),
    (["inventory", 0, "grams"], [1e17, 1e300], "inventory[0].grams"),
    (["inventory", 0, "min_portion_g"], [1e-9], "inventory[0].min_portion_g"),
    (["calls", 0, "max_grams_per_proposal"], [1e18], "calls[0].max_grams_per_proposal"),
    (["proposals", "grams_requested"], [1e18], "proposals.grams_requested"),
    (["calls", 0, "proposal_counts"], [{"by_country": {"US": 10**9}},
     {"by_institution": {"Uni A": [1, 10**12]}}, {"by_country": {"US": 200_000, "FR": 200_000}}],
     "calls[0].proposal_counts"),
    (["calls", 0, "proposals", "co_investigators"], [1e9], "calls[0].proposals.co_investigators"),
    (["calls", 0, "proposals", "grams_requested"], [1e18], "calls[0].proposals.grams_requested"),
]  # fmt: skip


def size_cases() -> list[Case]:
    """Sizes that would exhaust the machine or break the arithmetic."""
    out = []
    for path, values, key in SIZE_MUTATIONS:
        for j, v in enumerate(values):
            raw = _at(minimal_raw(), path, v)
            if path[-1] == "min_portion_g":
                raw["inventory"][0]["grams"] = 1e4
            cid = f"size-{'.'.join(map(str, path))}-{j}"
            out.append(_raw_case(cid, raw, key))
    # the same limits reached through a variant
    raw = minimal_raw()
    raw["variants"] = {"big": {"institutions": {"Uni A": {"count": 10**7}}}}
    out.append(_raw_case("size-through-variant", raw, "variants.big.institutions[0].count"))
    return out


#: Operations of variants and values of the wrong shape.
VARIANT_OPS = ("add_rules", "add_calls", "add_institutions", "add_inventory",
               "remove_rules", "remove_calls", "remove_institutions")  # fmt: skip
BAD_OP_VALUES: list[tuple[str, Any, str]] = [
    ("string", "x", ""),
    ("int", 3, ""),
    ("table", {"a": 1}, ""),
    ("list-of-ints", [1], "[0]"),
    ("list-of-lists", [[1]], "[0]"),
]


def variant_op_cases() -> list[Case]:
    """``add_*`` / ``remove_*`` given a string, an int, a table, or lists of the wrong items."""
    out = []
    for op in VARIANT_OPS:
        values = [*BAD_OP_VALUES]
        if op.startswith("remove"):
            values.append(("list-of-tables", [{"name": "x"}], "[0]"))
        else:
            values.append(("list-of-strings", ["x"], "[0]"))
        for label, value, suffix in values:
            raw = minimal_raw()
            raw["variants"] = {"v": {op: value}}
            out.append(_raw_case(f"{op}-{label}", raw, f"variants.v.{op}{suffix}"))
    return out


def scenario_cases() -> list[Case]:
    """Every generated bad scenario."""
    return [*file_kind_cases(), *nesting_cases(), *number_cases(), *size_cases(),
            *variant_op_cases()]  # fmt: skip


# --- running a command and judging it --------------------------------------------------------


@attrs.frozen
class Outcome:
    status: int
    stdout: str
    stderr: str


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_subprocess(args: list[str], cwd: Path, extra: Callable[[], None] | None = None,
                   timeout: float = TIMEOUT_S) -> Outcome:  # fmt: skip
    """``samplesim ARGS`` in a subprocess under the memory limit and a timeout."""

    def pre() -> None:
        _limits()
        if extra is not None:
            extra()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run(
        [sys.executable, "-m", "samplesim", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, preexec_fn=pre, env=env,
    )  # fmt: skip
    return Outcome(r.returncode, r.stdout, r.stderr)


class CaseTimeout(BaseException):
    """An in-process case ran past its time limit (not an OSError: nothing may catch it)."""


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def fire(*_: Any) -> None:
        raise CaseTimeout(f"case took over {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_in_process(args: list[str], cwd: Path, timeout: int = IN_PROCESS_TIMEOUT_S) -> Outcome:
    """``samplesim ARGS`` through :func:`samplesim.cli.main` in ``cwd``, with a time limit."""
    from samplesim.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with _alarm(timeout), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):  # fmt: skip
            try:
                status = main(args)
            except SystemExit as exc:  # argparse
                status = int(exc.code or 0)
    finally:
        os.chdir(old)
    return Outcome(status, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, float]:
    """Every path under ``root`` with its modification time (to prove nothing was written)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in [*dirnames, *filenames]:
            p = Path(dirpath) / n
            with contextlib.suppress(OSError):
                out[str(p.relative_to(root))] = os.lstat(p).st_mtime_ns
    return out


def assert_refused(o: Outcome, names: list[str], status: int = 2) -> None:
    """Exit ``status``, an ``error:`` line naming each of ``names``, no traceback."""
    assert o.status == status, (o.status, o.stderr[-2000:])
    assert "Traceback" not in o.stderr and "Traceback" not in o.stdout, o.stderr[-2000:]
    errors = [ln for ln in o.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, o.stderr
    text = o.stderr
    for n in names:
        assert n in text, (n, text)


def manifest_mutations() -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """Manifests that are not objects, and every schema key given a wrong type."""
    from samplesim.manifest_schema import SCHEMA

    out: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("list", lambda m: [m]),
        ("string", lambda m: "manifest"),
        ("null", lambda m: None),
    ]
    for key in sorted(SCHEMA):
        strings = ("kind", "status", "scenario", "scenario_digest", "scenario_file", "variant")
        bad = 3 if key in strings else "abc"
        out.append((f"{key}-wrong-type", lambda m, k=key, b=bad: {**m, k: b}))
    return out


def damage(path: Path, how: str) -> None:
    """Truncate, empty or overwrite a file with garbage."""
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(bytes((i * 7919) % 251 for i in range(max(64, len(data)))))
    elif how == "json-list":
        path.write_text(json.dumps([1, 2]))
    else:
        raise ValueError(how)


def run_corpus(root: Path, command: str = "validate") -> dict[str, dict[str, Any]]:
    """Every generated scenario case through ``samplesim COMMAND`` in this process, each in
    its own directory under ``root``: {id: {status, stderr, path, left}} (``left``: paths the
    case wrote)."""
    out: dict[str, dict[str, Any]] = {}
    cases = scenario_cases()
    assert len({c.id for c in cases}) == len(cases), "case ids must be unique"
    for case in cases:
        d = root / case.id
        d.mkdir()
        path = case.make(d)
        before = snapshot(d)
        try:
            o = run_in_process([command, path], d)
            res = {"status": o.status, "stderr": o.stderr + o.stdout}
        except CaseTimeout as exc:
            res = {"status": -1, "stderr": str(exc)}
        after = snapshot(d)
        res.update(path=path, left=sorted(set(after) - set(before)))
        out[case.id] = res
    return out


if __name__ == "__main__":  # python tests/hostile.py DIR: the corpus under this process' limits
    print(json.dumps(run_corpus(Path(sys.argv[1]))))
