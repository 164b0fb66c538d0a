"""The command line: validate and run, exit statuses, messages, output directories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import (
    BAD_CASES,
    FLAGSHIP,
    PLAIN_MESSAGE_CASES,
    bad_text,
    minimal_raw,
    write_scenario,
)
from samplesim import cli


def _sh(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "samplesim", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_validate_flagship_subprocess():
    proc = _sh("validate", str(FLAGSHIP))
    assert proc.returncode == 0, proc.stderr
    assert f"{FLAGSHIP}: ok" in proc.stdout
    assert "wolf-lifted" in proc.stdout  # the variants are listed (and were checked)


BAD_IDS = [c[0] for c in BAD_CASES]


@pytest.mark.parametrize(("case", "mutate", "path", "words"), BAD_CASES, ids=BAD_IDS)
def test_validate_bad_input(tmp_path, capsys, case, mutate, path, words):
    f = write_scenario(tmp_path / f"{case}.toml", bad_text(mutate))
    assert cli.main(["validate", str(f)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    lines = out.err.splitlines()
    assert lines[0].startswith(f"error: {f}: ") and "problem" in lines[0]
    n = int(lines[0].split(": ")[2].split()[0])
    assert len(lines) == 1 + n
    if path:
        assert any(line.startswith(f"  {path}: ") for line in lines[1:]), out.err


@pytest.mark.parametrize("case", PLAIN_MESSAGE_CASES, ids=lambda c: c[0])
def test_validate_messages_hide_library_internals(tmp_path, capsys, case):
    name, mutate, path, message = case
    f = write_scenario(tmp_path / f"{name}.toml", mutate(minimal_raw()))
    assert cli.main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"  {path}: {message}" in err.splitlines()
    for leak in ("CattrsError", "typing.", "Literal[", "Error:", "Traceback"):
        assert leak not in err


def test_validate_warns_about_countries_without_applicants(tmp_path, capsys):
    raw = minimal_raw()
    raw["rules"][0]["selector"] = {"countries": ["RU", "KP"]}
    raw["variants"] = {"sy": {"rules": {"export-licence": {"selector": {"countries": ["SY"]}}}}}
    f = write_scenario(tmp_path / "s.toml", raw)
    assert cli.main(["validate", str(f)]) == 0
    out = capsys.readouterr()
    assert f"{f}: ok" in out.out
    assert out.err.splitlines() == [
        f"warning: {f}: rules[0].selector.countries: no applicant, partner or reviewer is "
        "from RU, KP, so this never applies",
        f"warning: {f}: variants.sy.rules[0].selector.countries: no applicant, partner or "
        "reviewer is from SY, so this never applies",
    ]


def test_validate_bad_input_subprocess(tmp_path):
    f = write_scenario(tmp_path / "bad.toml", bad_text(BAD_CASES[2][1]))  # calls[0].clse_day
    proc = _sh("validate", str(f))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{f}: 1 problem" in proc.stderr
    assert "  calls[0].clse_day: unknown key" in proc.stderr
    proc = _sh("validate", str(tmp_path / "missing.toml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "file not found" in proc.stderr


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


@pytest.mark.parametrize("case", [c[0] for c in BAD_CASES])
def test_run_bad_input_leaves_nothing_behind(tmp_path, capsys, case):
    mutate = {c[0]: c[1] for c in BAD_CASES}[case]
    f = write_scenario(tmp_path / "bad.toml", bad_text(mutate))
    parent = tmp_path / "results"
    parent.mkdir()
    assert cli.main(["run", str(f), "--out", str(parent / "out"), "--no-plots"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert _leftovers(parent) == []


def test_run_bad_input_subprocess_default_out(tmp_path):
    f = write_scenario(tmp_path / "bad.toml", bad_text(BAD_CASES[4][1]))
    proc = _sh("run", str(f), "--seed", "3", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "inventory[0].grams" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # no results/ dir


def test_run_writes_outputs(tmp_path, out_dir, flagship):
    proc = _sh("run", str(FLAGSHIP), "--seed", "9", "--out", str(out_dir))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in ("summary.csv", "proposals.parquet", "events.parquet", "manifest.json"):
        assert (out_dir / name).is_file(), name
    assert (out_dir / "plots").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no .partial dirs left
    manifest = json.loads((out_dir / "manifest.json").read_text())
    for key in ("scenario_digest", "seed", "versions", "command"):
        assert key in manifest
    assert manifest["seed"] == 9
    assert len(manifest["scenario_digest"]) == 64
    assert manifest["versions"]["samplesim"]
    assert manifest["command"][0] == "samplesim"
    assert "--seed" in manifest["command"] and "9" in manifest["command"]
    # The files hold the same tables as the API.
    import samplesim

    assert manifest["scenario_digest"] == flagship.digest
    res = samplesim.simulate(flagship, seed=9)
    got = pd.read_parquet(out_dir / "proposals.parquet")
    pd.testing.assert_series_equal(got["merit"], res.proposals["merit"])
    assert list(got["proposal_id"]) == list(res.proposals["proposal_id"])
    summary = pd.read_csv(out_dir / "summary.csv")
    assert list(summary["country"]) == list(res.summary["country"])
    assert list(summary["submitted"]) == list(res.summary["submitted"])


def test_run_in_process_quiet(tmp_path, capsys, mini_toml):
    out = tmp_path / "o"
    assert (
        cli.main(["run", str(mini_toml), "--seed", "2", "--out", str(out), "--no-plots", "--quiet"])
        == 0
    )
    text = capsys.readouterr().out.strip().splitlines()
    assert len(text) == 1 and text[0].startswith(f"wrote {out}")
    assert (out / "proposals.parquet").is_file()
    assert not (out / "plots").exists() or not any((out / "plots").iterdir())
    # Re-running over an earlier samplesim output replaces it.
    assert cli.main(["run", str(mini_toml), "--seed", "3", "--out", str(out), "--no-plots"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 3
    assert _leftovers(tmp_path) == ["mini.toml", "o"]


def test_run_refuses_foreign_directory(tmp_path, capsys, mini_toml):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("do not delete")
    assert cli.main(["run", str(mini_toml), "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "not a samplesim output directory" in err
    assert _leftovers(out) == ["thesis.tex"]
    assert (out / "thesis.tex").read_text() == "do not delete"
    assert _leftovers(tmp_path) == ["mini.toml", "precious"]
    # A file in the way is refused too.
    (tmp_path / "afile").write_text("x")
    assert cli.main(["run", str(mini_toml), "--out", str(tmp_path / "afile"), "--no-plots"]) == 2
    assert (tmp_path / "afile").read_text() == "x"


def test_run_refuses_foreign_directory_subprocess(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "data.txt").write_text("keep")
    proc = _sh("run", str(FLAGSHIP), "--out", str(out), "--no-plots")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert _leftovers(out) == ["data.txt"]
    assert _leftovers(tmp_path) == ["precious"]


def test_run_bad_seed(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["run", str(FLAGSHIP), "--seed", "-1", "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not out.exists()


def test_run_unknown_variant(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["run", str(FLAGSHIP), "--variant", "nope", "--out", str(out)]) == 2
    assert "no variant named 'nope'" in capsys.readouterr().err
    assert not out.exists()


def test_every_help_text_renders(capsys):
    """``samplesim --help`` and each command's ``--help`` print (a stray ``%`` in a help
    string breaks argparse's formatting)."""
    from samplesim.cli import COMMANDS, main

    for argv in (["--help"], *([c, "--help"] for c in COMMANDS)):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0, argv
    assert "check" in capsys.readouterr().out


