"""``simulate``: one scenario, one seed, one replication -> a :class:`SimulationResult`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from samplesim.errors import UserError, check_seed
from samplesim.loading import load_scenario
from samplesim.model import run_world
from samplesim.outcomes import SimulationResult, build_result
from samplesim.rng import REDRAWABLE
from samplesim.scenario import Scenario

__all__ = ["check_redraw", "simulate"]


def simulate(
    scenario: Scenario | str | Path,
    seed: int = 0,
    replication: int = 0,
    redraw: str | Sequence[str] | None = None,
) -> SimulationResult:
    """Run ``scenario`` once.

    Args:
        scenario: a loaded :class:`Scenario` or the path of a scenario file.
        seed: the root seed, a non-negative integer; with ``replication`` it determines the
            run completely.
        replication: the replication index; replication ``r`` of every variant draws from the
            same named streams, so variants compare paired (common random numbers).
        redraw: stages drawn afresh (``"review"``, ``"panel"`` or both): the same proposals,
            arrivals and merit meet an independent second panel (two-panel experiments);
            everything upstream of the stage is identical.

    Returns:
        The run's tables: ``proposals``, ``reviews``, ``events``, ``summary``, ``inventory``,
        ``rules``.

    Raises:
        UserError: ``seed`` or ``replication`` is not a non-negative integer, or ``redraw``
            names a stage that cannot be redrawn.
    """
    seed = check_seed(seed)
    replication = check_seed(replication, "replication")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    stages = check_redraw(redraw)
    return build_result(run_world(scenario, seed, replication, stages))


def check_redraw(redraw: str | Sequence[str] | None) -> tuple[str, ...]:
    """``redraw`` as a tuple of stage names; UserError for a stage that cannot be redrawn."""
    if redraw is None:
        return ()
    stages = (redraw,) if isinstance(redraw, str) else tuple(redraw)
    bad = [s for s in stages if s not in REDRAWABLE]
    if bad:
        known = ", ".join(REDRAWABLE)
        raise UserError(f"redraw: {', '.join(map(repr, bad))} is not one of {known}")
    return stages
