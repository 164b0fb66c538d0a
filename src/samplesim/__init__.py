"""samplesim: simulate scientific sample-request workflows.

Quick use::

    import samplesim
    sc = samplesim.load_scenario("scenarios/change5-2023.toml")
    res = samplesim.simulate(sc, seed=1)
    res.proposals, res.summary
"""

from samplesim.outcomes import PROPOSAL_COLUMNS, REVIEW_COLUMNS, SUMMARY_COLUMNS, SimulationResult
from samplesim.scenario import Scenario, ScenarioError, load_scenario
from samplesim.simulation import simulate

__version__ = "0.1.0"

#: Experiment API (imported on first use: it pulls in pyarrow, scipy and the executors).
_LAZY = {
    "replicate": "samplesim.experiment",
    "compare": "samplesim.experiment",
    "sweep": "samplesim.experiment",
    "ExperimentResult": "samplesim.experiment",
    "load_results": "samplesim.store",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'samplesim' has no attribute {name!r}")


__all__ = [
    "PROPOSAL_COLUMNS",
    "REVIEW_COLUMNS",
    "SUMMARY_COLUMNS",
    "ExperimentResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "compare",
    "load_results",
    "load_scenario",
    "replicate",
    "simulate",
    "sweep",
]
