"""What the package ships: one version, the licence, the citation file, type information,
the optional extras (and a clear error when one is missing)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

import samplesim
from samplesim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "samplesim"
SMALL = ROOT / "scenarios" / "small-known.toml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _names(reqs: list[str]) -> set[str]:
    return {re.split(r"[\[<>=; ]", r, maxsplit=1)[0].lower() for r in reqs}


def test_the_version_is_written_once():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    path = PYPROJECT["tool"]["hatch"]["version"]["path"]
    assert (ROOT / path).resolve() == (PKG / "__init__.py").resolve()
    text = (PKG / "__init__.py").read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', text, re.M) == [samplesim.__version__]
    # No other file of the package spells the version out.
    for f in PKG.rglob("*.py"):
        if f.name != "__init__.py" or f.parent != PKG:
            assert samplesim.__version__ not in f.read_text(encoding="utf-8"), f


def test_changelog_and_citation_tell_the_same_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## Unreleased" in changelog
    release = re.match(r"\d+\.\d+\.\d+", samplesim.__version__).group(0)
    assert re.search(rf"^## {re.escape(release)}\b", changelog, re.M), release
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # the keys CFF 1.2.0 requires
        assert cff[key], key
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    assert cff["version"] == samplesim.__version__
    assert cff["license"] == "MIT" == PYPROJECT["project"]["license"]["text"]


def test_licence_is_the_mit_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c)" in text and "samplesim contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_py_typed_ships_in_the_package():
    assert (PKG / "py.typed").is_file()
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/samplesim"]


def test_extras():
    project = PYPROJECT["project"]
    core, extras = _names(project["dependencies"]), project["optional-dependencies"]
    assert "dask" not in core
    assert {"dask"} <= _names(extras["dask"])
    assert {"jupyterlab", "nbconvert", "ipywidgets", "xarray"} <= _names(extras["notebooks"])
    # The tests use dask, xarray and ipywidgets: `pip install -e ".[test]"` must bring them.
    assert {"dask", "xarray", "ipywidgets", "nbclient", "ipykernel"} <= _names(extras["test"])


def test_no_module_imports_an_optional_dependency_at_import_time():
    optional = {"dask", "distributed", "xarray", "ipywidgets", "IPython"}
    bad = []
    for f in PKG.rglob("*.py"):
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            bad += [f"{f.name}: {n}" for n in names if n.split(".")[0] in optional]
    assert bad == []


def test_dask_executor_without_dask_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    out = tmp_path / "o"
    argv = ["run", str(SMALL), "--replications", "2", "--executor", "dask", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "samplesim[dask]" in err and "Traceback" not in err
    assert not out.exists()
