"""Reading samplesim output directories: the one module that knows their layout.

A *run* directory (``samplesim run``) holds ``proposals.parquet``, ``events.parquet``,
``inventory.parquet``, ``reviews.parquet``, ``summary.csv``, ``rules.csv``, ``calls.csv`` and
``manifest.json``; an *experiment* directory (``replicate`` / ``compare`` / ``sweep``) holds
``parts/part-<hash>.parquet`` while it runs and ``runs.parquet``, ``replications.csv``,
``comparison.csv``, ``points.csv``, ``sensitivity.csv``, ``morris.csv`` at the end (see
:mod:`samplesim.store` and docs/tables.md). This module also defines the ``runs`` long table's
columns and canonical order, which the writers use too. It never writes anything.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from samplesim.errors import DamagedFile, UserError
from samplesim.manifest_schema import manifest_errors
from samplesim.outcomes import LIST_COLUMNS
from samplesim.tidy import ResultsFrame, tidy_runs

__all__ = [
    "EXPERIMENT_KINDS",
    "KEYS_META",
    "MANIFEST_MARKER",
    "MANIFEST_VERSION",
    "RUN_COLUMNS",
    "RUN_FILES",
    "SORT_KEYS",
    "detect_kind",
    "empty_runs",
    "load_experiment_tables",
    "load_results",
    "load_run_tables",
    "manifest_problem",
    "part_keys",
    "read_call_parts",
    "read_manifest",
    "read_manifest_or_none",
    "read_parts",
    "read_parts_file",
    "sort_runs",
    "summary_to_long",
]

#: Key (with value :data:`MANIFEST_VERSION`) that marks a manifest written by samplesim.
MANIFEST_MARKER = "samplesim_manifest"
MANIFEST_VERSION = 1

RUN_COLUMNS = ["point", "variant", "replication", "seed", "country", "metric", "value"]
SORT_KEYS = ["point", "variant", "replication", "country", "metric"]
#: Parquet schema metadata key of a part file: the JSON list of the run keys it holds.
KEYS_META = b"samplesim_run_keys"
#: The files that make a directory a single run's output.
RUN_FILES = ("proposals.parquet", "events.parquet", "inventory.parquet")
EXPERIMENT_KINDS = ("replications", "comparison", "sweep")


# --------------------------------------------------------------------------------------------
# The runs long table


def empty_runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": pd.Series([], dtype="int64"),
            "variant": pd.Series([], dtype=object),
            "replication": pd.Series([], dtype="int64"),
            "seed": pd.Series([], dtype="int64"),
            "country": pd.Series([], dtype=object),
            "metric": pd.Series([], dtype=object),
            "value": pd.Series([], dtype="float64"),
        }
    )


def sort_runs(df: pd.DataFrame) -> pd.DataFrame:
    """The canonical order: (point, variant, replication, country, metric)."""
    if df.empty:
        return empty_runs()
    df = df.drop_duplicates(SORT_KEYS, keep="first")
    return df.sort_values(SORT_KEYS, kind="stable", ignore_index=True)[RUN_COLUMNS]


def summary_to_long(
    summary: pd.DataFrame,
    point: int = 0,
    variant: str = "baseline",
    replication: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """A one-run ``summary`` table (wide) as rows of the ``runs`` long table."""
    long = summary.melt(id_vars="country", var_name="metric", value_name="value")
    long["value"] = long["value"].astype(float)
    long = long.assign(point=point, variant=variant, replication=replication, seed=seed)
    return sort_runs(long)


# --------------------------------------------------------------------------------------------
# Manifests


def read_manifest_or_none(out: Path) -> dict[str, Any] | None:
    """``out/manifest.json`` parsed, or None when it is missing, not JSON or does not match
    the manifest schema."""
    try:
        data = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return None if manifest_errors(data) else data


def read_manifest(path: Path) -> dict[str, Any]:
    """The directory's ``manifest.json`` ({} if there is none); UserError if unreadable."""
    f = Path(path) / "manifest.json"
    if not f.exists():
        return {}
    if not f.is_file():
        raise UserError(f"{f}: not a regular file")
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise UserError(f"{f}: damaged: not valid JSON ({exc})") from None
    problems = manifest_errors(data)
    if problems:
        raise UserError(f"{f}: damaged: {'; '.join(problems[:3])}")
    return data


