"""Experiments run exactly what they are given: edited Scenario objects, user plugins in
every worker, checked API arguments, and an executor chosen by measurement."""

from __future__ import annotations

import importlib.metadata
import textwrap
import time
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pytest

import samplesim
from samplesim import plugins as plugins_mod
from samplesim.cli import main
from samplesim.errors import ExperimentError, UserError
from samplesim.executors import AutoExecutor

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small-known.toml"


def _grams(runs: pd.DataFrame, variant: str = "baseline") -> list[float]:
    sel = runs[
        (runs["variant"] == variant) & (runs["country"] == "ALL")
        & (runs["metric"] == "grams_granted")
    ].sort_values("replication")  # fmt: skip
    return sel["value"].tolist()


def _simulated(sc, n: int, seed: int = 1) -> list[float]:
    out = []
    for r in range(n):
        s = samplesim.simulate(sc, seed=seed, replication=r).summary
        out.append(float(s.loc[s["country"] == "ALL", "grams_granted"].iloc[0]))
    return out


def _edited():
    sc = samplesim.load_scenario(SMALL)
    inv = [attrs.evolve(s, grams=s.grams / 4) for s in sc.inventory]
    return sc, attrs.evolve(sc, inventory=inv)


# -- item 6: an edited Scenario object runs as given ------------------------------------------


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_replicate_runs_the_edited_object(executor):
    sc, edited = _edited()
    res = samplesim.replicate(edited, 3, seed=1, executor=executor, jobs=2, batch_size=1)
    assert _grams(res.runs) == pytest.approx(_simulated(edited, 3))
    assert _grams(res.runs) != pytest.approx(_simulated(sc, 3))
    assert res.manifest["scenario_digest"] != sc.digest  # never mixed with the file's runs


def test_replicate_runs_the_variant_a_scenario_object_is():
    """A Scenario loaded as a variant runs as that variant (not the file's baseline)."""
    flagship = ROOT / "scenarios" / "change5-2023.toml"
    sc = samplesim.load_scenario(flagship, variant="country-quota")
    res = samplesim.replicate(sc, 3, seed=1, executor="serial")
    assert set(res.runs["variant"]) == {"country-quota"}
    assert _grams(res.runs, "country-quota") == pytest.approx(_simulated(sc, 3))


def test_compare_applies_variants_to_the_edited_object():
    _, edited = _edited()
    res = samplesim.compare(edited, "lottery", 3, seed=1, executor="processes", jobs=2)
    lottery = samplesim.load_scenario(SMALL, variant="lottery")
    lottery = attrs.evolve(lottery, inventory=edited.inventory)
    assert _grams(res.runs, "lottery") == pytest.approx(_simulated(lottery, 3))
    assert _grams(res.runs) == pytest.approx(_simulated(edited, 3))


def test_sweep_sweeps_around_the_edited_object():
    _, edited = _edited()
    res = samplesim.sweep(
        edited, {"review.reviewers": (3, 4)}, design="grid", levels=2, replications=1
    )
    base = samplesim.load_scenario(SMALL)
    assert res.manifest["scenario_digest"] != base.digest
    p0 = res.points.iloc[0]["review.reviewers"]
    sc = attrs.evolve(edited, review=attrs.evolve(edited.review, reviewers=int(p0)))
    got = res.runs[res.runs["point"] == 0]
    assert _grams(got) == pytest.approx(_simulated(sc, 1))


def test_an_unedited_object_keeps_the_file_identity():
    sc = samplesim.load_scenario(SMALL)
    assert samplesim.replicate(sc, 2).manifest["scenario_digest"] == sc.digest


def test_other_variants_of_an_object_built_as_a_variant_are_refused():
    sc = samplesim.load_scenario(SMALL, variant="lottery")
    edited = attrs.evolve(sc, inventory=_edited()[1].inventory)
    with pytest.raises(UserError, match="variants") as info:
        samplesim.replicate(edited, 2, variant="country-quota")
    assert info.value.param == "variants"
    res = samplesim.replicate(edited, 2)
    assert set(res.runs["variant"]) == {"lottery"}
    assert _grams(res.runs, "lottery") == pytest.approx(_simulated(edited, 2))


