"""Worker processes exit when their parent dies (``kill -9`` included), so that no orphan
keeps running: Linux's parent-death signal where available, and a watcher thread that polls
the parent's process id elsewhere (and as a second line of defence)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

__all__ = ["watch_parent"]

#: Seconds between two looks at the parent.
POLL_S = 1.0


def _pdeathsig() -> None:
    """Ask Linux to send SIGKILL to this process when its parent thread exits."""
    import ctypes
    import ctypes.util

    try:  # the interpreter's own symbols hold libc's prctl: no ldconfig run per worker
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        name = ctypes.util.find_library("c")
        if not name:
            return
        prctl = ctypes.CDLL(name, use_errno=True).prctl
    pr_set_pdeathsig = 1
    prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)


def _watch(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(POLL_S)


def watch_parent(parent: int) -> None:
    """Initializer of a worker process whose parent has process id ``parent``."""
    if os.getppid() != parent:  # already gone
        os._exit(1)
    if hasattr(os, "sched_getaffinity"):  # Linux
        with contextlib.suppress(Exception):
            _pdeathsig()
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()
