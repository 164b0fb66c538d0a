"""Keyed draws: one attribute of every proposal, each from its own entity's block."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from samplesim.distributions import Fixed
from samplesim.model.per_call import by_call
from samplesim.rng import Streams

if TYPE_CHECKING:
    from samplesim.model.arrivals import ProposalTable

T = TypeVar("T")

__all__ = ["CO_INVESTIGATORS", "DESTRUCTIVE", "FOREIGN", "GRAMS", "MERIT", "POOL", "TYPES"]
__all__ += ["draw_keyed", "keyed_by_call"]

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
) -> np.ndarray:
    """One attribute of every proposal (or only of ``rows``, a bool mask), each drawn from
    its own entity's block ``(stream, attribute, extra)``: ``sample(rng, m)`` gives the
    values of an entity's ``m`` proposals in ordinal order (first axis).

    A :class:`~samplesim.distributions.Fixed` distribution's ``sample`` draws nothing: its
    value is filled in without any block (the values are the same, each block independent).
    """
    if isinstance(getattr(sample, "__self__", None), Fixed):
        value = np.asarray(sample(None, len(p)))  # type: ignore[arg-type]
        return value if rows is None else np.where(rows, value, 0.0)
    idxs: list[np.ndarray] = []
    names: list[tuple[str, str]] = []
    for call, app, idx in p.groups:
        if rows is not None:
            idx = idx[rows[idx]]
        if len(idx):
            idxs.append(idx)
            names.append((call, app))
    blocks = streams.blocks(names, stream, attribute, extra)
    # ``zip`` takes entity i's block, then ``sample`` draws from it before block i + 1.
    vals = [np.asarray(sample(rng, len(idx))) for rng, idx in zip(blocks, idxs, strict=True)]
    # One row per proposal (unselected rows 0) even when nothing drew: no row selected, e.g.
    # a call's own setting for a call without proposals, or no proposal at all.
    first = vals[0] if vals else np.asarray(sample(np.random.default_rng(0), 0))
    out = np.zeros((len(p), *first.shape[1:]), dtype=first.dtype)
    _fill(out, idxs, vals)
    return out


def _fill(out: np.ndarray, idxs: list[np.ndarray], vals: list[np.ndarray]) -> None:
    """``out[idx] = val`` for each entity's rows (one small assignment each: cheaper than
    concatenating the parts for a single one)."""
    for idx, v in zip(idxs, vals, strict=True):
        out[idx] = v


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
