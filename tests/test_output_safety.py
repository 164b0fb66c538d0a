"""Output safety: names never become paths, only samplesim's own directories are replaced,
symlinks are not followed, and written files and directories follow the umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from samplesim.cli import main
from samplesim.paths import default_out, safe_slug

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small-known.toml"


def _scenario(path: Path, name: str) -> Path:
    """A copy of small-known.toml with scenario name ``name``."""
    text = SMALL.read_text(encoding="utf-8")
    assert 'name = "small-known"\n' in text
    path.write_text(text.replace('name = "small-known"\n', f"name = {json.dumps(name)}\n", 1))
    return path


def _snapshot(root: Path) -> dict[str, tuple[bool, bytes | None, int]]:
    """Every entry under ``root``: (is a symlink, content of a file, mtime)."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        data = p.read_bytes() if stat.S_ISREG(st.st_mode) else None
        out[str(p.relative_to(root))] = (p.is_symlink(), data, st.st_mtime_ns)
    return out


def _victim(path: Path) -> Path:
    """A directory that holds a ``manifest.json`` of some other program, and a precious file."""
    path.mkdir()
    (path / "manifest.json").write_text('{"name": "my web app"}')
    (path / "thesis.tex").write_text("do not delete")
    return path


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("../../victim", "victim"),
        ("/etc/passwd", "etc-passwd"),
        ("..", "scenario"),
        ("", "scenario"),
        (".hidden", "hidden"),
        ("a/../b", "a-.-b"),
        ("Chang'e 5 (2023)", "Chang-e-5-2023"),
        ("change5-2023", "change5-2023"),
        ("x" * 300, "x" * 80),
    ],
)
def test_safe_slug(name, slug):
    assert safe_slug(name) == slug
    out = default_out(name, "../sweep")
    assert out.parent == Path("results") and not out.name.startswith(".")
    assert "/" not in out.name and out.name.endswith("-sweep")


@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_run_scenario_name_stays_under_results(tmp_path, monkeypatch, capsys, kind):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    victim = _victim(tmp_path / "victim")
    before = _snapshot(tmp_path)
    name = "../../victim" if kind == "relative" else str(victim)
    f = _scenario(tmp_path / "evil.toml", name)
    assert main(["run", str(f), "--no-plots", "--quiet"]) == 0, capsys.readouterr().err
    assert (work / "results").is_dir()
    (out,) = (work / "results").iterdir()
    assert out.name == safe_slug(name) and (out / "summary.csv").is_file()
    after = _snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("work")} == {
        **{k: v for k, v in before.items() if not k.startswith("work")},
        "evil.toml": after["evil.toml"],
    }


