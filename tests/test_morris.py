"""Morris elementary effects (``--design morris``): a known-answer case (expected submissions
= the sum of two propensities, plus inert parameters), the dummy's noise floor, bad input and
reading the sweep directory back."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.analyze import morris as salib_morris

import samplesim
from helpers import SMALL
from samplesim.cli import main
from samplesim.design import make_params, make_points
from samplesim.morris import DUMMY, _mu_star, _problem, _steps, morris_matrix, morris_table
from samplesim.results_dir import load_experiment_tables
from samplesim.scenario import load_raw

NAMES = ["p1", "p2", "inert", "reshuffle"]
BOUNDS = [[1.0, 9.0], [1.0, 5.0], [0.0, 1.0], [0.0, 1.0]]
TRUE_MU = {"p1": 8.0, "p2": 4.0, "inert": 0.0}  # per full range: 9 - 1 and 5 - 1


def _outputs(x: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """Poisson(p1) + Poisson(p2) + Poisson(2): replication r draws from the same streams at
    every point (CRN), except that the last stream is keyed by the ``reshuffle`` value, so
    that parameter changes nothing on average but re-draws the noise."""
    y = np.empty((len(x), reps))
    for i, (p1, p2, _inert, shuffle) in enumerate(x[:, :4]):
        key = round(float(shuffle) * 3)
        for r in range(reps):
            y[i, r] = (
                np.random.default_rng([seed, r, 1]).poisson(p1)
                + np.random.default_rng([seed, r, 2]).poisson(p2)
                + np.random.default_rng([seed, r, 3, key]).poisson(2.0)
            )
    return y


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_known_answer_ranks_and_separates_from_the_dummy(seed):
    x = morris_matrix(NAMES, BOUNDS, 12, 4, seed)
    table, _ = morris_table("submitted", NAMES, x, _outputs(x, 20, seed), levels=4, seed=seed)
    t = table.set_index("parameter")
    assert list(t.index) == [*NAMES, DUMMY]
    for name, true in TRUE_MU.items():  # the truth lies in each 95 % interval
        half = t.loc[name, "mu_star_conf"]
        assert abs(t.loc[name, "mu_star"] - true) <= half + 1e-9, t
    assert t.loc["p1", "mu_star"] > t.loc["p2", "mu_star"] > t.loc["inert", "mu_star"]
    assert bool(t.loc["p1", "distinguishable"]) and bool(t.loc["p2", "distinguishable"])
    assert not t.loc["inert", "distinguishable"]
    # A parameter that only re-draws the noise has mu_star > 0 but stays under the floor.
    assert t.loc["reshuffle", "mu_star"] > 0
    assert not t.loc["reshuffle", "distinguishable"]
    assert t.loc[DUMMY, "mu_star"] > 0


def test_effects_are_salibs_and_one_replication_warns():
    x = morris_matrix(NAMES, BOUNDS, 6, 4, 5)
    y = _outputs(x, 4, 5)
    si = salib_morris.analyze(_problem(NAMES, BOUNDS), x, y.mean(axis=1), num_levels=4)
    np.testing.assert_allclose(_mu_star(y.mean(axis=1), _steps(x, 4, 4)), si["mu_star"])
    table, notes = morris_table("submitted", NAMES, x, y[:, :1], levels=4)
    assert any("one replication per point" in n for n in notes)
    assert table["distinguishable"].isna().all()


def _sweep_args(out, *params: str, samples: str = "6") -> list[str]:
    p = [a for s in params for a in ("--param", s)]
    return ["sweep", str(SMALL), "--design", "morris", "--samples", samples, *p,
            "--replications", "16", "--outcomes", "submitted", "--executor", "serial",
            "--out", str(out)]  # fmt: skip


ALPHA = "institutions.Alpha University.propensity=1:9"
BETA = "institutions.Beta University.propensity=1:5"


def test_sweep_through_the_simulator_reads_back_and_plots(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(_sweep_args(out, ALPHA, BETA, "review.reviewers=2:8")) == 0
    printed = capsys.readouterr().out
    assert "Morris elementary effects" in printed and DUMMY in printed
    t = load_experiment_tables(out)["morris"].set_index("parameter")
    assert t.loc[ALPHA.split("=")[0], "mu_star"] > t.loc[BETA.split("=")[0], "mu_star"] > 0
    assert t.loc[BETA.split("=")[0], "distinguishable"]
    assert t.loc["review.reviewers", "mu_star"] == 0  # CRN per entity: reviewers never
    assert not t.loc["review.reviewers", "distinguishable"]  # change who submits
    assert (out / "plots" / "morris.png").is_file()  # figures drawn, the Morris one too
    runs = samplesim.load_results(out)
    assert len(runs) and set(runs["point"].unique()) == set(range(6 * 5))
    assert main(["results", str(out)]) == 0


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        ({"params": (ALPHA,)}, "--param"),
        ({"samples": "1"}, "--samples"),
        ({"levels": "3"}, "--levels"),
    ],
)
def test_bad_input_exits_2_naming_the_flag_and_leaves_nothing(tmp_path, capsys, extra, flag):
    out = tmp_path / "m"
    args = _sweep_args(out, *extra.get("params", (ALPHA, BETA)), samples=extra.get("samples", "4"))
    if "levels" in extra:
        args += ["--levels", extra["levels"]]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_design_points_are_the_trajectories_without_the_dummy():
    raw = load_raw(SMALL)
    specs = {"institutions.Alpha University.propensity": (1, 9), "review.reviewers": (2, 8)}
    params = make_params(raw, str(SMALL), specs)
    pts = make_points(params, "morris", samples=3, levels=4, seed=7)
    assert list(pts.columns) == ["point", *[p.path for p in params]]
    assert len(pts) == 3 * 4 and pts["review.reviewers"].dtype == "int64"
