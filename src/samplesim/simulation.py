"""``simulate``: one scenario, one seed, one replication -> a :class:`SimulationResult`."""

from __future__ import annotations

from pathlib import Path

from samplesim.errors import check_seed
from samplesim.loading import load_scenario
from samplesim.model import run_world
from samplesim.outcomes import SimulationResult, build_result
from samplesim.scenario import Scenario

__all__ = ["simulate"]


def simulate(
    scenario: Scenario | str | Path, seed: int = 0, replication: int = 0
) -> SimulationResult:
    """Run ``scenario`` once.

    Args:
        scenario: a loaded :class:`Scenario` or the path of a scenario file.
        seed: the root seed, a non-negative integer; with ``replication`` it determines the
            run completely.
        replication: the replication index; replication ``r`` of every variant draws from the
            same named streams, so variants compare paired (common random numbers).

    Returns:
        The run's tables: ``proposals``, ``reviews``, ``events``, ``summary``, ``inventory``,
        ``rules``.

    Raises:
        UserError: ``seed`` or ``replication`` is not a non-negative integer.
    """
    seed = check_seed(seed)
    replication = check_seed(replication, "replication")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return build_result(run_world(scenario, seed, replication))
