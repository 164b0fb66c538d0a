"""The technical feasibility / curation review (``[feasibility]``): a queue before peer review.

``staff`` assessments run at once (a simpy Resource, first come first served); each takes the
proposal's ``duration`` draw. An assessed proposal is declined (``infeasible``) or passes, its
request kept whole or shrunk to a fraction; the shrunk request is what review and allocation
see. Every draw comes from the proposal's entity stream, stage ``screening``, attributes 10-13
(screening itself uses 0 and 1), so nothing else moves when the review is switched on.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from samplesim.model.arrivals import ProposalTable, draw_keyed
from samplesim.rng import Streams
from samplesim.scenario.schema import Feasibility, Scenario

if TYPE_CHECKING:
    from samplesim.model.decisions import CallDesk
    from samplesim.model.trace import Trace

__all__ = ["FeasibilityDesk", "NoFeasibility", "feasibility_desk"]

#: The feasibility review's first attribute number in the ``screening`` stream.
FIRST = 10


def feasibility_desk(
    env: simpy.Environment, sc: Scenario, p: ProposalTable, streams: Streams
) -> FeasibilityDesk | NoFeasibility:
    """The run's feasibility review; without ``[feasibility]`` one that lets every proposal
    through at once and draws nothing."""
    return FeasibilityDesk(env, sc.feasibility, p, streams) if sc.feasibility.enabled else _OFF


class NoFeasibility:
    """No feasibility review: every proposal goes on, unstamped, without waiting."""

    def route(self, *_args: object) -> Generator[simpy.Event, object, bool]:
        """Let the proposal through (no event: its path does not pause)."""
        return True
        yield  # a generator, for ``yield from``

    def feasible_request(self, _requested: np.ndarray) -> None:
        """None: there was no feasibility review."""
        return None

    def add_row(self, _j: int, _q: ProposalTable) -> None:
        """Nothing to draw."""


_OFF = NoFeasibility()


class FeasibilityDesk:
    """The curation staff of one run and every proposal's draws for their assessment."""

    def __init__(
        self, env: simpy.Environment, fe: Feasibility, p: ProposalTable, streams: Streams
    ) -> None:
        self.env = env
        self.fe, self.streams = fe, streams
        self.staff = simpy.Resource(env, capacity=fe.staff)
        duration, self.infeasible, self.kept = self._draw(p)
        self.duration = duration.tolist()
        n = len(p)
        #: Per proposal: days waited for a free assessor (NaN: never assessed).
        self.wait = np.full(n, np.nan)
        #: Per proposal: True once its assessment is finished.
        self.assessed = np.zeros(n, dtype=bool)

    def _draw(self, p: ProposalTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every proposal's (duration, infeasible, fraction of the request kept when
        assessed: 1 whole, 0 infeasible), from its entity stream."""
        fe, streams = self.fe, self.streams
        duration = draw_keyed(p, streams, "screening", FIRST, fe.duration.sample)

        def uniform(attribute: int) -> np.ndarray:
            return draw_keyed(p, streams, "screening", FIRST + attribute, lambda r, m: r.random(m))

        infeasible = uniform(1) < fe.decline_probability
        shrunk = uniform(2) < fe.shrink_probability
        fraction = np.minimum(
            draw_keyed(p, streams, "screening", FIRST + 3, fe.shrink_to.sample), 1.0
        )
        return duration, infeasible, np.where(infeasible, 0.0, np.where(shrunk, fraction, 1.0))

    def add_row(self, j: int, q: ProposalTable) -> None:
        """Draw row ``j``'s assessment (the one proposal of ``q``, a resubmission)."""
        duration, infeasible, kept = self._draw(q)
        self.duration[j] = float(duration[0])
        self.infeasible[j], self.kept[j] = infeasible[0], kept[0]

    def assess(self, i: int, asked: np.ndarray) -> Generator[simpy.Event, object, bool]:
        """Wait for an assessor, assess proposal ``i`` and shrink its row of ``asked`` (what
        the call's desk allocates against); returns whether it is feasible."""
        env = self.env
        with self.staff.request() as req:
            start = env.now
            yield req
            self.wait[i] = env.now - start
            yield env.timeout(self.duration[i])
        self.assessed[i] = True
        if self.infeasible[i]:
            return False
        asked[i] *= self.kept[i]
        return True

    def route(
        self, i: int, asked: np.ndarray, tr: Trace, desk: CallDesk
    ) -> Generator[simpy.Event, object, bool]:
        """Proposal ``i``'s path through the review: stamps ``feasible``, or ends it as
        ``infeasible`` (its call's desk stops waiting for it); returns whether it goes on."""
        ok = yield from self.assess(i, asked)
        if not ok:
            tr.finish(
                i, self.env.now, "infeasible", "feasibility: declined by the technical review"
            )
            desk.drop()
            return False
        tr.stamp(i, "feasible", self.env.now)
        return True

    def feasible_request(self, requested: np.ndarray) -> np.ndarray:
        """The request after the review (rows × sample types): NaN where not assessed."""
        out = requested * self.kept[:, None]
        out[~self.assessed] = np.nan
        return out
