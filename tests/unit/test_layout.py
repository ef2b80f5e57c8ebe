"""The rooms of the package import one way: a lower room never imports a higher one, and nothing
the Lambda layer ships imports the development package."""
import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYER = ROOT / "layers" / "pressroom"
DEV = ROOT / "devtools"
#: lowest first; a module may import its own room and the rooms before it
ORDER = ["domain", "settings", "imaging", "guidance", "adapters", "web", "stages", "bootstrap", "pressroom_local"]


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[0] if parts[0] != "pressroom" else parts[1] if len(parts) > 1 else "pressroom"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pressroom":
                found += [f"pressroom.{alias.name}" for alias in node.names]
            elif node.module.startswith(("pressroom.", "pressroom_local")):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("pressroom")]
    return found


def _modules() -> list[tuple[str, Path]]:
    return ([(str(p.relative_to(LAYER)), p) for p in sorted((LAYER / "pressroom").rglob("*.py"))]
            + [(str(p.relative_to(DEV)), p) for p in sorted((DEV / "pressroom_local").rglob("*.py"))])


@pytest.mark.parametrize("name,path", _modules(), ids=[name for name, _ in _modules()])
def test_rooms_import_downwards(name, path):
    room = _room(name.removesuffix(".py").removesuffix("/__init__").replace("/", "."))
    if room == "pressroom":
        return
    rank = ORDER.index(room)
    upward = [m for m in _imports(path) if _room(m) in ORDER and ORDER.index(_room(m)) > rank]
    assert not upward, f"{name} ({room}) imports higher rooms: {upward}"


def test_the_package_root_holds_a_handful_of_modules():
    assert sorted(p.name for p in (LAYER / "pressroom").glob("*.py")) == ["__init__.py", "bootstrap.py", "settings.py"]


def test_the_layer_holds_no_development_code():
    assert not list(LAYER.rglob("pressroom_local")) and not (LAYER / "pressroom" / "local").exists()
