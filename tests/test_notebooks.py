"""The notebooks in notebooks/: stored without outputs, and each runs top to bottom.

Each notebook is executed in a fresh ``python3`` kernel with ``notebooks/`` as its working
directory and the Agg matplotlib backend, with a 120 s limit per cell; any error fails the test.

The test runs every cell, but with smaller replication counts (``QUICK``): a cell that sets
them is injected right after the notebook's cell tagged ``parameters`` (papermill's
convention), so the same code runs on fewer runs. What the test proves (each cell runs,
figures are drawn) does not depend on those counts; the numbers the notebooks discuss do, and
they come from the shipped values. ``SAMPLESIM_NOTEBOOKS_FULL=1`` runs the notebooks as shipped.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
EXPECTED = (
    "01-quickstart.ipynb",
    "02-policy-variants.ipynb",
    "03-sensitivity.ipynb",
    "04-write-your-own-scenario.ipynb",
    "05-what-the-wolf-amendment-changed.ipynb",
    "06-peer-review-experiments.ipynb",
    "07-calibrate-and-discover.ipynb",
    "08-explore.ipynb",
)
NOTEBOOKS = sorted(p.name for p in NB_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell
KERNEL = "python3"
#: Test-run sizes, per notebook: names its ``parameters`` cell assigns -> smaller values (the
#: shipped values in comments). Each keeps every branch of the notebook's code running.
QUICK: dict[str, dict[str, int]] = {
    "02-policy-variants.ipynb": {"REPLICATIONS": 20},  # 200
    "03-sensitivity.ipynb": {"N": 8, "REPLICATIONS": 2, "GRID_REPLICATIONS": 5},  # 64, 4, 50
    "05-what-the-wolf-amendment-changed.ipynb": {"REPLICATIONS": 10},  # 100
    "06-peer-review-experiments.ipynb": {"PANEL_REPLICATIONS": 3, "REPLICATIONS": 10},  # 8, 60
    "07-calibrate-and-discover.ipynb": {"POPULATION": 20, "GENERATIONS": 2, "PREDICTIVE": 20},
    "08-explore.ipynb": {"REPLICATIONS": 5},  # 20; 5 is the replications slider's minimum
}
FULL = os.environ.get("SAMPLESIM_NOTEBOOKS_FULL", "").strip() not in ("", "0")


def _load(name: str) -> dict:
    return json.loads((NB_DIR / name).read_text(encoding="utf-8"))


def _parameters_cell(cells: list) -> int:
    """Index of the one code cell tagged ``parameters``."""
    tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{len(tagged)} cells tagged 'parameters' (want one)"
    return tagged[0]


def _assigned(source: str) -> dict[str, object]:
    """Top-level ``NAME = <literal>`` assignments of a cell (IPython magics dropped)."""
    code = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
    out = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    out[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    out[target.id] = None
    return out


def test_expected_notebooks_exist():
    missing = [n for n in EXPECTED if n not in NOTEBOOKS]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_without_outputs(name):
    nb = _load(name)
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{name}: code cells {dirty} have outputs or execution counts (strip them)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_explanations(name):
    nb = _load(name)
    kinds = [c["cell_type"] for c in nb["cells"]]
    assert kinds[0] == "markdown", f"{name}: should open with a markdown cell"
    assert kinds.count("markdown") >= 3, f"{name}: too little explanation for the reader"


@pytest.mark.parametrize("name", sorted(QUICK))
def test_quick_sizes_override_the_parameters_cell(name):
    """Every quick size replaces an integer the ``parameters`` cell sets, by a smaller one, and
    no later cell sets it again (the injected cell would be overridden, or inject nothing)."""
    cells = _load(name)["cells"]
    i = _parameters_cell(cells)
    assert cells[i]["cell_type"] == "code"
    shipped = _assigned("".join(cells[i]["source"]))
    for key, quick in QUICK[name].items():
        assert isinstance(shipped.get(key), int), f"{name}: the parameters cell sets no {key}"
        assert 0 < quick < shipped[key], f"{name}: {key} = {quick} is not a smaller size"
        for c in cells[i + 1 :]:
            if c["cell_type"] == "code":
                assert key not in _assigned("".join(c["source"])), f"{name}: {key} set again"


@pytest.fixture(scope="module")
def kernel_available():
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        pytest.skip(f"no {KERNEL!r} Jupyter kernel installed")
    return nbclient


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, kernel_available, monkeypatch):
    import nbformat
    from nbclient.exceptions import CellExecutionError

    # The kernel inherits the environment: no GUI backend, whatever the machine has.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NB_DIR / name, as_version=4)
    if name in QUICK and not FULL:
        sizes = "\n".join(f"{k} = {v}" for k, v in QUICK[name].items())
        cell = nbformat.v4.new_code_cell(f"# injected by tests/test_notebooks.py\n{sizes}")
        nb.cells.insert(_parameters_cell(nb.cells) + 1, cell)
    client = kernel_available.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(NB_DIR)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name} failed:\n{exc}", pytrace=False)

    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{name}: error outputs {errors}"
    images = sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    )
    assert images >= 1, f"{name}: no figure was displayed"
    # Notebooks are documentation and must stay quick; the per-cell timeout is the limit (a
    # wall-clock assertion on the whole notebook would fail on a busy machine, not a slow one).
