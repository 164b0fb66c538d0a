"""Two-panel experiments: the same proposals, arrivals and merit before an independent second
review (or panel), and how much the two panels agree.

``simulate(sc, seed, redraw="review")`` is the second panel of ``simulate(sc, seed)``: every
stream but the redrawn stage's is the same, so the difference between the two runs is the
panel alone (Patat 2018; the NIPS 2014 experiment; FACTS §6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from samplesim.loading import load_scenario
from samplesim.outcomes import SimulationResult
from samplesim.scenario import Scenario
from samplesim.simulation import check_redraw, simulate

__all__ = ["AGREEMENT_COLUMNS", "panel_agreement", "two_panels"]

#: Agreement metrics between two panels, with what they measure.
AGREEMENT_COLUMNS: dict[str, str] = {
    "scored": "proposals scored by both panels",
    "top_quartile_overlap": "share of one panel's top quartile (by score) in the other's",
    "accepted_a": "proposals granted samples after the first panel",
    "accepted_b": "proposals granted samples after the second panel",
    "accepts_rejected_by_other": "share of each panel's accepts the other did not grant "
    "(mean of both directions)",
    "score_correlation": "Pearson correlation of the two panels' scores",
}


def panel_agreement(
    a: SimulationResult,
    b: SimulationResult,
    score: str = "review_score",
    lower_is_better: bool = False,
) -> dict[str, float]:
    """Agreement between two runs of the same proposals (see :data:`AGREEMENT_COLUMNS`).

    ``score``: the proposal column ranked for the top quartile (``review_score`` or
    ``final_score``; ``lower_is_better`` for a grade scale such as NIH's); accepted means
    granted grams (``grams_granted`` > 0).
    """
    pa = a.proposals.set_index("proposal_id")
    pb = b.proposals.set_index("proposal_id").reindex(pa.index)
    sign = -1.0 if lower_is_better else 1.0
    sa, sb = sign * pa[score].to_numpy(float), sign * pb[score].to_numpy(float)
    both = ~np.isnan(sa) & ~np.isnan(sb)
    n = int(both.sum())
    overlap = math.nan
    corr = math.nan
    if n >= 4:
        q = math.ceil(n / 4)
        ids = np.flatnonzero(both)
        top_a = set(ids[np.argsort(-sa[both], kind="stable")[:q]])
        top_b = set(ids[np.argsort(-sb[both], kind="stable")[:q]])
        overlap = len(top_a & top_b) / q
        corr = float(np.corrcoef(sa[both], sb[both])[0, 1])
    acc_a = pa["grams_granted"].to_numpy(float) > 0
    acc_b = pb["grams_granted"].to_numpy(float) > 0
    rejected = [
        float((x & ~y).sum() / x.sum()) for x, y in ((acc_a, acc_b), (acc_b, acc_a)) if x.any()
    ]
    return {
        "scored": float(n),
        "top_quartile_overlap": overlap,
        "accepted_a": float(acc_a.sum()),
        "accepted_b": float(acc_b.sum()),
        "accepts_rejected_by_other": float(np.mean(rejected)) if rejected else math.nan,
        "score_correlation": corr,
    }


def two_panels(
    scenario: Scenario | str | Path,
    redraw: str | Sequence[str] = "review",
    replications: int = 20,
    seed: int = 0,
    score: str = "review_score",
) -> pd.DataFrame:
    """Replications ``0..replications-1`` of ``scenario``, each before the first panel and an
    independent second one (``redraw``); one row of :func:`panel_agreement` per replication."""
    stages = check_redraw(redraw)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    lower = scenario.review.scale.lower_is_better and scenario.review.scale.low is not None
    rows = []
    for r in range(replications):
        first = simulate(scenario, seed=seed, replication=r)
        second = simulate(scenario, seed=seed, replication=r, redraw=stages)
        rows.append({"replication": r, **panel_agreement(first, second, score, lower)})
    return pd.DataFrame(rows, columns=["replication", *AGREEMENT_COLUMNS])
