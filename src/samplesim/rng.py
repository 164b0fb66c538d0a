"""Named, independent random streams derived from one seed.

Every stream's seed is built from an explicit key, never from the stateful
``SeedSequence.spawn``: ``SeedSequence(entropy=seed, spawn_key=(replication, stream_id, *sub))``.
Stream ids never change, so a variant that alters one stage leaves every other stage's
draws identical (common random numbers), and replication ``r`` of every variant uses the
same streams (paired comparisons).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["STREAMS", "Streams", "name_key"]

#: Fixed ids of the named streams. Append new names; never renumber.
STREAMS: dict[str, int] = {
    "arrivals": 1,
    "proposals": 2,
    "screening": 3,
    "rules": 4,
    "review": 5,
    "panel": 6,
    "allocation": 7,
    "logistics": 8,
    "decision": 9,
}


def name_key(name: str) -> int:
    """A stable 32-bit key for a user-given name (a rule or a call), independent of order."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of independent generators for one run (one seed, one replication)."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = int(seed)
        self.replication = int(replication)

    def get(self, stream: str, *sub: int) -> np.random.Generator:
        """The generator of ``stream`` (optionally a sub-stream keyed by integers)."""
        ss = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, STREAMS[stream], *sub)
        )
        return np.random.Generator(np.random.PCG64(ss))

    def named(self, stream: str, name: str) -> np.random.Generator:
        """A sub-stream of ``stream`` keyed by a user-given name (rule, call)."""
        return self.get(stream, name_key(name))
