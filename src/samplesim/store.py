"""Experiment results on disk, written so that an interruption loses at most running batches.

Layout of an experiment directory::

    manifest.json              the experiment spec (kind, scenario digest, variants, params,
                               points, seed...), status, and at the end the finished run keys
    parts/part-<hash>.parquet  one finished batch of the ``runs`` long table; its run keys are
                               stored in the Parquet schema metadata (one atomic file)
    parts/errors-<hash>.json   runs of a batch that raised (key, point, variant, replication,
                               error), if any
    runs.parquet, replications.csv, comparison.csv, points.csv, sensitivity.csv, errors.csv
                               the final tables (see docs/tables.md)

Each file is written to a temporary name and moved into place with :func:`os.replace`, with
umask-following modes. Symbolic links are never followed: an ``out`` or ``parts`` that is one
is refused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from samplesim.errors import UserError
from samplesim.output import manifest_problem, write_json
from samplesim.paths import atomic_write, ensure_dir, refuse_symlink

__all__ = [
    "RUN_COLUMNS",
    "MemoryStore",
    "ResultStore",
    "load_results",
    "run_key",
    "sort_runs",
]

RUN_COLUMNS = ["point", "variant", "replication", "seed", "country", "metric", "value"]
SORT_KEYS = ["point", "variant", "replication", "country", "metric"]
_KEYS_META = b"samplesim_run_keys"


def run_key(digest: str, variant: str, point: int, replication: int, seed: int, params: Any) -> str:
    """The identity of one run: SHA-1 of scenario digest, variant, point (and its parameter
    values), replication and seed."""
    text = json.dumps(
        [digest, variant, int(point), int(replication), int(seed), params],
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


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


def _atomic_write_bytes(path: Path, writer) -> None:
    atomic_write(path, writer)


class MemoryStore:
    """Keeps batches in memory (the Python API without ``out``)."""

    out: Path | None = None

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []
        self.errors: list[dict[str, Any]] = []
        self.keys: set[str] = set()

    def done_keys(self) -> set[str]:
        return set(self.keys)

    def add(self, df: pd.DataFrame, keys: list[str], errors: list[dict[str, Any]]) -> None:
        self.parts.append(df)
        self.keys.update(keys)
        self.errors.extend(errors)

    def runs(self, keys: set[str] | None = None) -> pd.DataFrame:
        return sort_runs(pd.concat(self.parts, ignore_index=True)) if self.parts else empty_runs()

    def error_table(self) -> pd.DataFrame:
        return _errors_df(self.errors)


def _errors_df(errors: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["key", "point", "variant", "replication", "seed", "error"]
    df = pd.DataFrame(errors, columns=cols)
    return df.sort_values(["point", "variant", "replication"], ignore_index=True)


class ResultStore(MemoryStore):
    """An experiment directory (see the module docstring).

    Opening refuses, with a :class:`UserError` and without touching anything, a symlink, a
    non-empty directory unless ``resume``; with ``resume`` the directory must hold samplesim's
    experiment of the same kind (see :func:`~samplesim.output.manifest_problem`) and spec
    (same ``identity``: kind, scenario digest, seed, variants, points...).
    """

    def __init__(self, out: Path, manifest: dict[str, Any], resume: bool = False) -> None:
        super().__init__()
        self.out = out = Path(out)
        self.parts_dir = out / "parts"
        self.manifest = manifest
        identity = manifest["spec"]
        exists = refuse_symlink(out, "is")
        if exists and not out.is_dir():
            raise UserError(f"{out}: exists and is not a directory")
        nonempty = exists and any(out.iterdir())
        if nonempty and not resume:
            raise UserError(
                f"{out}: directory is not empty; pass --resume to continue the experiment "
                "it holds, or choose another --out"
            )
        if nonempty:
            old = _read_manifest(out)
            if old is None or "spec" not in old:
                raise UserError(f"{out}: holds no samplesim experiment; not touching it")
            problem = manifest_problem(out, (manifest["kind"],))
            if problem:
                raise UserError(f"{out}: {problem}; not touching it")
            for sub in (self.parts_dir, out / "plots"):
                refuse_symlink(sub, "is")
            if old.get("scenario_digest") != manifest.get("scenario_digest"):
                raise UserError(
                    f"{out}: holds results of another scenario (digest "
                    f"{str(old.get('scenario_digest'))[:12]}, this one "
                    f"{str(manifest.get('scenario_digest'))[:12]}); not touching it"
                )
            if _canon(old["spec"]) != _canon(identity):
                diff = sorted(
                    k
                    for k in set(old["spec"]) | set(identity)
                    if _canon(old["spec"].get(k)) != _canon(identity.get(k))
                )
                raise UserError(
                    f"{out}: holds an experiment with another spec (differs in: "
                    f"{', '.join(diff)}); not touching it"
                )
        ensure_dir(self.parts_dir)
        write_json(out / "manifest.json", {**manifest, "status": "running"})
        self._done = self._scan_keys()

    def _scan_keys(self) -> set[str]:
        keys: set[str] = set()
        for p in sorted(self.parts_dir.glob("part-*.parquet")):
            meta = pq.read_schema(p).metadata or {}
            keys.update(json.loads(meta.get(_KEYS_META, b"[]")))
        return keys

    def done_keys(self) -> set[str]:
        return set(self._done)

    def add(self, df: pd.DataFrame, keys: list[str], errors: list[dict[str, Any]]) -> None:
        batch = sorted([*keys, *(e["key"] for e in errors)])
        digest = hashlib.sha1("\n".join(batch).encode()).hexdigest()[:16]
        if errors:
            text = json.dumps(errors, indent=1, default=str)
            path = self.parts_dir / f"errors-{digest}.json"

            def write_text(tmp: str) -> None:
                Path(tmp).write_text(text, encoding="utf-8")

            _atomic_write_bytes(path, write_text)
            self.errors.extend(errors)
        if keys:
            table = pa.Table.from_pandas(df[RUN_COLUMNS], preserve_index=False)
            meta = dict(table.schema.metadata or {})
            meta[_KEYS_META] = json.dumps(sorted(keys)).encode()
            table = table.replace_schema_metadata(meta)
            _atomic_write_bytes(
                self.parts_dir / f"part-{digest}.parquet", lambda tmp: pq.write_table(table, tmp)
            )
            self._done.update(keys)

    def runs(self, keys: set[str] | None = None) -> pd.DataFrame:
        """Every finished part (only runs in ``keys`` when given), sorted."""
        return _read_parts(self.parts_dir, keys)

    def error_table(self) -> pd.DataFrame:
        errors: list[dict[str, Any]] = []
        for p in sorted(self.parts_dir.glob("errors-*.json")):
            errors.extend(json.loads(p.read_text(encoding="utf-8")))
        # A run that failed and later succeeded on --resume is no longer an error.
        errors = [e for e in errors if e["key"] not in self._done]
        return _errors_df(errors).drop_duplicates("key", ignore_index=True)


def _canon(x: Any) -> str:
    return json.dumps(x, sort_keys=True, default=str)


def _read_manifest(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_parts(parts_dir: Path, keys: set[str] | None = None) -> pd.DataFrame:
    """Every part in ``parts_dir`` (only parts holding some of ``keys`` when given), sorted."""
    frames = []
    for p in sorted(parts_dir.glob("part-*.parquet")):
        if keys is not None:
            meta = pq.read_schema(p).metadata or {}
            if not set(json.loads(meta.get(_KEYS_META, b"[]"))) & keys:
                continue
        frames.append(pd.read_parquet(p))
    if not frames:
        return empty_runs()
    return sort_runs(pd.concat(frames, ignore_index=True))


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


def load_results(path: str | Path) -> pd.DataFrame:
    """Any samplesim output directory as one tidy ``runs`` table (see docs/tables.md).

    A single-run directory (``samplesim run``) gives its ``summary.csv`` in long form; an
    experiment directory gives every finished part (also of an interrupted experiment),
    sorted by (point, variant, replication, country, metric). The manifest, when there is
    one, is in ``df.attrs["manifest"]``.
    """
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: not a directory")
    manifest = _read_manifest(path) or {}
    if (path / "parts").is_dir():
        df = _read_parts(path / "parts")
    elif (path / "runs.parquet").exists():
        df = sort_runs(pd.read_parquet(path / "runs.parquet"))
    elif (path / "summary.csv").exists():
        summary = pd.read_csv(path / "summary.csv", keep_default_na=False, na_values=[""])
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
    return df
