"""The notebooks in notebooks/: stored without outputs, and each runs top to bottom.

Each notebook is executed in a fresh ``python3`` kernel with ``notebooks/`` as its working
directory and the Agg matplotlib backend, with a 120 s limit per cell; any error fails the test.
"""

from __future__ import annotations

import json
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


def _load(name: str) -> dict:
    return json.loads((NB_DIR / name).read_text(encoding="utf-8"))


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
