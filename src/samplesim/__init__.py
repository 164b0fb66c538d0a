"""samplesim: simulate scientific sample-request workflows.

Quick use::

    import samplesim
    sc = samplesim.load_scenario("scenarios/change5-2023.toml")
    res = samplesim.simulate(sc, seed=1)
    res.proposals, res.summary
"""

from samplesim.loading import load_scenario
from samplesim.scenario import Scenario, ScenarioError

#: The one place the version is written: the build (hatch) and ``--version`` read it here;
#: CITATION.cff and CHANGELOG.md follow it (tests/test_packaging.py checks).
__version__ = "0.2.0.dev0"

#: Imported on first use: the experiment API pulls in pyarrow, scipy and the executors, and
#: worker processes (samplesim.worker) must not pay for pandas.
_LAZY = {
    "PROPOSAL_COLUMNS": "samplesim.outcomes",
    "SUMMARY_COLUMNS": "samplesim.outcomes",
    "REVIEW_COLUMNS": "samplesim.outcomes",
    "SimulationResult": "samplesim.outcomes",
    "simulate": "samplesim.simulation",
    "replicate": "samplesim.experiment",
    "compare": "samplesim.experiment",
    "sweep": "samplesim.experiment",
    "ExperimentResult": "samplesim.experiment",
    "load_results": "samplesim.store",
    "calibrate": "samplesim.calibration",
    "CalibrationResult": "samplesim.calibration",
}


#: Submodules reachable as attributes, imported on first use (``plots`` pulls in matplotlib).
_LAZY_MODULES = ("plots",)


def __getattr__(name: str):
    if name in _LAZY or name in _LAZY_MODULES:
        import importlib

        if name in _LAZY_MODULES:
            return importlib.import_module(f"samplesim.{name}")
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'samplesim' has no attribute {name!r}")


__all__ = [
    "PROPOSAL_COLUMNS",
    "REVIEW_COLUMNS",
    "SUMMARY_COLUMNS",
    "CalibrationResult",
    "ExperimentResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "calibrate",
    "compare",
    "load_results",
    "load_scenario",
    "plots",
    "replicate",
    "simulate",
    "sweep",
]
