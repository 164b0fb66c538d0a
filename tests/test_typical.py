"""The typical replication (what ``samplesim run`` shows without --seed): the chosen run's
tables are exactly those of ``simulate`` for its replication."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from samplesim import simulate
from samplesim.errors import UserError
from samplesim.typical import nearest_median, typical_replication


def test_the_typical_result_is_simulate_of_its_replication(flagship):
    typ = typical_replication(flagship, seed=np.int64(3), of=5)
    assert typ.of == 5 and typ.seed == 3 and 0 <= typ.replication < 5
    ref = simulate(flagship, 3, typ.replication)
    assert (typ.result.seed, typ.result.replication) == (3, typ.replication)
    for name in ("proposals", "summary", "events", "inventory", "rules", "reviews", "calls"):
        pd.testing.assert_frame_equal(getattr(typ.result, name), getattr(ref, name))


def test_nearest_median_picks_the_middle_row():
    rows = np.array([[0.0, 10.0], [5.0, 50.0], [9.0, 90.0], [4.0, 40.0], [6.0, 60.0]])
    assert nearest_median(rows) == 1


def test_a_bad_seed_is_refused(flagship):
    with pytest.raises(UserError, match="seed"):
        typical_replication(flagship, seed=-1, of=2)
