"""Figures drawn in two processes (samplesim.plots._split): every call is made once, in this
process or a forked child, and whatever the child fails to do is done again here."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

from samplesim.plots import _split
from samplesim.plots._split import can_split, split_calls


def _write_pid(path: Path) -> None:
    path.write_text(str(os.getpid()))


def _calls(tmp_path: Path, n: int) -> list:
    return [partial(_write_pid, tmp_path / f"{i}.txt") for i in range(n)]


def _pids(tmp_path: Path, n: int) -> list[int]:
    return [int((tmp_path / f"{i}.txt").read_text()) for i in range(n)]


def test_every_call_is_made_and_the_child_makes_every_second_one(tmp_path):
    split_calls(_calls(tmp_path, 5))
    pids = _pids(tmp_path, 5)
    me = os.getpid()
    assert pids[0::2] == [me] * 3
    if can_split():
        assert len(set(pids[1::2])) == 1 and pids[1] != me
    else:
        assert pids[1::2] == [me] * 2


def test_without_a_fork_everything_runs_here(tmp_path, monkeypatch):
    monkeypatch.setattr(_split, "can_split", lambda: False)
    split_calls(_calls(tmp_path, 4))
    assert _pids(tmp_path, 4) == [os.getpid()] * 4


def test_one_call_never_forks(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for one call"))
    split_calls(_calls(tmp_path, 1))
    assert _pids(tmp_path, 1) == [os.getpid()]


@pytest.mark.skipif(not can_split(), reason="needs Linux, two cores and no other thread")
def test_what_the_child_could_not_do_is_done_here(tmp_path):
    me = os.getpid()

    def only_here(path: Path) -> None:
        if os.getpid() != me:
            raise RuntimeError("the child fails")
        _write_pid(path)

    calls = [partial(only_here, tmp_path / f"{i}.txt") for i in range(4)]
    split_calls(calls)
    assert _pids(tmp_path, 4) == [me] * 4


def test_an_error_here_is_raised_after_the_child_is_done(tmp_path):
    def boom() -> None:
        raise ValueError("drawing failed")

    calls = [boom, partial(_write_pid, tmp_path / "1.txt")]
    with pytest.raises(ValueError, match="drawing failed"):
        split_calls(calls)
    if can_split():  # the child's call was made, and waited for
        assert (tmp_path / "1.txt").exists()
