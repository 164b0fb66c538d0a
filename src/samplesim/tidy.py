"""The tidy ``runs`` table as users get it from :func:`samplesim.load_results`: ``variant``,
``country`` and ``metric`` as categoricals in a meaningful order, and ``.to_xarray()`` giving
an ``xarray.Dataset`` over point × variant × replication × country × metric
(:mod:`samplesim.xarray_export`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from samplesim.metrics import ALL, METRIC_NAMES

__all__ = ["CATEGORICAL", "ResultsFrame", "categories", "tidy_runs"]

#: The runs table's columns held as categoricals.
CATEGORICAL = ("variant", "country", "metric")


def categories(column: str, values: Iterable[Any], variants: Iterable[str] = ()) -> list[str]:
    """The category order of ``column``: variants as declared (``baseline`` first), countries
    sorted with ``ALL`` last, metrics in :data:`samplesim.metrics.METRICS` order (unknown names
    after them, sorted)."""
    present = {str(v) for v in pd.Series(list(values) if not isinstance(values, pd.Series)
                                         else values).dropna().unique()}  # fmt: skip
    if column == "variant":
        order = [v for v in dict.fromkeys(["baseline", *variants]) if v in present]
        return order + sorted(present - set(order))
    if column == "country":
        return sorted(present - {ALL}) + ([ALL] if ALL in present else [])
    if column == "metric":
        known = [m for m in METRIC_NAMES if m in present]
        return known + sorted(present - set(known))
    return sorted(present)


class ResultsFrame(pd.DataFrame):
    """A :class:`pandas.DataFrame` of the ``runs`` table whose :meth:`to_xarray` gives the
    Dataset over point × variant × replication × country × metric."""

    @property
    def _constructor(self) -> type[ResultsFrame]:
        return ResultsFrame

    def to_xarray(self) -> Any:  # type: ignore[override]
        """An ``xarray.Dataset`` (``value`` and ``seed``; see
        :func:`samplesim.xarray_export.runs_to_dataset`); a frame that lost the runs
        table's columns converts as any DataFrame does."""
        from samplesim.xarray_export import DIMS, runs_to_dataset

        if {*DIMS, "value"} <= set(self.columns):
            return runs_to_dataset(self)
        return pd.DataFrame(self).to_xarray()


def tidy_runs(df: pd.DataFrame, variants: Iterable[str] = ()) -> ResultsFrame:
    """``df`` (a runs table) with ``variant``, ``country`` and ``metric`` as categoricals in
    the order of :func:`categories`; rows, values and ``attrs`` unchanged."""
    out = ResultsFrame(df)  # copy-on-write: ``df`` itself is left as it was
    variants = list(variants)
    for col in CATEGORICAL:
        if col in out.columns:
            out[col] = pd.Categorical(out[col], categories=categories(col, out[col], variants))
    out.attrs = dict(df.attrs)
    return out
