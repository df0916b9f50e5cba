"""The package layout follows the data flow (``docs/architecture.md``), checked on the source with ``ast``.

signal -> stream (windows -> runtime model -> decoder) -> Codec -> tokenizer formats -> files. Each first-level
unit of ``openecg`` (a subpackage or a top-level module) may import only the units listed for it in
:data:`ALLOWED`, so nothing upstream depends on what it feeds; no unit imports a private name (or a private
module) of another; the top level holds only the API surface.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "openecg"

TOP_LEVEL_MODULES = {"__init__", "_version", "encode", "codec", "cli", "errors"}
"""The API surface: everything else lives in a subpackage named after its stage."""

ANY = None
ALLOWED: dict[str, tuple[str, ...] | None] = {
    "errors": (),
    "_version": (),
    "signal": ("errors",),
    "tokenizer": ("errors", "signal"),
    "tokenizer.ids": ("errors", "signal", "tokenizer", "codec"),  # token ids of a Codec, and back
    "runtime": ("errors", "signal", "tokenizer.vocab"),
    "stream": ("errors", "signal", "tokenizer", "runtime"),
    "codec": ("errors", "signal", "tokenizer", "stream.geometry"),
    "encode": ("errors", "signal", "tokenizer", "runtime", "stream", "codec"),
    "data": ("errors", "signal", "tokenizer"),
    "eval": ("errors", "signal", "tokenizer", "data", "codec"),
    "paper": ("errors", "signal", "tokenizer", "data", "eval"),
    "stage2": ("errors", "signal", "tokenizer", "runtime", "stream", "data", "eval"),
    "cli": ANY,
    "__init__": ANY,
}
"""Unit -> the units (or ``unit.module``) it may import. A key may also name one module (``"tokenizer.ids"``):
the most specific key that contains the importing module applies. A unit not listed here (a new subpackage)
is a consumer at the end of the flow: it may import anything but ``cli``, and no listed unit may import it.
To add a dependency, check that it follows the data flow of ``docs/architecture.md`` and list it here."""

SAME_NAME_OK = {"main", "digitize", "register", "run"}
"""Public functions or classes that may be defined in two units: ``main`` (the entry point of each runnable
module) and ``digitize`` (the top-level wrapper of :func:`openecg.paper.digitizer.digitize`)."""


def _modules() -> list[tuple[str, Path]]:
    """``(dotted name, path)`` of every module of the package."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("openecg",) + path.relative_to(PACKAGE).with_suffix("").parts
        out.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return out


