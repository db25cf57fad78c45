"""The layout shows the architecture (docs/architecture.md): imports point one way between the rooms, no import
cycle, no private name used outside its module, gradio only in the app, no file named for when it was added."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("playground", "pipelines", "world", "training")
# room -> the rooms it may import (docs/architecture.md)
ALLOWED = {"app": {"playground", "pipelines"}, "playground": {"pipelines", "world", "training"}, "pipelines": set(),
           "world": set(), "training": {"world", "pipelines"}}


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path):
    """(imported module or name, is module level, the node) for each import of one module (TYPE_CHECKING left out)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
    top = {id(n) for node in tree.body for n in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top, node
            continue
        base = node.module or ""
        if node.level:
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        for alias in node.names:
            yield f"{base}.{alias.name}", id(node) in top, node


def _room(module: str) -> str | None:
    first = module.split(".")[0]
    return first if first in ALLOWED else None


def _local(target: str) -> str | None:
    """The project module an imported name lives in, or None for a third-party one."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def test_imports_point_one_way_between_rooms_and_gradio_stays_in_the_app():
    wrong = []
    for name, path in MODULES.items():
        for target, _top, node in _imports(name, path):
            if target.split(".")[0] == "gradio" and _room(name) not in ("playground",):
                wrong.append(f"{name} imports gradio (line {node.lineno})")
            room = _room(target)
            if room and room != _room(name) and room not in ALLOWED[_room(name)]:
                wrong.append(f"{name} imports {target} (line {node.lineno})")
    assert wrong == []


def test_no_import_cycle():
    """Module-level and in-function imports alike: an import moved into a function to dodge a cycle is still one."""
    edges = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _top, _node in _imports(name, path):
            local = _local(target)
            if local and local != name and not name.startswith(local + "."):  # a package's own __init__
                edges[name].add(local)
    state: dict[str, int] = {}
    cycles = []

    def visit(node, trail):
        state[node] = 1
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in MODULES:
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_private_name_is_used_outside_its_module():
    used = []
    for name, path in MODULES.items():
        for target, _top, node in _imports(name, path):
            last = target.rpartition(".")[2]
            if last.startswith("_") and not last.startswith("__") and _local(target):
                used.append(f"{name} imports {target} (line {node.lineno})")
        imported = {alias.asname or alias.name for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.Import) for alias in node.names if _local(alias.name)}
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                used.append(f"{name} uses {node.value.id}.{node.attr} (line {node.lineno})")
    assert used == []


@pytest.mark.parametrize("pattern", ["*_extra.py", "utils.py", "misc.py", "helpers.py"])
def test_no_file_is_named_for_when_it_was_added(pattern):
    assert [str(p.relative_to(ROOT)) for p in ROOT.glob(f"**/{pattern}") if ".venv" not in p.parts] == []
