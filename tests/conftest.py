"""Shared fixtures, and the hypothesis profiles: ``ci`` is deterministic and bounded, ``dev``
explores.

With the environment variable ``CI`` set (``CI=true``) the ``ci`` profile is loaded, otherwise
``HYPOTHESIS_PROFILE`` or ``dev``; ``pytest --hypothesis-profile NAME`` overrides both.

Fixtures that hold immutable or read-only objects which are costly to build (loaded scenarios,
the flagship's result) are session-scoped: a test must not modify them. Hypothesis strategies
and the raw-scenario builders stay in ``helpers.py`` (a strategy is not a fixture).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

import samplesim
from helpers import FLAGSHIP, SMALL, minimal_raw, write_scenario

# CI: the same examples on every run (derandomize), a bounded number of them, and a failure
# reported at once with the blob to replay it (@reproduce_failure), not minutes of shrinking:
# replay it locally, where the dev profile shrinks it.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    print_blob=True,
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.target),
)
# Local runs: a new random sample of examples on every run, shrinking failures.
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)

_in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile("ci" if _in_ci else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def flagship() -> samplesim.Scenario:
    """The flagship scenario (``scenarios/change5-2023.toml``), loaded once (frozen)."""
    return samplesim.load_scenario(FLAGSHIP)


@pytest.fixture(scope="session")
def small() -> samplesim.Scenario:
    """The small scenario with known answers (``scenarios/small-known.toml``), loaded once."""
    return samplesim.load_scenario(SMALL)


@pytest.fixture(scope="session")
def flagship_result(flagship) -> samplesim.SimulationResult:
    """One run of the flagship, seed 1 (shared: read it, never modify its tables)."""
    return samplesim.simulate(flagship, seed=1)


@pytest.fixture
def mini_raw() -> dict[str, Any]:
    """A fresh minimal valid scenario as a raw dict (``helpers.minimal_raw``); mutate freely."""
    return minimal_raw()


@pytest.fixture
def mini_toml(tmp_path) -> Path:
    """The minimal scenario written to ``tmp_path / "mini.toml"``."""
    return write_scenario(tmp_path / "mini.toml", minimal_raw())


@pytest.fixture
def out_dir(tmp_path) -> Path:
    """A not-yet-existing output directory ``tmp_path / "out"``."""
    return tmp_path / "out"


def pytest_collection_modifyitems(config, items) -> None:
    """On pytest-xdist workers: the test files with a test marked ``slow`` first, then by
    number of tests (xdist's own order), so that no long file starts last.

    ``--dist loadfile`` hands out whole files in this order (``--no-loadscope-reorder``): a
    long file handed out last keeps one worker busy while the others idle (test_readme.py, the
    longest test and a file of four tests, used to end the run, about a minute alone).
    """
    if not hasattr(config, "workerinput"):  # serial runs keep the collection order
        return
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def key(tests: list[pytest.Item]) -> tuple[bool, int]:
        return (not any(t.get_closest_marker("slow") for t in tests), -len(tests))

    items[:] = [t for tests in sorted(by_file.values(), key=key) for t in tests]
