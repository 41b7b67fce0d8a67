"""docs/packages/nemo-run.md lists every name of the façade and of its public submodules.

The exported names (``__all__``; a module exporting none, like the package ``nemo_run.run``, needs
no table) are read in a fresh interpreter, as a user's script sees them; the page's
"Every name" section has one table per module, headed "### `module`", whose first column
holds the names. A name exported but not listed, or listed but no longer exported, fails.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "packages" / "nemo-run.md"
# Modules of the façade that hold its machinery, not names users import from them.
INTERNAL = {"nemo_run.errors", "nemo_run.pending", "nemo_run.__main__", "nemo_run.__about__"}

EXPORTS = """
import importlib, json, pkgutil
import nemo_run
modules = ["nemo_run"] + [m.name for m in pkgutil.walk_packages(nemo_run.__path__, "nemo_run.")]
exports = {}
for name in modules:
    if any(part.startswith("_") and not part.startswith("__") for part in name.split(".")):
        continue
    exports[name] = list(getattr(importlib.import_module(name), "__all__", []))
print(json.dumps(exports))
"""


def exported() -> dict[str, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", EXPORTS], capture_output=True, text=True, check=True, timeout=60
    )
    exports = json.loads(result.stdout)
    return {name: set(names) for name, names in exports.items() if names and name not in INTERNAL}


def listed() -> dict[str, set[str]]:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\n## Every name\n", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, set[str]] = {}
    for block in re.split(r"^### ", section, flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        module = heading.strip().strip("`")
        rows = re.findall(r"^\| `([^`]+)` \|", body, flags=re.MULTILINE)
        tables[module] = set(rows)
    return tables


def test_every_module_of_the_facade_has_a_table() -> None:
    assert sorted(listed()) == sorted(exported())


def test_every_exported_name_is_listed_and_every_listed_name_exported() -> None:
    page = listed()
    for module, names in exported().items():
        table = page.get(module, set())
        assert names - table == set(), f"{module} exports names {PAGE.name} does not list"
        assert table - names == set(), f"{PAGE.name} lists names {module} does not export"


def test_the_facade_itself_is_complete() -> None:
    assert exported()["nemo_run"] == listed()["nemo_run"]
    assert "Config" in listed()["nemo_run"]  # the section was found and parsed