def _imports(name: str, path: Path) -> list[tuple[list[str], list[str], int]]:
    """``(target module parts, imported names, line)`` of every import of ``openecg`` in one module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
            else:
                target = (node.module or "").split(".")
            if target[0] != "openecg":
                continue
            names = [a.name for a in node.names]
            if node.module is None:  # from . import stream: the names are modules
                found.extend((target + [n], [], node.lineno) for n in names)
            else:
                found.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name.split("."), [], node.lineno) for a in node.names if a.name.split(".")[0] == "openecg")
    return found


def _unit(parts: list[str]) -> str:
    return parts[1] if len(parts) > 1 else "__init__"


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__")) and part != "_version"


def _edges() -> list[tuple[str, str, list[str], list[str], int]]:
    """``(importing module, its unit, target parts, names, line)`` for imports that cross units."""
    edges = []
    for name, path in _modules():
        unit = _unit(name.split("."))
        for target, names, line in _imports(name, path):
            if _unit(target) != unit:
                edges.append((name, unit, target, names, line))
    return edges


def test_top_level_holds_only_the_api_surface() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules <= TOP_LEVEL_MODULES, f"move {sorted(modules - TOP_LEVEL_MODULES)} into the subpackage of its stage"
    for folder in (p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if any(folder.rglob("*.py")):
            assert (folder / "__init__.py").is_file(), f"{folder.name}/ holds modules but no __init__.py"


def test_no_private_names_across_units() -> None:
    bad = [
        f"{name}:{line} imports {'.'.join(target)}{' ' + ', '.join(names) if names else ''}"
        for name, _, target, names, line in _edges()
        if any(_private(p) for p in target[1:]) or any(_private(n) for n in names)
    ]
    assert not bad, "make the name public where it belongs, or move the code:\n" + "\n".join(bad)


def test_imports_follow_the_data_flow() -> None:
    bad = []
    for name, unit, target, _, line in _edges():
        dotted = ".".join(target[1:]) or "__init__"
        own = name.split(".")[1:]
        keys = [".".join(own[:k]) for k in range(len(own), 0, -1) if ".".join(own[:k]) in ALLOWED]
        if not keys:  # a consumer at the end of the flow: anything but the command line
            if _unit(target) == "cli":
                bad.append(f"{name}:{line} ({unit}) imports {dotted}; only the command line imports cli")
            continue
        unit = keys[0]
        allowed = ALLOWED[unit]
        if allowed is ANY:
            continue
        if not any(dotted == a or dotted.startswith(a + ".") for a in allowed):
            bad.append(f"{name}:{line} ({unit}) imports {dotted}; {unit} may import {', '.join(allowed) or 'nothing'}")
    assert not bad, "an import against the data flow (see ALLOWED in this file):\n" + "\n".join(bad)


def test_the_rules_see_the_imports() -> None:
    """The checker itself: it finds relative, absolute and late imports (else the rules above prove nothing)."""
    edges = {(unit, ".".join(t[1:])) for _, unit, t, _, _ in _edges()}
    assert ("stream", "runtime.heads") in edges  # from ..runtime.heads import ... (module level)
    assert ("stream", "signal.io") in edges  # from ..signal.io import open_file (inside a function)
    assert ("__init__", "paper.digitizer") in edges
    assert _private("_tables") and _private("_ratio") and not _private("__version__") and not _private("_version")


def test_no_two_modules_or_functions_of_one_name_in_two_units() -> None:
    """Names that collide mislead: ``decoder.episodes`` was a filter while ``eval.rhythm.episodes`` lists them."""
    modules: dict[str, set[str]] = defaultdict(set)
    defined: dict[str, set[str]] = defaultdict(set)
    for name, path in _modules():
        unit = _unit(name.split("."))
        if path.name not in ("__init__.py", "__main__.py"):
            modules[path.stem].add(unit)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                defined[node.name].add(name)
    same_module = {m: sorted(u) for m, u in modules.items() if len(u) > 1}
    assert not same_module, f"rename one of each: {same_module}"
    same_name = {
        n: sorted(m) for n, m in defined.items() if len({_unit(x.split(".")) for x in m}) > 1 and n not in SAME_NAME_OK
    }
    assert not same_name, f"one meaning per public name; rename the less central one: {same_name}"


@pytest.mark.slow
def test_splits_load_from_an_installed_wheel(tmp_path: Path) -> None:
    """The committed splits are package data: a wheel installed away from the source tree loads them."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"  # build from a copy: the build writes build/ and *.egg-info beside the sources
    shutil.copytree(PACKAGE, source / "openecg", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PACKAGE.parent / name, source / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("openecg-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = (
        "import json, openecg.data as d; from openecg.data.splits import SPLITS_DIR\n"
        "names = sorted(p.stem for p in SPLITS_DIR.glob('*.json'))\n"
        "print(json.dumps({'file': d.__file__, 'names': names, 'ludb': d.load_split('ludb')}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n" + code],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    from openecg.data import load_split

    result = json.loads(run.stdout)
    assert Path(result["file"]).is_relative_to(site)
    assert {"cpsc2021", "ludb", "mitdb", "nstdb", "qtdb"} <= set(result["names"])
    assert result["ludb"] == load_split("ludb")


def test_no_import_cycles() -> None:
    """No cycle among modules, counting imports inside functions (a late import must not hide one)."""
    names = {name for name, _ in _modules()}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in _modules():
        for target, imported, _ in _imports(name, path):
            module = ".".join(target)
            for n in imported:  # from .pkg import module
                if f"{module}.{n}" in names:
                    graph[name].add(f"{module}.{n}")
            if module in names and module != name:
                graph[name].add(module)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(names):
        if node not in state:
            visit(node)
