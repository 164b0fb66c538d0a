"""The package's layering, checked from the source (ast): who may import whom, no import
cycles, no oversized modules."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PKG = SRC / "samplesim"
MAX_LINES = 450


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(module: str, *, functions: bool) -> list[tuple[str, list[str]]]:
    """(imported module, names imported from it) of ``module``: module-level statements only
    (``if TYPE_CHECKING`` blocks skipped), or every import when ``functions``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, list[str]]] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                out.extend((a.name, []) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([base] if base else [])])
                out.append((base, [a.name for a in node.names]))
            elif isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.orelse)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not functions:
                continue
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    sub = getattr(node, field, None)
                    if isinstance(sub, list) and sub and isinstance(sub[0], ast.AST):
                        visit(sub)  # if/try/with/for/class blocks at module level run at import

    visit(tree.body)
    return out


def _targets(module: str, *, functions: bool) -> set[str]:
    """The samplesim modules ``module`` imports (``from pkg import sub`` counts ``pkg.sub``)."""
    found = set()
    for base, names in _imports(module, functions=functions):
        if not base.startswith("samplesim"):
            continue
        subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
        found.update(subs)
        if base in MODULES and (len(subs) < len(names) or not names):
            found.add(base)
    found.discard(module)
    return found


def _violations(where: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()):
    bad = []
    for module in MODULES:
        if not (module == where or module.startswith(where + ".")) or module in allowed:
            continue
        for target in _targets(module, functions=True):
            if any(target == f or target.startswith(f + ".") for f in forbidden):
                bad.append(f"{module} imports {target}")
    return bad


def _cycles(*, functions: bool) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph = {m: _targets(m, functions=functions) for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(graph):
        if m not in index:
            strong(m)
    return out


def test_the_graph_sees_imports():
    assert "samplesim.scenario.schema" in _targets("samplesim.policies", functions=False)
    assert "samplesim.plots" in _targets("samplesim.commands._figures", functions=True)
    assert "samplesim.plots" not in _targets("samplesim.commands._figures", functions=False)


def test_experiment_never_imports_plots():
    assert _violations("samplesim.experiment", ("samplesim.plots",)) == []


def test_scenario_never_imports_the_plugin_registries():
    assert _violations("samplesim.scenario", ("samplesim.policies", "samplesim.rules")) == []


def test_library_builds_scenarios_with_the_registries():
    """Outside the scenario layer, scenarios are built through samplesim.loading, which hands
    in the policy/effect registries; samplesim.worker rebuilds data its parent checked."""
    allowed = {"samplesim.loading", "samplesim.worker"}
    bad = []
    for module in MODULES:
        if module.startswith("samplesim.scenario") or module in allowed:
            continue
        for base, names in _imports(module, functions=True):
            unchecked = {"build_scenario", "load_scenario", "validate_file"} & set(names)
            if base in ("samplesim.scenario", "samplesim.scenario.loader") and unchecked:
                bad.append(f"{module} imports {sorted(unchecked)} from {base}")
    assert bad == []


def test_only_the_model_and_simulation_import_the_world():
    allowed = ("samplesim.simulation",)
    bad = [
        f"{m} imports {t}"
        for m in MODULES
        if not m.startswith("samplesim.model") and m not in allowed
        for t in _targets(m, functions=True)
        if t == "samplesim.model.world"
    ]
    assert bad == []


def test_no_import_cycle_at_module_level():
    assert _cycles(functions=False) == []


def test_no_import_cycle_counting_function_level_imports():
    """Stricter: imports inside functions count too. Such imports defer heavy or optional
    dependencies (matplotlib, dask, the experiment API behind ``samplesim.__getattr__``); a
    cycle through one cannot fail at import time, so if one is ever needed, mark this test
    xfail with the reason rather than dropping it. (The command line loads its subcommands
    with importlib, which this check does not see.)"""
    assert _cycles(functions=True) == []


def test_no_module_over_450_lines():
    big = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}
