"""Named random streams: reproducible, independent, keyed by a documented formula."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from samplesim.rng import STREAMS, EntityStream, Streams, name_key


def _reference(seed: int, replication: int, *key: int) -> np.random.Generator:
    # The formula documented in samplesim/rng.py, recomputed with numpy directly.
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(replication, *key))
    return np.random.Generator(np.random.PCG64(ss))


def test_stream_ids_never_renumbered():
    # The ids are part of the results' reproducibility contract (documented in rng.py).
    assert STREAMS == {
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


@pytest.mark.parametrize("stream", list(STREAMS))
@pytest.mark.parametrize(("seed", "rep"), [(0, 0), (1, 0), (12345, 7), (2**40 + 3, 2)])
def test_streams_follow_the_documented_seedsequence_formula(stream, seed, rep):
    got = Streams(seed, rep).get(stream).random(8)
    want = _reference(seed, rep, STREAMS[stream]).random(8)
    np.testing.assert_array_equal(got, want)


def test_sub_streams_and_named_streams_follow_the_formula():
    s = Streams(42, 3)
    np.testing.assert_array_equal(
        s.get("rules", 5, 9).random(4), _reference(42, 3, STREAMS["rules"], 5, 9).random(4)
    )
    key = zlib.crc32(b"wolf-amendment")
    assert name_key("wolf-amendment") == key
    np.testing.assert_array_equal(
        s.named("rules", "wolf-amendment").random(4),
        _reference(42, 3, STREAMS["rules"], key).random(4),
    )


def test_same_key_same_draws():
    a = Streams(7, 2).get("review").standard_normal(100)
    b = Streams(7, 2).get("review").standard_normal(100)
    np.testing.assert_array_equal(a, b)


def test_draws_do_not_depend_on_other_streams_being_used():
    s = Streams(7)
    s.get("arrivals").random(1000)
    s.named("rules", "x").random(1000)
    np.testing.assert_array_equal(s.get("review").random(10), Streams(7).get("review").random(10))


def test_different_streams_replications_and_seeds_differ():
    base = Streams(7, 0).get("review").random(50)
    others = [
        Streams(7, 0).get("panel").random(50),
        Streams(7, 1).get("review").random(50),
        Streams(8, 0).get("review").random(50),
        Streams(7, 0).get("review", 1).random(50),
        Streams(7, 0).named("review", "a").random(50),
        Streams(7, 0).named("review", "b").random(50),
    ]
    arrays = [base, *others]
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            assert not np.array_equal(arrays[i], arrays[j]), (i, j)


def test_streams_are_uncorrelated():
    n = 100_000
    a = Streams(3).get("arrivals").standard_normal(n)
    b = Streams(3).get("proposals").standard_normal(n)
    c = Streams(3, 1).get("arrivals").standard_normal(n)
    # |corr| of independent normals has SE 1/sqrt(n); allow 5 SE.
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(n)
    assert abs(np.corrcoef(a, c)[0, 1]) < 5 / np.sqrt(n)


def test_name_key_is_order_independent_and_distinct():
    assert name_key("call-a") == name_key("call-a")
    assert name_key("call-a") != name_key("call-b")
    assert 0 <= name_key("anything") < 2**32


@pytest.mark.parametrize(("seed", "rep"), [(-1, 0), (0, -1)])
def test_negative_seed_or_replication_rejected(seed, rep):
    with pytest.raises(ValueError):
        Streams(seed, rep)


def test_runs_sharing_the_threads_philox_draw_as_if_alone():
    # Every run of a thread shares one Philox: a block resets all of its state.
    alone = Streams(3, 1).entity("c", "i").block("proposals", 2).random(5)
    a, b = Streams(3, 1), Streams(4, 0)
    b.entity("c", "i").block("review", 1).random(3)  # leaves a part-used buffer
    np.testing.assert_array_equal(a.entity("c", "i").block("proposals", 2).random(5), alone)
    assert a.entity("c", "i")._gen is b.entity("c", "i")._gen


def test_a_block_at_its_counter_draws_as_the_block():
    s = Streams(4, 2, redraw=("review",))
    es = s.entity("c", "i")
    for stream, attribute, extra in [
        ("proposals", 2, 0),
        ("review", 1, 0),
        ("rules", 1, 2**32 - 1),
    ]:
        want = es.block(stream, attribute, extra).random(6)
        es.block("arrivals", 0).random(3)  # leaves a part-used buffer
        np.testing.assert_array_equal(es.at(s.counter(stream, attribute, extra)).random(6), want)
        slow = EntityStream(np.array([es._k0, es._k1], np.uint64), s.ids)  # no shared view
        slow._whole = None
        np.testing.assert_array_equal(slow.at(s.counter(stream, attribute, extra)).random(6), want)