def test_command_table_matches_the_command_modules():
    """``samplesim --help`` lists commands from a static table (no command is imported for
    it); each entry must be its module's NAME and HELP."""
    import importlib

    for name, text in cli.COMMAND_HELP.items():
        mod = importlib.import_module(f"samplesim.commands.{name}")
        assert (name, text) == (mod.NAME, mod.HELP)


def test_the_main_job_imports_no_scipy_and_quietly_no_rich(tmp_path):
    """``samplesim -q run SCENARIO`` (figures included) needs neither scipy nor the table
    renderer: both would only slow its start."""
    code = (
        "import sys\nfrom samplesim.cli import main\n"
        f"status = main(['-q', 'run', {str(FLAGSHIP)!r}, '--out', {str(tmp_path / 'o')!r}])\n"
        "print(status, sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'rich'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "0 []"
    assert (tmp_path / "o" / "plots" / "funnel.png").exists()


def test_help_imports_no_command_and_running_one_imports_only_it():
    code = (
        "import sys\nfrom samplesim import cli\np = cli._parser()\n"
        "def cmds():\n"
        "    return sorted(m for m in sys.modules if m.startswith('samplesim.commands.')\n"
        "                  and not m.startswith('samplesim.commands._'))\n"
        "print(cmds())\np.parse_args(['validate', 'x.toml'])\nprint(cmds())\n"
        "print('scipy.stats' in sys.modules, 'rich' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, after, heavy = out.stdout.splitlines()
    assert before == "[]"
    assert after == "['samplesim.commands.validate']"
    assert heavy == "False False"