# -- item 7: plugins reach every worker -------------------------------------------------------

_PLUGIN = """
from samplesim.policies import grant_in_order, register_policy

@register_policy("{name}")
def _policy(candidates, budget, settings, rng):
    {body}
"""


def _plugin(tmp_path, monkeypatch, name: str, body: str = "") -> str:
    body = (
        body or "return grant_in_order(sorted(candidates, key=lambda c: c.score), budget, settings)"
    )
    mod = f"samplesim_test_plugin_{name}"
    (tmp_path / f"{mod}.py").write_text(textwrap.dedent(_PLUGIN.format(name=name, body=body)))
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers receive sys.path
    return mod


def _scenario_file(tmp_path, policy: str) -> Path:
    text = SMALL.read_text().replace('policy = "merit_rank"', f'policy = "{policy}"', 1)
    path = tmp_path / f"{policy}.toml"
    path.write_text(text)
    return path


def test_plugin_policy_runs_in_serial_and_processes(tmp_path, monkeypatch):
    mod = _plugin(tmp_path, monkeypatch, "worst_first")
    path = _scenario_file(tmp_path, "worst_first")
    ser = samplesim.replicate(path, 4, executor="serial", plugins=[mod])
    par = samplesim.replicate(path, 4, executor="processes", jobs=2, batch_size=1, plugins=mod)
    assert len(ser.errors) == 0 and len(par.errors) == 0
    pd.testing.assert_frame_equal(ser.runs, par.runs)
    assert len(par.runs)


def test_policy_defined_in_main_travels_by_value(tmp_path):
    ns = {"__name__": "__main__"}
    exec(textwrap.dedent(_PLUGIN.format(name="main_worst_first", body="return {}")), ns)
    path = _scenario_file(tmp_path, "main_worst_first")
    try:
        par = samplesim.replicate(path, 2, executor="processes", jobs=2, batch_size=1)
        assert len(par.errors) == 0 and len(par.runs)
    finally:
        from samplesim.policies import POLICIES

        POLICIES.pop("main_worst_first")


def test_cli_plugin_option(tmp_path, monkeypatch, capsys):
    mod = _plugin(tmp_path, monkeypatch, "cli_worst_first")
    path = _scenario_file(tmp_path, "cli_worst_first")
    argv = ["run", str(path), "--replications", "3", "--executor", "processes", "--jobs", "2",
            "--batch-size", "1", "--out", str(tmp_path / "o"), "--quiet",
            "--plugin", mod]  # fmt: skip
    assert main(argv) == 0
    assert "processes ×2" in capsys.readouterr().out
    assert main(["validate", str(path), "--plugin", mod]) == 0
    assert main(["validate", str(path), "--plugin", "no_such_module_xyz"]) == 2
    assert "--plugin" in capsys.readouterr().err


def test_installed_plugins_are_discovered(tmp_path, monkeypatch):
    mod = _plugin(tmp_path, monkeypatch, "ep_worst_first")
    path = _scenario_file(tmp_path, "ep_worst_first")
    eps = [importlib.metadata.EntryPoint("ep", mod, plugins_mod.ENTRY_POINT_GROUP)]

    def entry_points(group=None, **kw):
        return [e for e in eps if e.group == group]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(plugins_mod, "_DISCOVERED", False)
    res = samplesim.replicate(path, 2)
    assert len(res.errors) == 0 and len(res.runs)


def test_a_variant_whose_every_run_raises_is_an_error(tmp_path, monkeypatch, capsys):
    mod = _plugin(tmp_path, monkeypatch, "always_raises", "raise RuntimeError('policy broke')")
    text = SMALL.read_text() + '\n[variants.broken.allocation]\npolicy = "always_raises"\n'
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(ExperimentError, match="broken") as info:
        samplesim.compare(path, "broken", 2, plugins=[mod])
    assert "policy broke" in info.value.traceback
    argv = ["compare", str(path), "--variants", "broken", "--replications", "2",
            "--out", str(tmp_path / "o"), "--quiet", "--no-plots", "--plugin", mod]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "policy broke" in err


