"""Every code block of the README runs as written (in order, in a scratch directory).

Fenced blocks are classified by their language tag: ``python`` blocks are executed, ``sh`` /
``bash`` / untagged blocks are shell commands run through :func:`samplesim.cli.main`
in-process, and ``text`` / ``toml`` blocks (output, diagrams, examples) are not run. An
untagged block that is not a list of ``samplesim`` commands fails the test: tag it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from samplesim import cli
from samplesim.policies import POLICIES
from samplesim.rules import EFFECTS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUN = {"python", "sh", "bash", ""}
SKIP = {"text", "toml"}

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, code) of every fenced block, and of every indented block of the
    ``Run the ...`` install instructions (tagged ``install``), in order of appearance."""
    found = [(m.start(), m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    for m in re.finditer(r"^\n((?: {4}\S.*\n)+)", text, re.M):
        if not any(start <= m.start() < start + len(code) + 10 for start, _, code in found):
            code = "".join(line[4:] for line in m.group(1).splitlines(True))
            found.append((m.start(), "install", code))
    return [(tag, code) for _, tag, code in sorted(found)]


def commands(code: str) -> list[str]:
    """Shell commands of a block: ``\\`` continuations joined, ``#`` comments dropped."""
    joined = re.sub(r"\\\n", " ", code)
    out = []
    for line in joined.splitlines():
        parts = shlex.split(line, comments=True)
        if parts:
            out.append(shlex.join(parts))
    return out


def install_command(code: str) -> str | None:
    """The part of an install line after ``pip install ... &&``; ``None`` for the test suite
    itself (``python -m pytest``: running it here would recurse into this test). The ``pip
    install`` part is not run: the package is already importable where the tests run."""
    _, _, rest = code.strip().partition("&&")
    rest = rest.strip()
    assert rest, f"an install line without a command after '&&': {code!r}"
    if shlex.split(rest)[:3] == ["python", "-m", "pytest"]:
        return None
    return rest


def run_command(cmd: str) -> None:
    argv = shlex.split(cmd)
    assert argv[0] == "samplesim", f"README command is not a samplesim command: {cmd!r}"
    assert cli.main(argv[1:]) == 0, cmd


README_BLOCKS = blocks(README.read_text(encoding="utf-8"))


def test_every_block_is_classified():
    tags = [tag for tag, _ in README_BLOCKS]
    assert tags.count("install") == 2
    assert "python" in tags and "text" in tags
    for tag, code in README_BLOCKS:
        assert tag in RUN | SKIP | {"install"}, f"untagged or unknown block ```{tag}: {code}"
        if tag in {"sh", "bash", ""}:
            assert commands(code), code
            assert all(c.startswith("samplesim ") for c in commands(code)), (
                f"a shell block that is not samplesim commands; tag it ```text:\n{code}"
            )


def test_blocks_and_commands_parse():
    text = "```\nsamplesim a x \\\n    --b 1   # note\n# only a comment\nsamplesim c\n```\n"
    ((tag, code),) = blocks(text)
    assert tag == ""
    assert commands(code) == ["samplesim a x --b 1", "samplesim c"]
    assert install_command("python -m pip install . && samplesim run s.toml") == (
        "samplesim run s.toml"
    )
    assert install_command('pip install -e ".[test]" && python -m pytest -q') is None


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A scratch working directory with the repository's inputs linked in: outputs the
    README's commands write (``results/...``) land here, never in the repository."""
    for name in ("scenarios", "notebooks", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    # The README's Python registers an effect; leave the registries as they were.
    effects, policies = dict(EFFECTS), dict(POLICIES)
    yield tmp_path
    EFFECTS.clear()
    EFFECTS.update(effects)
    POLICIES.clear()
    POLICIES.update(policies)


@pytest.mark.slow  # about 50 s on the shared 2-core machine: 1,000 flagship runs and a sweep
def test_readme_blocks_run_as_written(scratch, capsys):
    repo_results = (ROOT / "results").exists()
    ran = []
    for tag, code in README_BLOCKS:
        if tag in SKIP:
            continue
        if tag == "python":
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a README example must not warn
                exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
            ran.append("python")
            continue
        cmds = [install_command(code)] if tag == "install" else commands(code)
        for cmd in cmds:
            if cmd is not None:
                run_command(cmd)
                ran.append(cmd)
    capsys.readouterr()
    assert (scratch / "results" / "ce5" / "summary.csv").is_file()
    assert (scratch / "results" / "cmp" / "comparison.csv").is_file()
    assert len(ran) >= 10
    assert (ROOT / "results").exists() == repo_results  # nothing written into the repository


def test_samplesim_plots_is_an_attribute_without_slowing_the_import():
    code = (
        "import sys, samplesim\n"
        "assert 'matplotlib' not in sys.modules, 'import samplesim pulled in matplotlib'\n"
        "assert samplesim.plots.funnel is not None\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
