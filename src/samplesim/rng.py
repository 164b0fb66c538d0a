"""Named, independent random streams derived from one seed.

Every stream's seed is built from an explicit key, never from the stateful
``SeedSequence.spawn``: ``SeedSequence(entropy=seed, spawn_key=(replication, stream_id, *sub))``.
Stream ids never change, so a variant that alters one stage leaves every other stage's
draws identical (common random numbers), and replication ``r`` of every variant uses the
same streams (paired comparisons).

Per-entity streams (:class:`EntityStream`), in the manner of Vivarium's randomness system:
everything random about a proposal comes from a counter-based Philox generator whose key is a
128-bit BLAKE2b digest of ``(seed, replication, call name, institution name)`` and whose
counter block is ``(stream id, attribute)``. A proposal is the ``k``-th entry (its ordinal
within its institution's proposals in that call) of each attribute's vector, so its draws
depend only on what it is, never on how many other institutions applied or in which order.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from samplesim.philox_reset import EMPTY, HEAD, PhiloxReset

__all__ = ["REDRAWABLE", "STREAMS", "EntityStream", "Streams", "entity_key", "name_key"]

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
    "resubmission": 10,
}


#: Stages whose draws a two-panel experiment may redraw (``Streams(redraw=...)``).
REDRAWABLE: tuple[str, ...] = ("review", "panel")
#: Added to a redrawn stream's id: an independent second panel, every other stream unchanged.
REDRAW_OFFSET = 1 << 16


def stream_ids(redraw: tuple[str, ...] = ()) -> dict[str, int]:
    """The stream ids of a run whose ``redraw`` stages draw afresh (a second panel)."""
    return {k: v + (REDRAW_OFFSET if k in redraw else 0) for k, v in STREAMS.items()}


def name_key(name: str) -> int:
    """A stable 32-bit key for a user-given name (a rule or a call), independent of order."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of independent generators for one run (one seed, one replication)."""

    def __init__(self, seed: int, replication: int = 0, redraw: tuple[str, ...] = ()) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        unknown = [s for s in redraw if s not in REDRAWABLE]
        if unknown:
            raise ValueError(f"cannot redraw {unknown}: one of {', '.join(REDRAWABLE)}")
        self.seed = int(seed)
        self.replication = int(replication)
        self.redraw = tuple(redraw)
        self.ids = stream_ids(self.redraw)
        self._entities: dict[tuple[str, ...], EntityStream] = {}
        self._philox: np.random.Generator | None = None  # shared by this run's entities
        self._reset: PhiloxReset | None = None
        self._hash: hashlib._Hash | None = None  # BLAKE2b of the key text's seed prefix
        self._like: EntityStream  # a template sharing the Philox (see EntityStream.twin)

    def get(self, stream: str, *sub: int) -> np.random.Generator:
        """The generator of ``stream`` (optionally a sub-stream keyed by integers)."""
        ss = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, self.ids[stream], *sub)
        )
        return np.random.Generator(np.random.PCG64(ss))

    def entity(self, *names: str) -> EntityStream:
        """The (cached) :class:`EntityStream` of the entity named ``names``."""
        got = self._entities.get(names)
        if got is None:
            if self._philox is None:  # one Philox for every entity: a block sets its key
                self._philox, self._reset = _shared_philox()
                self._hash = hashlib.blake2b(_key_text(self.seed, self.replication), digest_size=16)
                self._like = EntityStream((0, 0), self.ids, self._philox, self._reset)
            h = self._hash.copy()  # type: ignore[union-attr]
            h.update(("\x1f" + "\x1f".join(names) if names else "").encode("utf-8"))
            d = h.digest()  # the key's two little-endian 64-bit words (as entity_key)
            got = self._like.twin(d)
            self._entities[names] = got
        return got

    def blocks(
        self, names: Iterable[tuple[str, ...]], stream: str, attribute: int, extra: int = 0
    ) -> Iterator[np.random.Generator]:
        """Each named entity's generator at its block ``(stream, attribute, extra)``, in turn
        (shared: each is valid until the next one is taken)."""
        entities, entity = self._entities, self.entity
        for key in names:
            es = entities.get(key) or entity(*key)
            yield es.block(stream, attribute, extra)

    def counter(self, stream: str, attribute: int, extra: int = 0) -> bytes:
        """The counter of every entity's block ``(stream, attribute, extra)`` in this run, for
        :meth:`EntityStream.at`."""
        return block_counter(self.ids, stream, attribute, extra)

    def named(self, stream: str, name: str) -> np.random.Generator:
        """A sub-stream of ``stream`` keyed by a user-given name (rule, call)."""
        return self.get(stream, name_key(name))


_SHARED = threading.local()