def manifest_problem(out: Path, kinds: tuple[str, ...]) -> str | None:
    """Why ``out/manifest.json`` does not prove ``out`` is samplesim's output of one of
    ``kinds`` (None if it does): it must be a regular file (not a symlink) holding a JSON
    object with ``"samplesim_manifest": 1`` and such a ``kind``."""
    f = Path(out) / "manifest.json"
    try:
        st = os.lstat(f)
    except FileNotFoundError:
        return "exists and is not a samplesim output directory (no manifest.json)"
    except OSError as exc:
        return f"cannot read manifest.json ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "manifest.json is a symbolic link"
    if not stat.S_ISREG(st.st_mode):
        return "manifest.json is not a regular file"
    try:
        fd = os.open(f, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return "is not a samplesim output directory (manifest.json is not valid JSON)"
    if problems := manifest_errors(data):
        return f"manifest.json is damaged ({problems[0]})"
    if not isinstance(data, dict) or data.get(MANIFEST_MARKER) != MANIFEST_VERSION:
        return (
            f"is not a samplesim output directory (manifest.json has no {MANIFEST_MARKER} "
            "marker: another program's file, or written by samplesim 0.1; remove the "
            "directory yourself or choose another out)"
        )
    if data.get("kind") not in kinds:
        return f"holds samplesim output of kind {data.get('kind')!r}, not {' or '.join(kinds)}"
    return None


# --------------------------------------------------------------------------------------------
# What a directory holds


def detect_kind(path: str | Path) -> str:
    """``run``, ``replications``, ``comparison`` or ``sweep``; UserError for anything else."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such directory")
    if not path.is_dir():
        raise UserError(f"{path}: not a directory")
    manifest = read_manifest(path)
    kind = manifest.get("kind")
    if kind in EXPERIMENT_KINDS:
        return str(kind)
    if all((path / f).exists() for f in RUN_FILES):
        return "run"
    if (path / "comparison.csv").exists():
        return "comparison"
    if (path / "sensitivity.csv").exists() or (path / "points.csv").exists():
        return "sweep"
    if (path / "replications.csv").exists():
        return "replications"
    raise UserError(
        f"{path}: not a samplesim output directory (expected proposals.parquet, events.parquet "
        "and inventory.parquet of a run, or replications.csv / comparison.csv / points.csv of "
        "an experiment)"
    )


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """``path`` read; :class:`DamagedFile` naming it when it is not a readable Parquet file
    (or lacks ``columns``)."""
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a corrupt file
        raise DamagedFile(path, f"not a readable Parquet file: {_why(exc)}") from None
    if columns is not None and (missing := [c for c in columns if c not in df.columns]):
        raise DamagedFile(path, f"missing columns {', '.join(missing)}")
    return df


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # keep_default_na=False: the country code NA (Namibia) must stay a string.
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except Exception as exc:
        raise DamagedFile(path, f"not a readable CSV file: {_why(exc)}") from None


def load_run_tables(path: str | Path) -> dict[str, Any]:
    """The tables of a single-run directory: ``proposals``, ``events``, ``inventory``,
    ``reviews`` and ``periods`` (empty when absent), ``summary``, ``rules`` and ``calls``
    (None when absent), ``unit`` (the inventory's unit, from ``calls.csv``; ``g`` without it)
    and ``manifest`` ({} when absent)."""
    path = Path(path)
    missing = [f for f in RUN_FILES if not (path / f).exists()]
    if missing:
        raise UserError(f"{path}: not a run directory (missing {', '.join(missing)})")
    manifest = read_manifest(path)
    proposals = _read_parquet(path / "proposals.parquet")
    for col in LIST_COLUMNS:  # Parquet lists come back as arrays: make them lists again
        if col in proposals.columns:
            proposals[col] = [x if isinstance(x, str) else list(x) for x in proposals[col]]
    events = _read_parquet(path / "events.parquet")
    inventory = _read_parquet(path / "inventory.parquet")
    need = {"proposal_id", "country", "state", "submitted_day"}
    if not need <= set(proposals.columns):
        raise UserError(
            f"{path}/proposals.parquet: missing columns {sorted(need - set(proposals))}"
        )
    summary = _read_csv(path / "summary.csv") if (path / "summary.csv").exists() else None
    rules = _read_csv(path / "rules.csv") if (path / "rules.csv").exists() else None
    rv = path / "reviews.parquet"  # absent from outputs of older versions
    reviews = _read_parquet(rv) if rv.exists() else pd.DataFrame()
    calls = _read_csv(path / "calls.csv") if (path / "calls.csv").exists() else None
    if calls is not None:  # back to the types of result.calls
        if "deadline_date" in calls:
            calls["deadline_date"] = pd.to_datetime(calls["deadline_date"]).astype("datetime64[s]")
        for col in ("applicant_country_list", "awardee_country_list"):
            if col in calls:
                calls[col] = calls[col].fillna("").astype(str)
    unit = str(calls["unit"].iloc[0]) if calls is not None and len(calls) else "g"
    pf = path / "periods.csv"  # renewable resources only
    periods = _read_csv(pf) if pf.exists() else pd.DataFrame()
    return {
        "manifest": manifest,
        "proposals": proposals,
        "events": events,
        "inventory": inventory,
        "summary": summary,
        "rules": rules,
        "reviews": reviews,
        "calls": calls,
        "unit": unit,
        "periods": periods,
    }


def load_experiment_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """The many-run tables present in an experiment directory (``runs`` from runs.parquet or
    ``parts/*.parquet``)."""
    path = Path(path)
    out: dict[str, pd.DataFrame] = {}
    for name in ("replications", "comparison", "points", "sensitivity", "morris", "calls"):
        f = path / f"{name}.csv"
        if f.exists():
            out[name] = _read_csv(f)
    if (path / "runs.parquet").exists():
        out["runs"] = _read_parquet(path / "runs.parquet", RUN_COLUMNS)
    elif (path / "parts").is_dir():
        parts = sorted((path / "parts").glob("part-*.parquet"))
        if parts:
            out["runs"] = pd.concat(
                [_read_parquet(p, RUN_COLUMNS) for p in parts], ignore_index=True
            )
    if not out:
        raise UserError(f"{path}: no experiment tables found")
    return out


def part_keys(part: Path) -> list[str]:
    """The run keys a part file holds (from its Parquet schema metadata); :class:`DamagedFile`
    when it cannot be read."""
    try:
        meta = pq.read_schema(part).metadata or {}
        keys = json.loads(meta.get(KEYS_META, b"[]"))
    except Exception as exc:
        raise DamagedFile(part, f"not a readable Parquet file: {_why(exc)}") from None
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise DamagedFile(part, "its run keys are not a list of strings")
    return keys


def read_parts_file(part: Path) -> pd.DataFrame:
    """One part file of the ``runs`` table; :class:`DamagedFile` when it cannot be read."""
    return _read_parquet(part, RUN_COLUMNS)


def read_parts(parts_dir: Path, keys: set[str] | None = None) -> pd.DataFrame:
    """Every part in ``parts_dir`` (only parts holding some of ``keys`` when given), sorted."""
    frames = []
    for p in sorted(parts_dir.glob("part-*.parquet")):
        if keys is not None and not set(part_keys(p)) & keys:
            continue
        frames.append(_read_parquet(p, RUN_COLUMNS))
    if not frames:
        return empty_runs()
    return sort_runs(pd.concat(frames, ignore_index=True))


def read_call_parts(parts_dir: Path) -> pd.DataFrame | None:
    """The per-call rows of every ``percall-*.parquet`` in ``parts_dir`` (None: none)."""
    frames = [_read_parquet(p) for p in sorted(parts_dir.glob("percall-*.parquet"))]
    return pd.concat(frames, ignore_index=True) if frames else None


def load_results(path: str | Path) -> ResultsFrame:
    """Any samplesim output directory as one tidy ``runs`` table (see docs/tables.md):
    ``variant``, ``country`` and ``metric`` are categoricals; ``.to_xarray()`` gives an
    ``xarray.Dataset`` over point × variant × replication × country × metric.

    A single-run directory (``samplesim run``) gives its ``summary.csv`` in long form; an
    experiment directory gives every finished part (also of an interrupted experiment),
    sorted by (point, variant, replication, country, metric). The manifest, when there is
    one, is in ``df.attrs["manifest"]``.
    """
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: not a directory")
    manifest = read_manifest(path)
    complete = str(manifest.get("status", "")).startswith("complete")
    if (path / "runs.parquet").exists() and (complete or not (path / "parts").is_dir()):
        # The final table: what the experiment's tables were computed from (a resume with
        # fewer replications leaves more runs in parts/).
        df = sort_runs(_read_parquet(path / "runs.parquet", RUN_COLUMNS))
    elif (path / "parts").is_dir():
        df = read_parts(path / "parts")
    elif (path / "summary.csv").exists():
        summary = _read_csv(path / "summary.csv")
        if "country" not in summary.columns or summary.empty:
            raise DamagedFile(path / "summary.csv", "no country column or no rows")
        df = summary_to_long(
            summary,
            variant=manifest.get("variant", "baseline"),
            replication=int(manifest.get("replication", 0)),
            seed=int(manifest.get("seed", 0)),
        )
    else:
        raise UserError(
            f"{path}: holds no samplesim results (no parts/, runs.parquet or summary.csv)"
        )
    df.attrs["manifest"] = manifest
    return tidy_runs(df, manifest.get("variants", ()))
