"""The import rules of the package, read from its source (docs/architecture.md explains them).

Layers import one way, from the bottom of :data:`LAYERS` up::

    errors, ctype  <-  isa  <-  btf, kfuncs, progtypes  <-  verifier  <-  viz, widgets, cli,
                                                                           magics, kernel, ...

Every ``import`` statement of every module counts, function-level and ``TYPE_CHECKING`` ones
included: a lazy import still ties the layers together. A module imports only from its own layer
(where :data:`SIDEWAYS` allows it) or from layers below. The verifier and everything below it
must also work without matplotlib, ipywidgets and IPython (Binder kernels, the CLI, CI without a
display); that is checked in a fresh interpreter, since this test process may have loaded them.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kfunclab"

#: the layers, bottom first; a unit is a subpackage or a top-level module of kfunclab
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "ctype"}),
    frozenset({"isa"}),
    frozenset({"btf", "kfuncs", "progtypes"}),
    frozenset({"verifier"}),
    frozenset({"viz", "widgets", "cli", "magics", "kernel", "logs", "elf", "cc", "exercises"}),
)
#: imports allowed inside one layer: (importer, imported)
SIDEWAYS: frozenset[tuple[str, str]] = frozenset({
    ("ctype", "errors"),
    ("kfuncs", "btf"), ("kfuncs", "progtypes"), ("btf", "progtypes"),
    ("widgets", "viz"), ("magics", "viz"), ("magics", "widgets"), ("cli", "viz"),
    ("cli", "kernel"), ("exercises", "kernel"), ("logs", "kernel"), ("elf", "kernel"),
    # C in: cc compiles, elf reads the object; the CLI and the magics drive both
    ("cli", "cc"), ("cli", "elf"), ("magics", "cc"), ("magics", "elf"), ("cc", "elf"),
    # a kernel log read back: the CLI and the magics show it; notebook 12's check is Feedback
    ("cli", "logs"), ("magics", "logs"), ("logs", "exercises"),
})
#: the package's own ``__init__`` is the IPython extension's entry point: it sits above all
ROOT = "kfunclab"


def module_name(relpath: str) -> str:
    """``kfunclab/verifier/cfg.py`` -> ``kfunclab.verifier.cfg`` (``__init__`` -> the package)."""
    parts = relpath.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def parse(relpath: str, source: str) -> ast.Module:
    """``source`` parsed once (the checks below read every module several times)."""
    return ast.parse(source, relpath)


def imports_of(relpath: str, source: str) -> Iterator[tuple[int, str, str | None]]:
    """Every import in ``source``, anywhere in it: (line, module, name or None).

    ``from a.b import c`` yields ``(line, "a.b", "c")``; ``import a.b`` yields
    ``(line, "a.b", None)``. Relative imports are resolved against ``relpath``.
    """
    here = module_name(relpath).split(".")
    package = here if relpath.endswith("__init__.py") else here[:-1]
    for node in ast.walk(parse(relpath, source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield node.lineno, module, alias.name


def unit_of(module: str) -> str | None:
    """The layer unit of a kfunclab module (``kfunclab.verifier.cfg`` -> ``verifier``)."""
    parts = module.split(".")
    if parts[0] != ROOT:
        return None
    return parts[1] if len(parts) > 1 else ROOT


def imported_units(module: str, name: str | None) -> list[str]:
    """The units one import reaches: ``from kfunclab import errors`` reaches ``errors``."""
    if module == ROOT and name is not None:
        return [name]
    unit = unit_of(module)
    return [unit] if unit is not None else []


def layer_of(unit: str) -> int | None:
    return next((i for i, units in enumerate(LAYERS) if unit in units), None)


def layer_violations(sources: Mapping[str, str]) -> list[str]:
    """Each import that breaks the layer rule, as ``path:line: a imports b (...)``.

    ``sources`` maps a path relative to the repository (``kfunclab/verifier/x.py``) to its text.
    """
    found = []
    for relpath, source in sorted(sources.items()):
        importer = unit_of(module_name(relpath))
        if importer is None or importer == ROOT:
            continue
        low = layer_of(importer)
        if low is None:
            found.append(f"{relpath}: kfunclab.{importer} is in no layer: add it to LAYERS")
            continue
        for line, module, name in imports_of(relpath, source):
            for unit in imported_units(module, name):
                if unit == importer or (importer, unit) in SIDEWAYS:
                    continue
                high = layer_of(unit)
                if unit == ROOT or high is None or high >= low:
                    found.append(f"{relpath}:{line}: kfunclab.{importer} imports kfunclab.{unit} "
                                 f"({module}{'.' + name if name else ''}), which is not below it")
    return found


def package_sources() -> dict[str, str]:
    return {f"kfunclab/{p.relative_to(PACKAGE).as_posix()}": p.read_text(encoding="utf-8")
            for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_package_keeps_its_layers() -> None:
    assert layer_violations(package_sources()) == []


@pytest.mark.parametrize("source", [
    "from kfunclab.viz.html import result_html\n",
    "import kfunclab.viz\n",
    "def show(result):\n    from kfunclab.viz import html\n    return html.result_html(result)\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kfunclab.widgets import base\n",
    "from ..viz import html\n",
    "from kfunclab import magics\n",
])
def test_the_layer_check_catches_a_verifier_module_importing_a_view(source: str) -> None:
    sources = package_sources() | {"kfunclab/verifier/bad.py": source}
    found = layer_violations(sources)
    assert len(found) == 1 and found[0].startswith("kfunclab/verifier/bad.py:")


def test_the_layer_check_allows_a_view_importing_the_verifier() -> None:
    sources = {"kfunclab/viz/ok.py": "from kfunclab.verifier.result import VerificationResult\n",
               "kfunclab/verifier/ok.py": "from ..isa.insn import Insn\nfrom . import state\n"}
    assert layer_violations(sources) == []


def test_a_new_unit_must_be_given_a_layer() -> None:
    found = layer_violations({"kfunclab/newthing.py": "import os\n"})
    assert found == ["kfunclab/newthing.py: kfunclab.newthing is in no layer: add it to LAYERS"]


CORE = ["kfunclab.isa", "kfunclab.kfuncs", "kfunclab.btf", "kfunclab.progtypes",
        "kfunclab.verifier", "kfunclab.cli"]
VIEW_PACKAGES = ("matplotlib", "ipywidgets", "IPython")
VIEW_MODULES = ("kfunclab.viz", "kfunclab.widgets", "kfunclab.magics")

PROBE = """
import json, sys
for name in {modules!r}:
    __import__(name)