# -- item 8: API arguments --------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["1", 1.5, -1, True, None])
def test_bad_seeds_name_seed(seed):
    sc = samplesim.load_scenario(SMALL)
    with pytest.raises(UserError, match=r"^seed must be a non-negative integer"):
        samplesim.simulate(sc, seed=seed)
    for call in (
        lambda: samplesim.replicate(SMALL, 2, seed=seed),
        lambda: samplesim.compare(SMALL, "lottery", 2, seed=seed),
        lambda: samplesim.sweep(SMALL, {"review.reviewers": (3, 4)}, 2, seed=seed),
    ):
        with pytest.raises(UserError, match=r"^seed must be a non-negative integer"):
            call()


def test_numpy_integer_seed_is_accepted():
    sc = samplesim.load_scenario(SMALL)
    a = samplesim.simulate(sc, seed=np.int64(3)).summary
    pd.testing.assert_frame_equal(a, samplesim.simulate(sc, seed=3).summary)


def test_a_single_variant_name_is_accepted():
    res = samplesim.compare(SMALL, variants="lottery", replications=2)
    assert set(res.runs["variant"]) == {"baseline", "lottery"}


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: samplesim.sweep(SMALL, ["review.reviewers"], 4), "params"),
        (lambda: samplesim.sweep(SMALL, {"review.reviewers": (3, 4)}, 3, "sobol"), "samples"),
        (lambda: samplesim.sweep(SMALL, {"review.reviewers": (3, 4)}), "samples"),
        (lambda: samplesim.replicate(SMALL, 2, batch_size=0), "batch_size"),
        (lambda: samplesim.replicate(SMALL, 2, jobs=0), "jobs"),
        (lambda: samplesim.replicate(SMALL, 2, precision="approved=x"), "precision"),
        (lambda: samplesim.replicate(SMALL, 2, plugins=["no_such_module_xyz"]), "plugins"),
    ],
)
def test_library_errors_name_api_parameters(call, param):
    with pytest.raises(UserError) as info:
        call()
    assert info.value.param == param and param in str(info.value)
    assert "--" not in str(info.value)


def test_cli_maps_parameters_to_flags(tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["run", str(SMALL), "--replications", "2", "--batch-size", "0", "--out", out]) == 2
    assert main(["sweep", str(SMALL), "--param", "review.reviewers=3:4", "--samples", "3",
                 "--design", "sobol", "--out", out]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "--batch-size must be at least 1" in err and "--samples 3" in err


# -- item 11: the executor is chosen by measurement --------------------------------------------


def test_auto_executor_projection():
    ex = AutoExecutor(2, startup=1.0)
    assert not ex.pays(1000)  # nothing measured yet
    ex.per_run = 0.001  # 1 s serial vs 1.25 * (1 + 0.5) s
    assert not ex.pays(1000)
    ex.per_run = 0.01  # 10 s serial vs 1.25 * (1 + 5) s
    assert ex.pays(1000)
    assert not AutoExecutor(1, startup=0.0).pays(10**6)


def test_auto_executor_switches_after_measuring_the_first_item():
    with AutoExecutor(2, startup=0.0) as ex:
        assert ex.label == "serial"
        assert list(ex.map_unordered(time.sleep, [0.001] * 4)) == [None] * 4
        assert ex.label == "processes ×2"
    with AutoExecutor(2, startup=1e9) as ex:
        list(ex.map_unordered(time.sleep, [0.001] * 4))
        assert ex.label == "serial"


def test_default_executor_is_auto_and_reported(tmp_path, capsys):
    ser = samplesim.replicate(SMALL, 6, executor="serial")
    auto = samplesim.replicate(SMALL, 6)
    pd.testing.assert_frame_equal(auto.runs, ser.runs)
    assert auto.executor == "serial" and auto.manifest["executor"] == "serial"
    argv = ["run", str(SMALL), "--replications", "3", "--out", str(tmp_path / "o"), "--quiet"]
    assert main(argv) == 0
    assert "runs/s, serial)" in capsys.readouterr().out
