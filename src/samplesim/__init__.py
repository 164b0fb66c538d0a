"""samplesim: simulate scientific sample-request workflows.

Quick use::

    import samplesim
    sc = samplesim.load_scenario("scenarios/change5-2023.toml")
    res = samplesim.simulate(sc, seed=1)
    res.proposals, res.summary
"""

from samplesim.outcomes import PROPOSAL_COLUMNS, SUMMARY_COLUMNS, SimulationResult
from samplesim.scenario import Scenario, ScenarioError, load_scenario
from samplesim.simulation import simulate

__version__ = "0.1.0"

__all__ = [
    "PROPOSAL_COLUMNS",
    "SUMMARY_COLUMNS",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "load_scenario",
    "simulate",
]
