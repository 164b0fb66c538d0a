"""Fast resets of a Philox generator to a (counter, key), as a fresh ``state`` would be.

:meth:`samplesim.rng.EntityStream.block` resets the run's shared Philox a few hundred times
per run. Assigning ``bit_generator.state`` parses and validates a dict (~5 µs a time); this
writes the same fields in place through ``ctypes`` views of the generator's C state
(~0.5 µs): counter, key, an empty buffer (``buffer_pos = 4``) and no pending 32-bit half.

The layout (``philox_state``: counter and key pointers, ``int buffer_pos``, ``uint64
buffer[4]``, ``int has_uint32``, ``uint32 uinteger``) is checked once per process by reading
a generator whose fields were set through ``state``; if it does not match (another numpy),
every reset goes through ``state`` as before. Either way the draws are the same.

When the key and counter follow the state in memory (numpy's ``Philox`` object holds them
right after it: ``buffer_pos`` .. ``uinteger``, key, counter: 96 bytes), :attr:`PhiloxReset.
whole` is a writable byte view of those 96 bytes: one slice assignment of :data:`HEAD` + key
+ counter bytes (little-endian words) resets everything at once (~0.3 µs).
"""

from __future__ import annotations

import ctypes
import struct

import numpy as np

__all__ = ["EMPTY", "HEAD", "PhiloxReset", "fast_layout"]

_U64x8 = ctypes.c_uint64 * 8
_U64x4 = ctypes.c_uint64 * 4
_U64x2 = ctypes.c_uint64 * 2
#: ``buffer_pos = 4`` (an empty buffer), buffer zeros, ``has_uint32 = uinteger = 0``.
EMPTY = (4, 0, 0, 0, 0, 0)
#: :data:`EMPTY` as the bytes of the state's words 2-7 (the start of :attr:`PhiloxReset.whole`).
HEAD = struct.pack("<6Q", *EMPTY)
_U64x12 = ctypes.c_uint64 * 12
_LAYOUT: bool | None = None  # checked once per process


def _probe() -> bool:
    """Whether a Philox's C state is laid out as expected (read only: nothing is written)."""
    bg = np.random.Philox(key=np.array([11, 22], dtype=np.uint64))
    st = bg.state
    st["state"]["counter"] = np.array([1, 2, 3, 4], dtype=np.uint64)
    st["buffer"] = np.array([101, 102, 103, 104], dtype=np.uint64)
    st["buffer_pos"], st["has_uint32"], st["uinteger"] = 3, 1, 77
    bg.state = st
    try:
        head = list(_U64x8.from_address(bg.ctypes.state_address))
    except (AttributeError, TypeError, ValueError):
        return False
    if head[2:8] != [3, 101, 102, 103, 104, (77 << 32) | 1]:
        return False  # checked before following the counter and key pointers
    ctr, key = list(_U64x4.from_address(head[0])), list(_U64x2.from_address(head[1]))
    return ctr == [1, 2, 3, 4] and key == [11, 22]


def fast_layout() -> bool:
    """Whether resets write the C state directly (the layout check passed in this process)."""
    global _LAYOUT
    if _LAYOUT is None:
        _LAYOUT = _probe()
    return _LAYOUT


class PhiloxReset:
    """Resets one ``Philox`` bit generator (keeps a reference: the views live with it).

    ``views``: the ``(counter, key, head)`` ``ctypes`` arrays of the C state, for a caller
    that inlines :meth:`reset` (head ``[2:8] = EMPTY``); None when the layout check failed.
    ``whole``: the 96 bytes ``HEAD + key + counter`` as one writable view (None unless the
    key and counter follow the state in memory).
    """

    __slots__ = ("_bg", "_state", "views", "whole")

    def __init__(self, bg: np.random.Philox) -> None:
        self._bg = bg
        self.views: tuple[ctypes.Array, ctypes.Array, ctypes.Array] | None = None
        self.whole: memoryview | None = None
        if fast_layout():
            addr = bg.ctypes.state_address
            head = _U64x8.from_address(addr)
            self.views = (_U64x4.from_address(head[0]), _U64x2.from_address(head[1]), head)
            if head[1] == addr + 64 and head[0] == addr + 80:  # key, then counter, after it
                self.whole = memoryview(_U64x12.from_address(addr + 16)).cast("B")
        self._state = {
            "bit_generator": "Philox",
            "state": {"counter": np.zeros(4, np.uint64), "key": np.zeros(2, np.uint64)},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }

    def reset(self, c2: int, c3: int, k0: int, k1: int) -> None:
        """Counter ``(0, 0, c2, c3)``, key ``(k0, k1)``, nothing buffered."""
        if self.views is not None:
            ctr, key, head = self.views
            ctr[0] = ctr[1] = 0
            ctr[2], ctr[3] = c2, c3
            key[0], key[1] = k0, k1
            head[2:8] = EMPTY
            return
        st = self._state["state"]
        st["counter"][2:] = (c2, c3)
        st["key"][:] = (k0, k1)
        self._bg.state = self._state
