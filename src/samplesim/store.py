"""Experiment results on disk, written so that an interruption loses at most running batches.

Layout of an experiment directory::

    manifest.json              the experiment spec (kind, scenario digest, variants, params,
                               points, seed...), status, and at the end the finished run keys
    parts/part-<hash>.parquet  one finished batch of the ``runs`` long table; its run keys are
                               stored in the Parquet schema metadata (one atomic file)
    parts/errors-<hash>.json   runs of a batch that raised (key, point, variant, replication,
                               error), if any
    runs.parquet, replications.csv, comparison.csv, points.csv, sensitivity.csv,
    morris.csv, errors.csv     the final tables (see docs/tables.md)

Each file is written to a temporary name and moved into place with :func:`os.replace`, with
umask-following modes. Symbolic links are never followed: an ``out`` or ``parts`` that is one
is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from samplesim.batch_tables import calls_frame, runs_frame, sort_calls, sorted_runs
from samplesim.errors import DamagedFile, Notice, UserError
from samplesim.paths import (
    LOCK_NAME,
    atomic_write,
    ensure_dir,
    lock_dir,
    refuse_symlink,
    unlock_dir,
    write_json,
)
from samplesim.results_dir import (
    KEYS_META,
    RUN_COLUMNS,
    SORT_KEYS,
    empty_runs,
    load_results,
    manifest_problem,
    part_keys,
    read_call_parts,
    read_manifest_or_none,
    read_parts,
    read_parts_file,
    sort_runs,
    summary_to_long,
)

if TYPE_CHECKING:
    from samplesim.packing import Packed

__all__ = [
    "RUN_COLUMNS",
    "SORT_KEYS",
    "MemoryStore",
    "ResultStore",
    "empty_runs",
    "load_results",
    "run_key",
    "sort_runs",
    "summary_to_long",
]

_KEYS_META = KEYS_META


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


def _atomic_write_bytes(path: Path, writer) -> None:
    atomic_write(path, writer)


class MemoryStore:
    """Keeps batches in memory (the Python API without ``out``)."""

    out: Path | None = None

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []
        self.errors: list[dict[str, Any]] = []
        self.keys: set[str] = set()
        self.call_parts: list[pd.DataFrame] = []
        self.batches: list[Packed] = []

    def done_keys(self) -> set[str]:
        return set(self.keys)

    def close(self) -> None:
        """Nothing to release (see :meth:`ResultStore.close`)."""

    def add(
        self,
        df: pd.DataFrame,
        keys: list[str],
        errors: list[dict[str, Any]],
        calls: pd.DataFrame | None = None,
    ) -> None:
        """Keep a finished batch given as tables (see :meth:`add_packed`)."""
        self.parts.append(df)
        self.keys.update(keys)
        self.errors.extend(errors)
        if calls is not None and len(calls):
            self.call_parts.append(calls)

    def add_packed(self, batch: Packed) -> None:
        """Keep a finished batch as the worker packed it (its tables are made at the end)."""
        if self.parts or self.call_parts:  # tables given before: keep one kind
            self.add(runs_frame([batch]), batch.keys, batch.errors, calls_frame([batch]))
            return
        self.batches.append(batch)
        self.keys.update(batch.keys)
        self.errors.extend(batch.errors)

    def calls(self) -> pd.DataFrame | None:
        """The per-call rows of the finished runs in run order (None: none kept)."""
        if self.batches:
            return sort_calls(calls_frame(self.batches))
        parts = self.call_parts
        return sort_calls(pd.concat(parts, ignore_index=True)) if parts else None

    def runs(self, keys: set[str] | None = None) -> pd.DataFrame:
        if self.batches:
            return sorted_runs(self.batches)
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
    experiment of the same kind (see :func:`~samplesim.results_dir.manifest_problem`) and spec
    (same ``identity``: kind, scenario digest, seed, variants, points...).
    """

    def __init__(self, out: Path, manifest: dict[str, Any], resume: bool = False) -> None:
        super().__init__()
        self.out = out = Path(out)
        self.parts_dir = out / "parts"
        self.manifest = manifest
        #: Damaged part files renamed aside on ``resume`` (their runs are run again).
        self.set_aside: list[str] = []
        created = not self._check(resume)  # before touching anything
        self._lock: int | None = lock_dir(out)
        try:
            self._check(resume)  # again, under the lock: another run may have written here
            ensure_dir(self.parts_dir)
            write_json(out / "manifest.json", {**manifest, "status": "running"})
            if resume:
                self.set_aside = self._set_aside_damaged()
            self._done = self._scan_keys()
        except BaseException:
            self.close()
            if created:
                with contextlib.suppress(OSError):
                    out.rmdir()
            raise

    def close(self) -> None:
        """Release the directory's lock (the experiment is finished or abandoned)."""
        if self._lock is not None:
            unlock_dir(self.out, self._lock)
            self._lock = None

    def _check(self, resume: bool) -> bool:
        """UserError unless ``out`` may receive this experiment; whether it exists."""
        out, manifest = self.out, self.manifest
        identity = manifest["spec"]
        exists = refuse_symlink(out, "is")
        if exists and not out.is_dir():
            raise UserError(f"{out}: exists and is not a directory")
        nonempty = exists and any(p.name != LOCK_NAME for p in out.iterdir())
        if nonempty and not resume:
            raise UserError(
                f"{out}: directory is not empty; pass resume=True to continue the experiment "
                "it holds, or choose another out",
                param="resume",
                also=("out",),
            )
        if nonempty:
            old = read_manifest_or_none(out)
            if old is None or "spec" not in old:
                raise UserError(
                    f"{out}: holds no samplesim experiment (or its manifest.json is damaged); "
                    "not touching it"
                )
            problem = manifest_problem(out, (manifest["kind"],))
            if problem:
                raise UserError(f"{out}: {problem}; not touching it", also=("out",))
            for sub in (self.parts_dir, out / "plots"):
                refuse_symlink(sub, "is")
            if old.get("scenario_digest") != manifest.get("scenario_digest"):
                raise UserError(
                    f"{out}: holds results of another scenario (digest "
                    f"{str(old.get('scenario_digest'))[:12]}, this one "
                    f"{str(manifest.get('scenario_digest'))[:12]}); the scenario file changed "
                    "since; not touching it"
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
        return exists

    def _set_aside_damaged(self) -> list[str]:
        """Rename every unreadable part or errors file to ``<name>.damaged`` (kept, never
        deleted), with a :class:`Notice`; their runs count as not done."""
        moved = []
        files = [*self.parts_dir.glob("part-*.parquet"), *self.parts_dir.glob("errors-*.json")]
        for p in sorted(files):
            try:
                if p.suffix == ".parquet":
                    part_keys(p)
                    read_parts_file(p)
                else:
                    _read_errors(p)
            except DamagedFile as exc:
                dest = p.with_name(p.name + ".damaged")
                n = 1
                while dest.exists():
                    n += 1
                    dest = p.with_name(f"{p.name}.damaged-{n}")
                os.replace(p, dest)
                moved.append(dest.name)
                warnings.warn(
                    Notice(f"{exc}; set aside as {dest}, its runs run again"), stacklevel=2
                )
        return moved

    def _scan_keys(self) -> set[str]:
        keys: set[str] = set()
        for p in sorted(self.parts_dir.glob("part-*.parquet")):
            keys.update(part_keys(p))
        return keys

    def done_keys(self) -> set[str]:
        return set(self._done)

    def add(
        self,
        df: pd.DataFrame,
        keys: list[str],
        errors: list[dict[str, Any]],
        calls: pd.DataFrame | None = None,
    ) -> None:
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
            if calls is not None and len(calls):  # before the part: its runs count as done
                _atomic_write_bytes(
                    self.parts_dir / f"percall-{digest}.parquet",
                    lambda tmp: calls.to_parquet(tmp, index=False),
                )
            _atomic_write_bytes(
                self.parts_dir / f"part-{digest}.parquet", lambda tmp: pq.write_table(table, tmp)
            )
            self._done.update(keys)

    def add_packed(self, batch: Packed) -> None:
        """Write a finished batch as the worker packed it (see :meth:`add`)."""
        self.add(runs_frame([batch]), batch.keys, batch.errors, calls_frame([batch]))

    def runs(self, keys: set[str] | None = None) -> pd.DataFrame:
        """Every finished part (only runs in ``keys`` when given), sorted."""
        return read_parts(self.parts_dir, keys)

    def calls(self) -> pd.DataFrame | None:
        """The per-call rows of every finished part that has them (parts written by older
        versions have none; None when no part has them), in run order."""
        return sort_calls(read_call_parts(self.parts_dir))

    def error_table(self) -> pd.DataFrame:
        errors: list[dict[str, Any]] = []
        for p in sorted(self.parts_dir.glob("errors-*.json")):
            errors.extend(_read_errors(p))
        # A run that failed and later succeeded on --resume is no longer an error.
        errors = [e for e in errors if e["key"] not in self._done]
        return _errors_df(errors).drop_duplicates("key", ignore_index=True)


def _read_errors(path: Path) -> list[dict[str, Any]]:
    """The failed runs recorded in a parts/errors-*.json file; :class:`DamagedFile` when it
    is not a JSON list of records with a string ``key``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise DamagedFile(path, f"not readable JSON: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(e, dict) and isinstance(e.get("key"), str) for e in data
    ):
        raise DamagedFile(path, "not a list of failed runs")
    return data


def _canon(x: Any) -> str:
    return json.dumps(x, sort_keys=True, default=str)