@pytest.mark.parametrize(
    ("command", "suffix"),
    [
        (["run", "--replications", "2"], "replications"),
        (["compare", "--variants", "lottery", "--replications", "2", "--no-plots"], "compare"),
        (["sweep", "--param", "review.reviewers=2:6", "--grid", "--levels", "2"], "sweep"),
    ],
)
def test_experiment_scenario_name_stays_under_results(
    tmp_path, monkeypatch, capsys, command, suffix
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    f = _scenario(tmp_path / "evil.toml", "../../victim")
    cmd, *opts = command
    assert main([cmd, str(f), *opts, "--executor", "serial", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.toml", "work"]
    assert [p.name for p in (work / "results").iterdir()] == [f"victim-{suffix}"]
    assert (work / "results" / f"victim-{suffix}" / "manifest.json").is_file()
    capsys.readouterr()


@pytest.mark.parametrize(
    "manifest",
    [
        '{"name": "my web app"}',  # another program's manifest.json
        '{"scenario": "small-known", "kind": "run", "seed": 1}',  # no marker (samplesim 0.1)
        '{"samplesim_manifest": 1, "kind": "sweep"}',  # samplesim's, but not a run
        "not json",
    ],
)
def test_run_out_with_foreign_manifest_is_refused(tmp_path, capsys, manifest):
    out = tmp_path / "site"
    out.mkdir()
    (out / "manifest.json").write_text(manifest)
    (out / "index.html").write_text("keep")
    before = _snapshot(tmp_path)
    assert main(["run", str(SMALL), "--out", str(out), "--no-plots", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"error: {out}: " in err and "not touching it" in err
    assert _snapshot(tmp_path) == before


def test_run_refuses_symlinks(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SMALL), "--out", str(out), "--no-plots", "--quiet"]) == 0
    # --out itself a symlink (to samplesim's own run directory)
    link = tmp_path / "link"
    link.symlink_to(out)
    before = _snapshot(tmp_path)
    assert main(["run", str(SMALL), "--out", str(link), "--no-plots", "--quiet"]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before
    # manifest.json a symlink to a samplesim manifest elsewhere
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").symlink_to(out / "manifest.json")
    before = _snapshot(tmp_path)
    assert main(["run", str(SMALL), "--out", str(other), "--no-plots", "--quiet"]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def _experiment(tmp_path: Path) -> Path:
    """A finished experiment of 2 runs (its figures play no part in a refused resume)."""
    exp = tmp_path / "exp"
    args = ["run", str(SMALL), "--replications", "2", "--executor", "serial", "--quiet",
            "--no-plots"]  # fmt: skip
    assert main([*args, "--out", str(exp)]) == 0
    return exp


def test_resume_refuses_parts_symlink(tmp_path, capsys):
    exp = _experiment(tmp_path)
    target = tmp_path / "etc"
    target.mkdir()
    (target / "passwd").write_text("root")
    for p in (exp / "parts").iterdir():
        (target / p.name).write_bytes(p.read_bytes())
        p.unlink()
    (exp / "parts").rmdir()
    (exp / "parts").symlink_to(target)
    before = _snapshot(tmp_path)
    args = ["run", str(SMALL), "--replications", "4", "--executor", "serial", "--quiet"]
    assert main([*args, "--out", str(exp), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{exp / 'parts'}: is a symbolic link" in err
    assert _snapshot(tmp_path) == before


def test_resume_refuses_unmarked_manifest(tmp_path, capsys):
    exp = _experiment(tmp_path)
    man = json.loads((exp / "manifest.json").read_text())
    man.pop("samplesim_manifest", None)  # as written by samplesim 0.1
    (exp / "manifest.json").write_text(json.dumps(man))
    before = _snapshot(tmp_path)
    args = ["run", str(SMALL), "--replications", "2", "--executor", "serial", "--quiet"]
    assert main([*args, "--out", str(exp), "--resume"]) == 2
    assert "samplesim_manifest" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_plot_refuses_plots_symlink(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SMALL), "--out", str(out), "--no-plots", "--quiet"]) == 0
    target = tmp_path / "target"
    target.mkdir()
    (out / "plots").symlink_to(target)
    assert main(["plot", str(out)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert list(target.iterdir()) == []
    # A symlinked figure file is replaced, not written through.
    (out / "plots").unlink()
    (out / "plots").mkdir()
    (target / "passwd").write_text("root")
    (out / "plots" / "funnel.png").symlink_to(target / "passwd")
    assert main(["plot", str(out)]) == 0
    assert (target / "passwd").read_text() == "root"
    assert not (out / "plots" / "funnel.png").is_symlink()


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root.parent)): stat.S_IMODE(p.lstat().st_mode)
        for p in [root, *root.rglob("*")]
    }


@pytest.mark.parametrize(
    ("umask", "fmode", "dmode"),
    [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)],
    ids=["umask022", "umask027"],
)
def test_outputs_follow_the_umask(tmp_path, capsys, umask, fmode, dmode):
    old = os.umask(umask)
    try:
        run = tmp_path / "run"
        assert main(["run", str(SMALL), "--out", str(run), "--quiet"]) == 0
        assert main(["report", str(run)]) == 0
        assert main(["plot", str(run), "--out", str(tmp_path / "figs")]) == 0
        exp = tmp_path / "cmp"
        args = ["compare", str(SMALL), "--variants", "lottery", "--replications", "2"]
        assert main([*args, "--executor", "serial", "--quiet", "--out", str(exp)]) == 0
        assert main(["report", str(exp), "--out", str(tmp_path / "cmp.html")]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    modes = {**_modes(run), **_modes(tmp_path / "figs"), **_modes(exp)}
    modes["cmp.html"] = stat.S_IMODE((tmp_path / "cmp.html").stat().st_mode)
    for name in (
        "run/manifest.json",
        "run/report.html",
        "run/plots/funnel.png",
        "figs/funnel.png",
        "cmp/parts",
        "cmp/runs.parquet",
        "cmp/comparison.csv",
        "cmp/plots/comparison.png",
    ):
        assert name in modes, name
    assert any(k.startswith("cmp/parts/part-") for k in modes)
    want = {k: dmode if (tmp_path / k).is_dir() else fmode for k in modes}
    assert modes == want
