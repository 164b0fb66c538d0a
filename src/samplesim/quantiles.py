"""Quantiles and tails of the t, normal and chi-squared laws without ``scipy.stats``.

``scipy.stats`` costs ~0.6 s to import; its ``t.ppf``, ``t.sf``, ``norm.ppf`` and
``chi2.ppf`` are thin wrappers over :mod:`scipy.special` functions (``stdtrit``, ``stdtr``,
``ndtri``, ``gammaincinv``), imported here on first use. Results are the same numbers: NaN
for an invalid degree of freedom (not > 0), the law's bounds at probabilities 0 and 1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chi2_ppf", "norm_ppf", "t_ppf", "t_sf"]


def _scalar(x: np.ndarray) -> np.ndarray | float:
    return x[()] if x.ndim == 0 else x


def t_ppf(q: np.ndarray | float, df: np.ndarray | float) -> np.ndarray | float:
    """Student-t quantile (``scipy.stats.t.ppf(q, df)``)."""
    from scipy.special import stdtrit

    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    with np.errstate(invalid="ignore"):
        ok = (df > 0) & (q >= 0) & (q <= 1)
        out = np.where(ok, stdtrit(np.where(ok, df, 1.0), np.where(ok, q, 0.5)), np.nan)
    out = np.where(ok & (q == 0), -np.inf, np.where(ok & (q == 1), np.inf, out))
    return _scalar(out)


def t_sf(x: np.ndarray | float, df: np.ndarray | float) -> np.ndarray | float:
    """Student-t survival function (``scipy.stats.t.sf(x, df)``)."""
    from scipy.special import stdtr

    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    with np.errstate(invalid="ignore"):
        ok = (df > 0) & ~np.isnan(x)
        out = np.where(ok, stdtr(np.where(ok, df, 1.0), -np.where(ok, x, 0.0)), np.nan)
    return _scalar(out)


def norm_ppf(q: np.ndarray | float) -> np.ndarray | float:
    """Standard normal quantile (``scipy.stats.norm.ppf(q)``)."""
    from scipy.special import ndtri

    return _scalar(np.asarray(ndtri(np.asarray(q, dtype=float))))


def chi2_ppf(q: np.ndarray | float, df: np.ndarray | float) -> np.ndarray | float:
    """Chi-squared quantile (``scipy.stats.chi2.ppf(q, df)``)."""
    from scipy.special import gammaincinv

    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    with np.errstate(invalid="ignore"):
        ok = (df > 0) & (q >= 0) & (q <= 1)
        out = np.where(ok, 2 * gammaincinv(np.where(ok, df, 1.0) / 2, np.where(ok, q, 0.5)), np.nan)
    return _scalar(out)