def _shared_philox() -> tuple[np.random.Generator, PhiloxReset]:
    """This thread's Philox generator and its reset, made once: a block resets the whole
    state (key, counter, buffer) before any draw, so every run of the thread can share it
    (making one per run cost more than a run's blocks: numpy seeds it from the OS)."""
    got = getattr(_SHARED, "philox", None)
    if got is None:
        gen = np.random.Generator(np.random.Philox(key=np.zeros(2, np.uint64)))
        got = _SHARED.philox = (gen, PhiloxReset(gen.bit_generator))
    return got


def entity_key(seed: int, replication: int, *names: str) -> np.ndarray:
    """The 128-bit Philox key of an entity: BLAKE2b of the seed, replication and names
    (stable across processes, platforms and Python versions, unlike ``hash()``)."""
    text = "\x1f".join([str(int(seed)), str(int(replication)), *names])
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


_KEY = struct.Struct("<2Q")  # an entity key's two words, as bytes
_CTR = struct.Struct("<4Q").pack  # a block's counter words, as bytes
_UNCTR = struct.Struct("<4Q").unpack


def block_counter(ids: Mapping[str, int], stream: str, attribute: int, extra: int) -> bytes:
    """The counter ``(0, 0, attribute, stream id << 32 | extra)`` of a block, as bytes."""
    return _CTR(0, 0, attribute, (ids[stream] << 32) | (extra & 0xFFFFFFFF))


def _key_text(seed: int, replication: int) -> bytes:
    """The start of every entity key's text of one run (the names follow, each after 0x1f)."""
    return f"{int(seed)}\x1f{int(replication)}".encode()


class EntityStream:
    """The random streams of one entity (a call x institution pair of proposals).

    ``block(stream, attribute, extra)`` returns the entity's generator positioned at the
    start of the counter block ``(stream id << 32 | extra, attribute)``: each attribute has
    its own independent, prefix-stable sequence (the ``k``-th proposal's value does not
    depend on how many proposals follow). A block costs a state reset (key and counter), so
    the entities of every :class:`Streams` of a thread share one Philox ``generator``
    (building one per entity, or per run, cost more than the draws). The returned generator
    is valid until the next ``block`` call of any entity sharing it. The reset writes the
    generator's state in place (:class:`samplesim.philox_reset.PhiloxReset`), exactly as
    assigning ``state`` would.
    """

    __slots__ = ("_gen", "_ids", "_k0", "_k1", "_kb", "_reset", "_views", "_whole")

    def __init__(
        self,
        key: np.ndarray | tuple[int, int],
        ids: dict[str, int] | None = None,
        generator: np.random.Generator | None = None,
        reset: PhiloxReset | None = None,
        key_bytes: bytes | None = None,
    ) -> None:
        self._ids = STREAMS if ids is None else ids
        if generator is None:
            generator = np.random.Generator(np.random.Philox(key=np.asarray(key, np.uint64)))
        self._gen = generator
        self._reset = PhiloxReset(generator.bit_generator) if reset is None else reset
        self._views = self._reset.views
        self._whole = self._reset.whole
        self._k0, self._k1 = (int(k) for k in key)
        # The state's head words and the key: ``_whole``'s first 64 bytes (the counter follows).
        self._kb = HEAD + (key_bytes or _KEY.pack(self._k0, self._k1))

    def twin(self, key_bytes: bytes) -> EntityStream:
        """The entity whose key is ``key_bytes`` (16, little-endian words), sharing this
        one's generator and stream ids (no checks: what :meth:`Streams.entity` makes)."""
        es = object.__new__(EntityStream)
        es._ids, es._gen, es._reset = self._ids, self._gen, self._reset
        es._views, es._whole = self._views, self._whole
        es._k0, es._k1 = _KEY.unpack(key_bytes)
        es._kb = HEAD + key_bytes
        return es

    def block(self, stream: str, attribute: int, extra: int = 0) -> np.random.Generator:
        """The generator of ``attribute`` of ``stream`` (``extra``: e.g. a rule's name key)."""
        return self.at(block_counter(self._ids, stream, attribute, extra))

    def at(self, counter: bytes) -> np.random.Generator:
        """:meth:`block` given the block's :meth:`Streams.counter` (worked out once for the
        many entities that draw the same attribute)."""
        if self._whole is not None:  # head, key and counter at once
            self._whole[:] = self._kb + counter
            return self._gen
        _, _, attribute, hi = _UNCTR(counter)
        return self._reset_to(attribute, hi)

    def _reset_to(self, attribute: int, hi: int) -> np.random.Generator:
        """The generator at counter ``(0, 0, attribute, hi)`` (without the byte view)."""
        if self._views is None:
            self._reset.reset(attribute, hi, self._k0, self._k1)
        else:  # PhiloxReset.reset, inlined: a few hundred blocks a run
            ctr, key, head = self._views
            ctr[0] = ctr[1] = 0
            ctr[2], ctr[3] = attribute, hi
            key[0], key[1] = self._k0, self._k1
            head[2:8] = EMPTY
        return self._gen
