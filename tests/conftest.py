"""Hypothesis profiles: ``ci`` is deterministic and bounded, ``dev`` explores.

With the environment variable ``CI`` set (``CI=true``) the ``ci`` profile is loaded, otherwise
``HYPOTHESIS_PROFILE`` or ``dev``; ``pytest --hypothesis-profile NAME`` overrides both.
"""

from __future__ import annotations

import os

from hypothesis import Phase, settings

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
