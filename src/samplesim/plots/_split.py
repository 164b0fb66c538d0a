"""Drawing a directory's figures in two processes: a forked child draws every second one.

Rendering PNGs is CPU-bound Python (matplotlib): with a second core, a child forked after the
tables are read draws half the figures meanwhile, at no cost in start-up (it inherits the
imported modules and the tables). The files are the same whichever process draws them. Only
where a fork is cheap and safe: Linux, two usable cores, no other Python thread running (a
progress bar, a Dask client). A child that fails or is killed has its figures drawn again
here, so errors surface as usual, in this process.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence

__all__ = ["split_calls"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_split() -> bool:
    """Whether :func:`split_calls` forks here."""
    return (
        sys.platform == "linux"
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and _cores() >= 2
    )


def split_calls(calls: Sequence[Callable[[], object]]) -> None:
    """Make every call (results discarded); a forked child makes every second one meanwhile
    where :func:`can_split`. Whatever the child did not finish is done here afterwards."""
    if len(calls) < 2 or not can_split():
        for call in calls:
            call()
        return
    mine, theirs = calls[0::2], calls[1::2]
    for stream in (sys.stdout, sys.stderr):  # nothing buffered twice
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
        status = 1
        try:
            for call in theirs:
                call()
            status = 0
        finally:
            os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
    try:
        for call in mine:
            call()
    finally:
        _, wait_status = os.waitpid(pid, 0)  # the child finishes its few figures first
    if os.waitstatus_to_exitcode(wait_status) != 0:
        for call in theirs:
            call()
