"""samplesim.quantiles gives scipy.stats' numbers without importing scipy.stats."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as hs
from scipy import stats as st

from samplesim.quantiles import chi2_ppf, norm_ppf, t_ppf, t_sf

probs = hs.floats(0.0, 1.0)
dfs = hs.one_of(hs.floats(-2.0, 1e4), hs.just(np.nan), hs.integers(0, 500).map(float))


def _same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@given(probs, dfs)
def test_t_quantile_is_scipys(q, df):
    assert _same(t_ppf(q, df), st.t.ppf(q, df))


@given(hs.floats(allow_nan=True), dfs)
def test_t_survival_is_scipys(x, df):
    assert _same(t_sf(x, df), st.t.sf(x, df))


@given(probs, hs.floats(1e-6, 1e4))
def test_normal_and_chi2_quantiles_are_scipys(q, df):
    assert _same(norm_ppf(q), st.norm.ppf(q))
    assert _same(chi2_ppf(q, df), st.chi2.ppf(q, df))


def test_arrays_broadcast_like_scipy():
    q = np.array([0.0, 0.025, 0.5, 0.975, 1.0])
    df = np.array([[1.0], [4.0], [np.nan]])
    assert _same(t_ppf(q, df), st.t.ppf(q, df))
    assert isinstance(t_ppf(0.975, 9), float)  # a scalar for scalars, as scipy gives


def test_the_experiment_api_does_not_import_scipy_stats():
    code = "import sys, samplesim.experiment, samplesim.stats; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