if {verify!r}:
    from kfunclab.verifier import verify_text
    verify_text('# SEC("syscall")\\n r1 = 1\\n call bpf_task_from_pid\\n r0 = 0\\n exit\\n',
                btf="bundled")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {views!r}
                        or m.startswith({own!r}))))
"""


@pytest.mark.parametrize("module", CORE)
def test_core_layers_do_not_import_views(module: str) -> None:
    # the CLI draws pictures on request only (--png), so it too loads no view at start
    code = PROBE.format(modules=[module], views=VIEW_PACKAGES, own=VIEW_MODULES, verify=True)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_importing_the_verifier_loads_no_view() -> None:
    code = PROBE.format(modules=["kfunclab.verifier"], views=VIEW_PACKAGES, own=VIEW_MODULES,
                        verify=False)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(sources: Mapping[str, str]) -> list[str]:
    """Each use of another kfunclab module's underscore name, as ``path:line: module.name``.

    Caught: ``from kfunclab.x import _name``, a private module (``kfunclab.x._y``), and
    ``module._name`` through a module imported with ``import kfunclab.x as m`` or
    ``from kfunclab import x``. A module's own underscore names are its business.
    """
    modules = {module_name(relpath) for relpath in sources}
    found = []
    for relpath, source in sorted(sources.items()):
        here = module_name(relpath)
        aliases: dict[str, str] = {}
        for line, module, name in imports_of(relpath, source):
            if unit_of(module) is None or module == here:
                continue
            if any(is_private(part) for part in module.split(".")):
                found.append(f"{relpath}:{line}: {module}")
            elif name is not None and is_private(name):
                found.append(f"{relpath}:{line}: {module}.{name}")
            elif name is not None and f"{module}.{name}" in modules:
                aliases[name] = f"{module}.{name}"
        tree = parse(relpath, source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names
                                if a.asname and unit_of(a.name) is not None})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and is_private(node.attr)
                    and aliases[node.value.id] != here):
                found.append(f"{relpath}:{node.lineno}: {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_underscore_names() -> None:
    assert private_imports(package_sources()) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from kfunclab.verifier.memory import _kptr_member\n",
     "kfunclab.verifier.memory._kptr_member"),
    ("def f():\n    from .equiv import _same_value\n", "kfunclab.verifier.equiv._same_value"),
    ("from kfunclab.verifier import liveness\nliveness._effects(1, {})\n",
     "kfunclab.verifier.liveness._effects"),
    ("import kfunclab.verifier.memory as mem\nmem._kptr_member(1, 2)\n",
     "kfunclab.verifier.memory._kptr_member"),
])
def test_the_underscore_check_catches_a_private_import(source: str, expected: str) -> None:
    found = private_imports(package_sources() | {"kfunclab/verifier/bad.py": source})
    assert [f.split(": ", 1)[1] for f in found] == [expected]


#: import cycles that remain, each the set of modules in it (every import counts, function-level
#: and TYPE_CHECKING ones too). A new cycle fails; so does a listed one that is gone (drop it).
ALLOWED_CYCLES: frozenset[frozenset[str]] = frozenset({
    # Kfunc.check() validates lazily; validate reads the Kfunc it checks
    frozenset({"kfunclab.kfuncs.decl", "kfunclab.kfuncs.validate"}),
    # Btf uses both; they name Btf in type hints only
    frozenset({"kfunclab.btf.convert", "kfunclab.btf.model", "kfunclab.btf.walk"}),
    # get_profile("live") builds the probed profile lazily; live builds on the named profiles
    frozenset({"kfunclab.kfuncs.live", "kfunclab.kfuncs.profiles"}),
})


def import_cycles(sources: Mapping[str, str]) -> set[frozenset[str]]:
    """The strongly connected groups of two or more modules in the package's import graph.

    A submodule importing its own package (``from kfunclab.kfuncs import KF`` inside
    ``kfunclab.kfuncs.catalog``) is not counted: the package's ``__init__`` is its index.
    """
    import networkx as nx

    modules = {module_name(relpath) for relpath in sources}
    graph = nx.DiGraph()
    for relpath, source in sources.items():
        here = module_name(relpath)
        graph.add_node(here)
        for _, module, name in imports_of(relpath, source):
            target = f"{module}.{name}" if f"{module}.{name}" in modules else module
            if target in modules and target != here and not here.startswith(target + "."):
                graph.add_edge(here, target)
    return {frozenset(c) for c in nx.strongly_connected_components(graph) if len(c) > 1}


def test_only_the_known_import_cycles_remain() -> None:
    assert import_cycles(package_sources()) == set(ALLOWED_CYCLES)


def test_the_cycle_check_sees_a_rule_module_importing_the_explorer() -> None:
    sources = package_sources()
    sources["kfunclab/verifier/trust.py"] += (
        "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from kfunclab.verifier.explore import Explorer\n")
    new = import_cycles(sources) - import_cycles(package_sources())
    assert len(new) == 1
    assert {"kfunclab.verifier.trust", "kfunclab.verifier.explore"} <= next(iter(new))


def test_rules_see_the_explorer_only_as_branches() -> None:
    # the rule modules take a verifier.branching.Branches; only verify() builds an Explorer
    importers = {relpath for relpath, source in package_sources().items()
                 for _, module, name in imports_of(relpath, source)
                 if module == "kfunclab.verifier.explore"
                 or (module == "kfunclab.verifier" and name == "explore")}
    assert importers == {"kfunclab/verifier/api.py"}


def test_the_explorer_is_what_rules_expect() -> None:
    from kfunclab.verifier.branching import Branches
    from kfunclab.verifier.explore import Explorer
    from kfunclab.verifier.liveness import Liveness

    explorer = Explorer.__new__(Explorer)  # the members, without running an exploration
    explorer.live = Liveness.__new__(Liveness)
    assert isinstance(explorer, Branches)
