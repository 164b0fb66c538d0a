"""A lean stand-in for ``env.process(generator)``: the same events, numbered alike, fewer
objects.

A proposal's path is a generator that nobody waits on (no process ever yields it or
interrupts it). :func:`start` runs one exactly as a :class:`simpy.Process` would: its start
is an urgent event scheduled now (simpy's ``Initialize``), each yielded event resumes it
through its callbacks, a failed event is thrown into it. What it saves is the ``Process``
object, its bookkeeping on every resume (the active process, the target), and the event of
its end: simpy schedules the ended process as an event nobody listens to; here the number
that event would take is drawn from the environment's counter and nothing is scheduled, so
every later event has the number (and the place in the queue) it has under simpy and the
run's event count (:attr:`samplesim.model.world.World.n_events`) is unchanged.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from simpy.events import URGENT

__all__ = ["start"]

Path = Generator[simpy.Event, Any, Any]


def start(env: simpy.Environment, gen: Path) -> None:
    """Run ``gen`` from now on, as ``env.process(gen)`` would (see the module's notes)."""
    go = simpy.Event(env)
    go._ok, go._value = True, None  # simpy's Initialize: triggered, urgent, scheduled now
    go.callbacks.append(_Resume(env, gen))  # type: ignore[union-attr]
    env.schedule(go, URGENT)


class _Resume:
    """The callback that resumes one generator with the value of the event it waited on."""

    __slots__ = ("env", "gen")

    def __init__(self, env: simpy.Environment, gen: Path) -> None:
        self.env, self.gen = env, gen

    def __call__(self, event: simpy.Event) -> None:
        gen = self.gen
        while True:
            try:
                if event._ok:
                    event = gen.send(event._value)
                else:  # as simpy: the failure is handled here (or it fails the run)
                    event._defused = True  # type: ignore[attr-defined]
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    event = gen.throw(exc)
            except StopIteration:
                next(self.env._eid)  # type: ignore[attr-defined]  # the end event's number
                return
            if event.callbacks is not None:  # not yet processed: resume when it is
                event.callbacks.append(self)
                return
