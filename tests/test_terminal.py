"""The command line as a terminal tool: logging with -v/-q, tables that fit the terminal and
say what they show without relying on bold, examples in every --help, shell completion."""

from __future__ import annotations

import io
import logging
import re
import shlex
import sys

import pandas as pd
import pytest

from helpers import FLAGSHIP, SMALL, minimal_raw, write_scenario
from samplesim import cli
from samplesim.terminal import fitted_tables

ANSI = re.compile(r"\x1b\[")


def _warning_scenario(tmp_path):
    raw = minimal_raw()
    raw["rules"][0]["selector"] = {"countries": ["RU"]}
    return write_scenario(tmp_path / "w.toml", raw)


def test_verbosity_controls_the_log(tmp_path, capsys):
    f = _warning_scenario(tmp_path)
    assert cli.main(["validate", str(f)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "info:" not in err
    assert cli.main(["-v", "validate", str(f)]) == 0
    err = capsys.readouterr().err
    assert "info: samplesim validate" in err and "debug:" not in err and "warning:" in err
    assert cli.main(["-vv", "validate", str(f)]) == 0
    assert "debug: plugins loaded" in capsys.readouterr().err
    assert cli.main(["validate", str(f), "-v"]) == 0  # after the command too
    err = capsys.readouterr().err
    assert "info: samplesim validate" in err and "debug:" not in err
    assert cli.main(["-q", "validate", str(f)]) == 0
    out = capsys.readouterr()
    assert out.err == "" and f"{f}: ok" in out.out


def test_main_leaves_no_logging_state_behind(tmp_path, capsys):
    logger = logging.getLogger("samplesim")
    before = (list(logger.handlers), logger.level)
    assert cli.main(["-v", "validate", str(_warning_scenario(tmp_path))]) == 0
    assert (list(logger.handlers), logger.level) == before
    capsys.readouterr()


def test_quiet_flag_before_the_command_hides_tables(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["-q", "run", str(SMALL), "--out", str(out), "--no-plots"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {out}/")


@pytest.mark.parametrize("columns", [64, 80, 200])
def test_run_table_fits_the_terminal_and_cuts_no_number(tmp_path, capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    out = tmp_path / "o"
    assert cli.main(["run", str(FLAGSHIP), "--seed", "2", "--out", str(out), "--no-plots"]) == 0
    text = capsys.readouterr().out
    table = [ln for ln in text.splitlines() if ln[:1] in "┏┃┡│└"]
    assert table and max(map(len, table)) <= columns
    assert "…" not in text and not ANSI.search(text)  # piped: no escape codes
    # the two timing columns say they show medians (header words may wrap over lines)
    assert sum(ln.count("median") for ln in table) == 2
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False, na_values=[""])
    row = summary.set_index("country").loc["ALL"]
    all_lines = [ln for ln in table if ln.startswith("│ ALL")]
    cells = [c.strip() for ln in all_lines for c in ln.strip("│").split("│")]
    for metric in ("submitted", "approved", "median_days_to_decision"):
        assert f"{row[metric]:,.0f}" in cells, metric


def test_comparison_says_in_words_which_intervals_exclude_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one table: "excludes 0" is its last column but one
    out = tmp_path / "c"
    argv = ["compare", str(SMALL), "--variants", "country-quota", "--replications", "6",
            "--out", str(out), "--no-plots", "--executor", "serial"]  # fmt: skip
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert not ANSI.search(text) and "bold" not in text.split("excludes 0:")[-1]
    comp = pd.read_csv(out / "comparison.csv", keep_default_na=False, na_values=[""])
    c = comp[(comp["country"] == "ALL") & (comp["metric"] == "approved")].iloc[0]
    expected = "yes" if (c["ci_low"] > 0 or c["ci_high"] < 0) else "no"
    line = next(ln for ln in text.splitlines() if re.match(r"│ country-quota\s+│ approved ", ln))
    assert line.rstrip("│ ").split("│")[-2].strip() == expected


def test_fitted_tables_split_columns_and_repeat_the_keys():
    headers = ["country", *(f"metric number {i}" for i in range(8))]
    rows = [(["AA", *(f"{1000 * i:,}" for i in range(8))], None)]
    one = fitted_tables("t", headers, rows, width=400)
    assert len(one) == 1
    parts = fitted_tables("t", headers, rows, width=50)
    assert len(parts) > 1
    seen = [c.header for t in parts for c in t.columns if c.header != "country"]
    assert seen == headers[1:]  # every column once, in order
    assert all(t.columns[0].header == "country" for t in parts)


def _examples(help_text: str) -> list[str]:
    block = help_text.split("examples:\n", 1)[1]
    joined = block.replace("\\\n", " ")
    return [ln.strip() for ln in joined.splitlines() if ln.strip().startswith("samplesim ")]


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_every_help_shows_examples_that_parse(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([name, "--help"])
    assert exit_.value.code == 0
    examples = _examples(capsys.readouterr().out)
    assert examples, f"samplesim {name} --help shows no example"
    parser = cli._parser()
    for line in examples:
        argv = shlex.split(line)[1:]
        assert argv[0] == name, line
        parser.parse_args(argv)  # an example that does not parse exits with status 2


def test_print_completion_and_complete_a_command(monkeypatch, capsys):
    pytest.importorskip("argcomplete")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--print-completion", "bash"])
    assert exit_.value.code == 0
    script = capsys.readouterr().out
    assert "samplesim" in script and "_ARGCOMPLETE" in script
    import argcomplete

    line = "samplesim com"
    monkeypatch.setenv("_ARGCOMPLETE", "1")
    monkeypatch.setenv("COMP_LINE", line)
    monkeypatch.setenv("COMP_POINT", str(len(line)))
    monkeypatch.setenv("_ARGCOMPLETE_IFS", "\n")
    buf = io.StringIO()
    argcomplete.autocomplete(cli._parser(), output_stream=buf, exit_method=lambda code=0: None)
    assert buf.getvalue().split() == ["compare"]


def test_help_and_version_still_work(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "-v, --verbose" in text and "-q, --quiet" in text and "examples:" in text
    assert sys.version_info >= (3, 11)


def test_fitted_tables_measure_text_without_markup_and_wrap_only_text():
    from rich.console import Console

    headers = ["fact", "observed", "inside"]
    rows = [(["a rather long fact label", "1,234.5", "[green]yes[/]"], None)]
    right = [False, True, False]
    (t,) = fitted_tables("t", headers, rows, width=40, right=right)
    widths = [c.width for c in t.columns]
    # "rather" (the longest word: text wraps), "observed" (numbers never wrap), "inside"
    assert widths == [6, 8, 6]
    console = Console(width=40, file=io.StringIO(), no_color=True)
    console.print(t)
    text = console.file.getvalue()
    assert "1,234.5" in text and "[green]" not in text and "yes" in text


def test_a_closed_pipe_is_no_traceback(tmp_path):
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, "-m", "samplesim", "run", str(SMALL), "--out", str(tmp_path / "o"),
         "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()  # the reader is gone before the command prints anything
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and proc.returncode in (0, 1, 141), err
