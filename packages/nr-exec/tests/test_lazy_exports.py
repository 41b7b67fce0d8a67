"""Lazily exported names (PEP 562) are visible to type checkers and load on first access.

Every ``__init__.py`` of nr-exec and nr-tunnel that loads names on first use (``_LAZY``, or the
mapping given to ``nr_exec._lazy.lazy_exports``) must also import each of them under
``if TYPE_CHECKING:`` from the module it is loaded from, or mypy and IDEs see ``object``.
In a fresh interpreter the package imports none of those modules, and each name, once
accessed, is its module's object.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parents[2]
INITS = sorted(
    [
        *(SOURCES / "nr-exec" / "src" / "nr_exec").rglob("__init__.py"),
        SOURCES / "nr-tunnel" / "src" / "nr_tunnel" / "__init__.py",
    ]
)


def package_of(init: Path) -> str:
    return ".".join(init.parent.relative_to(SOURCES).parts[2:])  # <dist>/src/<package>


def lazy_names(tree: ast.Module) -> dict[str, str]:
    """The package's lazily exported names -> the module each is loaded from."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets
        ):
            return dict(ast.literal_eval(node.value))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "lazy_exports"
            and isinstance(node.args[1], ast.Dict)
        ):
            return dict(ast.literal_eval(node.args[1]))
    return {}


def type_checking_imports(tree: ast.Module) -> dict[str, str]:
    """The names imported under ``if TYPE_CHECKING:`` -> the module they come from."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name):
            if node.test.id != "TYPE_CHECKING":
                continue
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    found.update({alias.name: statement.module for alias in statement.names})
    return found


LAZY = {package_of(init): lazy_names(ast.parse(init.read_text(encoding="utf-8"))) for init in INITS}
LAZY = {package: names for package, names in LAZY.items() if names}


def test_the_lazy_packages_are_found() -> None:
    assert {"nr_exec", "nr_exec.docker", "nr_exec.local", "nr_tunnel"} <= set(LAZY)


@pytest.mark.parametrize("init", INITS, ids=package_of)
def test_every_lazy_name_is_imported_for_type_checkers(init: Path) -> None:
    tree = ast.parse(init.read_text(encoding="utf-8"))
    lazy = lazy_names(tree)
    hooks = [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"
    ]
    assert not hooks or lazy, f"{package_of(init)}: name the lazy exports in `_LAZY`"
    typed = type_checking_imports(tree)
    missing = {name: module for name, module in lazy.items() if typed.get(name) != module}
    assert not missing, (
        f"{package_of(init)}: import these under `if TYPE_CHECKING:` (name: module): {missing}"
    )


CHECK = """
import importlib, json, sys
package, lazy = sys.argv[1], json.loads(sys.argv[2])
imported = importlib.import_module(package)
early = sorted(m for m in set(lazy.values()) if m in sys.modules and m != package)
wrong = [n for n, m in lazy.items() if getattr(imported, n) is not getattr(importlib.import_module(m), n)]
unlisted = sorted(set(lazy) - set(dir(imported)))
print(json.dumps({"early": early, "wrong": wrong, "unlisted": unlisted}))
"""


@pytest.mark.parametrize("package", sorted(LAZY))
def test_lazy_names_load_on_first_access(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, package, json.dumps(LAZY[package])],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout) == {"early": [], "wrong": [], "unlisted": []}
