"""The ``runs`` long table as an ``xarray.Dataset`` over point × variant × replication ×
country × metric. xarray is optional (``pip install 'samplesim[notebooks]'``) and imported
only when a conversion is asked for."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from samplesim.errors import UserError
from samplesim.metrics import METRICS

__all__ = ["DIMS", "runs_to_dataset"]

#: The Dataset's dimensions, in order.
DIMS = ("point", "variant", "replication", "country", "metric")
_RUN_DIMS = DIMS[:3]


def _xarray() -> Any:
    try:
        import xarray
    except ImportError:
        raise UserError(
            "to_xarray() needs xarray, an optional dependency: "
            "pip install xarray (or pip install 'samplesim[notebooks]')"
        ) from None
    return xarray


def _levels(col: pd.Series) -> tuple[list[str], np.ndarray]:
    """(levels, code of each row): a categorical column's used categories in their order
    (:func:`samplesim.load_results` orders them), else the sorted distinct values."""
    cat = col.array if isinstance(col.dtype, pd.CategoricalDtype) else pd.Categorical(col)
    cat = cat.remove_unused_categories()
    return [str(c) for c in cat.categories], np.asarray(cat.codes)


def runs_to_dataset(df: pd.DataFrame) -> Any:
    """An ``xarray.Dataset`` of a runs table (:func:`samplesim.load_results`).

    ``value`` has dims (point, variant, replication, country, metric), NaN where a
    combination did not run or a metric has no value (a whole-run metric per country);
    ``seed`` (point, variant, replication) is the run's seed (-1 where it did not run). The
    ``metric`` dimension carries ``label`` and ``unit`` coordinates; ``attrs`` hold the
    manifest's scenario, kind and root seed when known.
    """
    xr = _xarray()
    missing = [c for c in (*DIMS, "value", "seed") if c not in df.columns]
    if missing:
        raise UserError(f"to_xarray(): not a runs table (missing columns {', '.join(missing)})")
    if df.duplicated(list(DIMS)).any():
        raise UserError("to_xarray(): the runs table repeats a (point, variant, replication, "
                        "country, metric) row")  # fmt: skip
    coords: dict[str, Any] = {}
    codes = []
    for d in DIMS:
        if d in ("point", "replication"):
            values = df[d].to_numpy(dtype=np.int64)
            coords[d] = np.unique(values)
            codes.append(np.searchsorted(coords[d], values))
        else:
            coords[d], code = _levels(df[d])
            codes.append(code)
    shape = tuple(len(coords[d]) for d in DIMS)
    value = np.full(shape, np.nan)
    value[tuple(codes)] = df["value"].to_numpy(dtype=float)
    seed = np.full(shape[:3], -1, dtype=np.int64)
    seed[tuple(codes[:3])] = df["seed"].to_numpy(dtype=np.int64)
    meta = [METRICS.get(m) for m in coords["metric"]]
    labels = [m.label if m else name for m, name in zip(meta, coords["metric"], strict=True)]
    ds = xr.Dataset(
        {"value": (DIMS, value), "seed": (_RUN_DIMS, seed)},
        coords={
            **coords,
            "label": ("metric", labels),
            "unit": ("metric", [m.unit if m else "" for m in meta]),
        },
    )
    manifest = df.attrs.get("manifest") or {}
    ds.attrs = {k: manifest[k] for k in ("scenario", "kind", "seed") if k in manifest}
    return ds
