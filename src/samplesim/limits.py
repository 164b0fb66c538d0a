"""Every size limit samplesim enforces, in one place (README "Limits and guarantees" cites
these numbers, and every refusal names the limit it hit).

*Hard* limits protect the arithmetic or the machine and are never lifted. *Soft* limits bound
the expected size of a run; ``--force`` (``with forced():`` in Python) lifts them.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_CO_INVESTIGATORS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_GRAMS",
    "MAX_GRAM_RESOLUTION",
    "MAX_HORIZON_DAYS",
    "MAX_INSTITUTIONS",
    "MAX_INTEGER",
    "MAX_LEVELS",
    "MAX_MEETINGS",
    "MAX_PERIODS",
    "MAX_PROPOSALS",
    "MAX_REPLICATIONS",
    "MAX_REVIEW_SLOTS",
    "MAX_RUNS",
    "MAX_SAMPLES",
    "MAX_SEED",
    "forced",
    "is_forced",
]

# --- scenario files (hard) -------------------------------------------------------------------
#: Largest scenario file read, in bytes (1 MiB).
MAX_FILE_BYTES = 1 << 20
#: Deepest nesting of tables and arrays in a scenario file.
MAX_DEPTH = 32
#: Largest integer literal (absolute value) in a scenario file: 2**53, exact as a float.
MAX_INTEGER = 2**53

# --- scenario sizes ---------------------------------------------------------------------------
#: Longest horizon in days (hard: 1000 years).
MAX_HORIZON_DAYS = 365_250.0
#: Most grams of one sample type, and most grams per proposal (hard: 1000 tonnes).
MAX_GRAMS = 1e9
#: Most portions a stock may hold (grams / min_portion_g; hard: float sums stay exact to 1e-3).
MAX_GRAM_RESOLUTION = 1e12
#: Most periods of renewable resources over the horizon, all types together (hard).
MAX_PERIODS = 100_000
#: Most applicant institutions after ``count`` copies (soft).
MAX_INSTITUTIONS = 100_000
#: Most expected proposals of a run: sum of propensity x count x demand over calls (soft;
#: a run needs about 8 KiB per proposal: 100,000 proposals took 839 MiB and 10 s).
MAX_PROPOSALS = 250_000
#: Largest mean number of co-investigators per proposal (soft).
MAX_CO_INVESTIGATORS = 1_000
#: Most concurrent review slots, reviewers x load (soft).
MAX_REVIEW_SLOTS = 1_000_000
#: Most decision meetings of a call over the horizon (soft).
MAX_MEETINGS = 100_000

# --- command-line and API arguments (hard) ----------------------------------------------------
#: Seeds are 0 <= seed < MAX_SEED (what numpy's SeedSequence and int64 columns accept).
MAX_SEED = 2**63
#: Most replications of one experiment (and the --precision cap).
MAX_REPLICATIONS = 100_000
#: Most runs of one experiment (points x variants x replications).
MAX_RUNS = 10_000_000
#: Most sweep samples (lhs / sobol N) and grid levels per parameter.
MAX_SAMPLES = 1_000_000
MAX_LEVELS = 1_000
#: Most runs per batch.
MAX_BATCH_SIZE = 100_000

_FORCED: contextvars.ContextVar[bool] = contextvars.ContextVar("samplesim_forced", default=False)


def is_forced() -> bool:
    """Whether soft limits are lifted in this context."""
    return _FORCED.get()


@contextlib.contextmanager
def forced(on: bool = True) -> Iterator[None]:
    """Lift the soft limits (``--force``) inside the block."""
    token = _FORCED.set(bool(on))
    try:
        yield
    finally:
        _FORCED.reset(token)
