"""Tidy tables: list columns, NA for missing values, categoricals, and ``to_xarray()``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import samplesim
from helpers import FLAGSHIP, minimal_raw, write_scenario
from samplesim.cli import main
from samplesim.errors import UserError
from samplesim.metrics import METRIC_NAMES
from samplesim.outcomes import LIST_COLUMNS
from samplesim.results_dir import load_run_tables

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small-known.toml"
DIMS = ["point", "variant", "replication", "country", "metric"]


@pytest.fixture(scope="module")
def flagship_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tidy") / "run"
    assert main(["run", str(FLAGSHIP), "--seed", "2", "--out", str(out), "--no-plots",
                 "--quiet"]) == 0  # fmt: skip
    return out


@pytest.fixture(scope="module")
def comparison_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tidy") / "cmp"
    samplesim.compare(SMALL, ["lottery"], replications=3, seed=5, executor="serial", out=out)
    return out


def test_list_columns_are_lists_in_memory_and_in_parquet(flagship_dir):
    res = samplesim.simulate(samplesim.load_scenario(FLAGSHIP), seed=2)
    p = res.proposals
    for col in LIST_COLUMNS:
        assert all(isinstance(x, list) and all(isinstance(s, str) for s in x) for x in p[col])
    assert all(x == sorted(x) and row in x for x, row in zip(p["team_countries"], p["country"],
                                                              strict=True))  # fmt: skip
    schema = pq.read_schema(flagship_dir / "proposals.parquet")
    for col in LIST_COLUMNS:
        assert schema.field(col).type == pa.list_(pa.string()), col
    back = load_run_tables(flagship_dir)["proposals"]
    for col in LIST_COLUMNS:
        assert list(back[col]) == list(p[col])


def test_no_funder_anywhere_is_still_a_list_of_strings(tmp_path):
    raw = minimal_raw()
    assert raw["institutions"] and raw.get("partners", []) == []
    for inst in raw["institutions"]:
        inst["funders"] = []
    path = write_scenario(tmp_path / "nofunders.toml", raw)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-plots", "--quiet"]) == 0
    schema = pq.read_schema(out / "proposals.parquet")
    assert schema.field("funders").type == pa.list_(pa.string())
    assert all(x == [] for x in load_run_tables(out)["proposals"]["funders"])


def _string_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])
            or isinstance(df[c].dtype, pd.CategoricalDtype)]  # fmt: skip


def test_missing_values_are_na_not_empty_strings():
    res = samplesim.simulate(samplesim.load_scenario(FLAGSHIP), seed=2)
    for name in ("proposals", "events", "reviews", "rules"):
        df = getattr(res, name)
        for col in _string_columns(df):
            if col in LIST_COLUMNS:
                continue
            values = df[col].astype(object)
            assert not (values == "").any(), f"{name}.{col} holds empty strings"
    p = res.proposals
    delivered = p[p["state"].astype(str) == "delivered"]
    assert len(delivered) and delivered["reason"].isna().any()
    ev = res.events
    assert ev.loc[ev["kind"] == "stage", "detail"].isna().all()


def test_load_results_has_ordered_categoricals(comparison_dir):
    df = samplesim.load_results(comparison_dir)
    for col in ("variant", "country", "metric"):
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
    assert list(df["variant"].cat.categories) == ["baseline", "lottery"]
    countries = list(df["country"].cat.categories)
    assert countries[-1] == "ALL" and countries[:-1] == sorted(countries[:-1])
    metrics = list(df["metric"].cat.categories)
    assert metrics == [m for m in METRIC_NAMES if m in set(metrics)]
    # rows and values are those of the stored table
    raw = pd.read_parquet(comparison_dir / "runs.parquet")
    np.testing.assert_array_equal(df["value"].to_numpy(), raw["value"].to_numpy())
    assert list(df["country"].astype(str)) == list(raw["country"])


def test_to_xarray_holds_every_row(comparison_dir):
    pytest.importorskip("xarray")
    df = samplesim.load_results(comparison_dir)
    ds = df.to_xarray()
    assert tuple(ds["value"].dims) == tuple(DIMS)
    for d in ("variant", "country", "metric"):
        assert list(ds[d].values) == [str(c) for c in df[d].cat.categories]
    sizes = [ds.sizes[d] for d in DIMS]
    assert sizes[1:3] == [2, 3]
    # every row lands in its cell; the cells no row fills are NaN
    sample = df.sample(40, random_state=0)
    for r in sample.itertuples(index=False):
        got = ds["value"].sel(point=r.point, variant=r.variant, replication=r.replication,
                              country=r.country, metric=r.metric).item()  # fmt: skip
        assert got == r.value or (np.isnan(got) and np.isnan(r.value))
    n_nan = int(np.isnan(ds["value"].values).sum())
    assert n_nan == int(np.prod(sizes)) - len(df) + int(df["value"].isna().sum())
    assert ds["label"].sel(metric="approved").item() == "approved"
    assert ds.attrs["kind"] == "comparison" and ds.attrs["seed"] == 5
    # paired differences straight from the Dataset equal the comparison table
    d = (ds["value"].sel(variant="lottery") - ds["value"].sel(variant="baseline")).mean(
        "replication"
    )
    comp = pd.read_csv(comparison_dir / "comparison.csv", keep_default_na=False, na_values=[""])
    row = comp[(comp["country"] == "ALL") & (comp["metric"] == "approved")].iloc[0]
    assert d.sel(point=0, country="ALL", metric="approved").item() == pytest.approx(
        row["diff_mean"]
    )


def test_to_xarray_of_a_single_run(flagship_dir):
    pytest.importorskip("xarray")
    df = samplesim.load_results(flagship_dir)
    ds = df.to_xarray()
    assert ds.sizes["point"] == ds.sizes["replication"] == ds.sizes["variant"] == 1
    summary = pd.read_csv(flagship_dir / "summary.csv", keep_default_na=False, na_values=[""])
    approved = summary.set_index("country").loc["ALL", "approved"]
    assert ds["value"].sel(country="ALL", metric="approved").item() == approved


def test_to_xarray_without_xarray_says_how_to_install(comparison_dir, monkeypatch):
    df = samplesim.load_results(comparison_dir)
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(UserError, match=r"samplesim\[notebooks\]"):
        df.to_xarray()


def test_a_frame_without_the_runs_columns_converts_as_pandas_does(comparison_dir):
    pytest.importorskip("xarray")
    df = samplesim.load_results(comparison_dir)
    part = df[["value"]].head(3)
    ds = part.to_xarray()
    assert list(ds.sizes) == ["index"]
