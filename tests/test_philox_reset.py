"""The in-place Philox reset gives the generator exactly the state (and draws) that
assigning ``bit_generator.state`` gives."""

from __future__ import annotations

import numpy as np

from samplesim.philox_reset import PhiloxReset, fast_layout


def _slow(c2: int, c3: int, k0: int, k1: int) -> np.random.Generator:
    bg = np.random.Philox(key=np.array([k0, k1], dtype=np.uint64))
    bg.state = {
        "bit_generator": "Philox",
        "state": {
            "counter": np.array([0, 0, c2, c3], dtype=np.uint64),
            "key": np.array([k0, k1], dtype=np.uint64),
        },
        "buffer": np.zeros(4, dtype=np.uint64),
        "buffer_pos": 4,
        "has_uint32": 0,
        "uinteger": 0,
    }
    return np.random.Generator(bg)


def test_layout_is_recognised():
    assert fast_layout()  # numpy 2 on CPython: the in-place path is the one used


def test_reset_matches_state_assignment():
    rng = np.random.default_rng(5)
    gen = np.random.Generator(np.random.Philox(key=np.zeros(2, np.uint64)))
    reset = PhiloxReset(gen.bit_generator)
    for _ in range(50):
        c2, c3, k0, k1 = (int(x) for x in rng.integers(0, 2**63, 4, dtype=np.uint64))
        c3 |= 1 << 63
        gen.integers(0, 10, 3)  # leave a half-used buffer and a pending 32-bit half
        gen.bit_generator.random_raw()
        reset.reset(c2, c3, k0, k1)
        want = _slow(c2, c3, k0, k1)
        got_state, want_state = gen.bit_generator.state, want.bit_generator.state
        for k in ("counter", "key"):
            np.testing.assert_array_equal(got_state["state"][k], want_state["state"][k])
        for k in ("buffer_pos", "has_uint32", "uinteger"):
            assert got_state[k] == want_state[k]
        np.testing.assert_array_equal(gen.random(7), want.random(7))
        np.testing.assert_array_equal(
            gen.integers(0, 1000, 5, dtype=np.uint32), want.integers(0, 1000, 5, dtype=np.uint32)
        )


def test_whole_view_reset_matches_state_assignment():
    import struct

    from samplesim.philox_reset import HEAD

    rng = np.random.default_rng(6)
    gen = np.random.Generator(np.random.Philox(key=np.zeros(2, np.uint64)))
    reset = PhiloxReset(gen.bit_generator)
    assert reset.whole is not None  # numpy 2: key and counter follow the state
    for _ in range(50):
        c2, c3, k0, k1 = (int(x) for x in rng.integers(0, 2**63, 4, dtype=np.uint64))
        gen.integers(0, 10, 3)  # leave a half-used buffer and a pending 32-bit half
        reset.whole[:] = HEAD + struct.pack("<6Q", k0, k1, 0, 0, c2, c3)
        want = _slow(c2, c3, k0, k1)
        np.testing.assert_array_equal(gen.random(7), want.random(7))
        np.testing.assert_array_equal(
            gen.integers(0, 1000, 5, dtype=np.uint32), want.integers(0, 1000, 5, dtype=np.uint32)
        )
