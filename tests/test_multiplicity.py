"""Multiplicity: Holm's adjustment on a family with a known number of true differences, its
familywise error rate, Bonferroni simultaneous intervals, and subset selection of the best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

import samplesim
from helpers import FLAGSHIP
from samplesim.errors import UserError
from samplesim.multiplicity import holm, select_best
from samplesim.stats import comparison_table

VARIANTS = ("a", "b", "c")
METRICS = ("approved", "grams_granted", "median_days_to_samples", "blocked")
COUNTRIES = ("ALL", "US", "FR")
N_REP = 30


def _runs(seed: int, shifted: dict[tuple[str, str, str], float]) -> pd.DataFrame:
    """A synthetic runs table: baseline and 3 variants x 4 metrics x 3 countries (36
    comparisons), common noise per replication plus independent noise; ``shifted`` adds a
    true difference to some (variant, country, metric)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in COUNTRIES:
        for m in METRICS:
            common = rng.normal(10, 2, N_REP)  # CRN: shared by every variant
            for v in ("baseline", *VARIANTS):
                x = common + rng.normal(0, 1, N_REP) + shifted.get((v, c, m), 0.0)
                rows += [(0, v, r, 1, c, m, x[r]) for r in range(N_REP)]
    cols = ["point", "variant", "replication", "seed", "country", "metric", "value"]
    return pd.DataFrame(rows, columns=cols)


TRUE = {("a", "ALL", "approved"): 2.0, ("b", "US", "grams_granted"): -2.0,
        ("c", "FR", "blocked"): 2.0, ("a", "US", "median_days_to_samples"): 2.0}  # fmt: skip


def test_holm_matches_the_hand_computed_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone.
    got = holm(np.array([0.01, 0.04, 0.03, 0.005, np.nan]))
    np.testing.assert_allclose(got[:4], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(got[4])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_holm_finds_exactly_the_true_differences(seed):
    comp = comparison_table(_runs(seed, TRUE))
    assert len(comp) == 36 and comp["p_holm"].notna().all()
    found = set(
        comp.loc[comp["survives_holm"], ["variant", "country", "metric"]].itertuples(
            index=False, name=None
        )
    )
    assert found == set(TRUE)
    # Unadjusted, the same family shows false "differences" at 5 % (most seeds): what the
    # adjustment is for. Every Holm survivor is also significant unadjusted.
    assert set(comp.loc[comp["p_value"] < 0.05, ["variant", "country", "metric"]].itertuples(
        index=False, name=None)) >= found  # fmt: skip
    # Simultaneous intervals are wider than the per-comparison ones and cover the truth.
    assert (
        (comp["simul_ci_high"] - comp["simul_ci_low"]) > (comp["ci_high"] - comp["ci_low"])
    ).all()


def test_holm_keeps_the_familywise_error_rate():
    families, any_false, unadjusted = 100, 0, 0
    for s in range(families):
        comp = comparison_table(_runs(100 + s, {}))
        any_false += bool(comp["survives_holm"].any())
        unadjusted += bool((comp["p_value"] < 0.05).any())
    # FWER <= 5 %: not significantly above it (one-sided binomial test at 1 %).
    assert binomtest(any_false, families, 0.05, alternative="greater").pvalue > 0.01
    assert unadjusted >= 50  # ~84 % of unadjusted families have a false difference


def test_subset_selection_names_a_clear_best_and_keeps_ties():
    rng = np.random.default_rng(4)
    common = rng.normal(0, 3, (40, 1))
    clear = pd.DataFrame(common + rng.normal([0, 1, 3], 0.5, (40, 3)), columns=["x", "y", "z"])
    sel = select_best(clear)
    assert sel["in_subset"].tolist() == [True, False, False] and sel["variant"][0] == "z"
    assert select_best(clear, larger_is_better=False).iloc[0]["variant"] == "x"
    # Two tied best systems: each is kept in the subset (almost always), the worse one not.
    kept = {"x": 0, "y": 0, "z": 0}
    for s in range(100):
        r = np.random.default_rng([5, s])
        tied = r.normal(0, 3, (40, 1)) + r.normal([2, 2, 0], 0.5, (40, 3))
        for v in select_best(pd.DataFrame(tied, columns=["x", "y", "z"])).query("in_subset")[
            "variant"
        ]:
            kept[v] += 1
    assert kept["x"] >= 90 and kept["y"] >= 90 and kept["z"] == 0


def test_subset_selection_keeps_its_probability_of_correct_selection():
    # The best (mean 0.3) must be in the subset in >= 95 % of experiments.
    hits, n = 0, 300
    for s in range(n):
        rng = np.random.default_rng([9, s])
        x = rng.normal(0, 1, (10, 1)) + rng.normal([0.0, 0.1, 0.2, 0.3], 1.0, (10, 4))
        sel = select_best(pd.DataFrame(x, columns=list("abcd")))
        hits += bool(sel.set_index("variant").loc["d", "in_subset"])
    assert binomtest(hits, n, 0.95, alternative="less").pvalue > 0.01


def test_compare_reports_holm_and_the_best(tmp_path):
    res = samplesim.compare(
        FLAGSHIP, variants=["lottery", "wolf-lifted"], replications=6,
        best="approved:max", out=tmp_path / "c",
    )  # fmt: skip
    comp = res.comparison
    for col in ("p_value", "p_holm", "survives_holm", "simul_ci_low", "simul_ci_high"):
        assert col in comp.columns
    fam = comp["p_holm"].notna()
    assert (comp.loc[fam, "p_holm"] >= comp.loc[fam, "p_value"]).all()
    sel = res.selection
    assert set(sel["variant"]) == {"baseline", "lottery", "wolf-lifted"}
    assert sel["in_subset"].any() and (sel["pcs"] == 0.95).all()
    assert (tmp_path / "c" / "selection.csv").exists()
    with pytest.raises(UserError, match="best"):
        samplesim.compare(FLAGSHIP, variants=["lottery"], replications=2, best="nonsense")
