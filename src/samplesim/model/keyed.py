"""Keyed draws: one attribute of every proposal, each from its own entity's block."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from samplesim.distributions import Fixed
from samplesim.model.per_call import by_call
from samplesim.rng import EntityStream, Streams

if TYPE_CHECKING:
    from samplesim.model.arrivals import ProposalTable

T = TypeVar("T")

__all__ = ["CO_INVESTIGATORS", "DESTRUCTIVE", "FOREIGN", "GRAMS", "MERIT", "POOL", "TYPES"]
__all__ += ["Plan", "draw_keyed", "keyed_by_call", "plan"]

#: Attribute numbers of the ``proposals`` stream's blocks (append; never renumber).
MERIT, GRAMS, TYPES, DESTRUCTIVE, CO_INVESTIGATORS, FOREIGN, POOL = range(7)


def draw_keyed(
    p: ProposalTable,
    streams: Streams,
    stream: str,
    attribute: int,
    sample: Callable[[np.random.Generator, int], np.ndarray],
    extra: int = 0,
    rows: np.ndarray | None = None,
    needed: list[int] | None = None,
) -> np.ndarray:
    """One attribute of every proposal (or only of ``rows``, a bool mask), each drawn from
    its own entity's block ``(stream, attribute, extra)``: ``sample(rng, m)`` gives the
    values of an entity's ``m`` proposals in ordinal order (first axis).

    ``needed``: the only rows whose values will be read. Entities with none of them draw
    nothing (their rows are 0); the others draw as without it, so those rows' values are
    the same (each block is independent).

    A :class:`~samplesim.distributions.Fixed` distribution's ``sample`` draws nothing: its
    value is filled in without any block (the values are the same, each block independent).
    """
    if isinstance(getattr(sample, "__self__", None), Fixed):
        value = np.asarray(sample(None, len(p)))  # type: ignore[arg-type]
        return value if rows is None else np.where(rows, value, 0.0)
    _, n, ents, sizes, idxs, perm, inv, of = plan(p, streams)
    keep: list[int] | None = None  # the entities that draw, when not all of them
    if rows is not None:
        idxs = [idx[rows[idx]] for idx in idxs]
        keep = [k for k, idx in enumerate(idxs) if len(idx)]
    elif needed is not None and len(needed) < n and inv is not None:
        hit = {of[i] for i in needed}
        keep = sorted(hit) if len(hit) < len(ents) else None
    if keep is not None:
        ents = [ents[k] for k in keep]
        idxs = [idxs[k] for k in keep]
        sizes = [len(idx) for idx in idxs]
        perm = np.concatenate(idxs) if idxs else perm[:0]
        inv = None
    # Entity i's block is taken, then ``sample`` draws from it before block i + 1.
    ctr = streams.counter(stream, attribute, extra)
    vals = [sample(es.at(ctr), m) for es, m in zip(ents, sizes, strict=True)]
    # One row per proposal (unselected rows 0) even when nothing drew: no row selected, e.g.
    # a call's own setting for a call without proposals, or no proposal at all.
    first = np.asarray(vals[0] if vals else sample(np.random.default_rng(0), 0))
    if not vals:
        return np.zeros((n, *first.shape[1:]), dtype=first.dtype)
    cat = np.concatenate(vals).astype(first.dtype, copy=False)
    if inv is not None:  # every row drew: one gather puts them in row order
        return cat[inv]
    out = np.zeros((n, *first.shape[1:]), dtype=first.dtype)
    out[perm] = cat
    return out


#: What :func:`plan` keeps on a table: (streams, rows, entity streams, their row counts,
#: their rows in ordinal order, those rows concatenated, the inverse of that order or None,
#: each row's entity (its position in these lists; -1 for a row of none)).
Plan = tuple[
    Streams, int, list[EntityStream], list[int], list[np.ndarray], np.ndarray, Any, list[int]
]


def plan(p: ProposalTable, streams: Streams) -> Plan:
    """The entity streams of ``p``'s groups with proposals and where their rows go (built once
    per table and run; rebuilt if rows were added since)."""
    got = p.keyed
    if got is not None and got[0] is streams and got[1] == len(p):
        return got
    entity = streams.entity
    groups = [(c, a, idx) for c, a, idx in p.groups if len(idx)]
    ents = [entity(c, a) for c, a, _ in groups]
    idxs = [idx for *_, idx in groups]
    perm = np.concatenate(idxs) if idxs else np.zeros(0, dtype=np.int64)
    inv = np.argsort(perm, kind="stable") if len(perm) == len(p) else None
    sizes = [len(i) for i in idxs]
    of = np.full(len(p), -1, dtype=np.int64)
    of[perm] = np.repeat(np.arange(len(idxs)), sizes)
    p.keyed = got = (streams, len(p), ents, sizes, idxs, perm, inv, of.tolist())
    return got


def keyed_by_call(
    p: ProposalTable,
    streams: Streams,
    stream: str,
    attribute: int,
    values: list[T],
    sample_of: Callable[[T], Callable[[np.random.Generator, int], np.ndarray]],
    extra: int = 0,
) -> np.ndarray:
    """:func:`draw_keyed` with the sampler of each proposal's call's setting (``values``: one
    per call; ``sample_of(value)`` its sampler). Calls with equal settings draw as one."""
    groups = by_call(values, p.call)
    if len(groups) == 1 or len(p) == 0:
        return draw_keyed(p, streams, stream, attribute, sample_of(groups[0][0]), extra)
    out: np.ndarray | None = None
    for value, rows in groups:
        assert rows is not None
        if not rows.any():
            continue
        part = draw_keyed(p, streams, stream, attribute, sample_of(value), extra, rows)
        mask = rows.reshape(-1, *([1] * (part.ndim - 1)))
        out = part if out is None else np.where(mask, part, out)
    assert out is not None  # some group has rows whenever there are several
    return out
