"""Every ```python block of the documentation runs.

The blocks of one page run in order in one namespace, in a temporary working directory with a
private NEMORUN_HOME, so a page reads like a session. A block fenced
```py title="needs a Docker engine" (or "needs a Slurm cluster") runs on the testbed instead
(tests/test_docs_testbed_examples.py). Other ```py blocks are shown only: keep them for code that
cannot run as written (a template with placeholders), and fence output as ```text or ```console.
"""

import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if python_blocks(p)],
    ids=lambda p: str(p.relative_to(ROOT / "docs")),
)
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "nemorun-home"))
    monkeypatch.setattr(sys, "path", list(sys.path))  # a page's sys.path edits end with it
    importlib.invalidate_caches()  # "." of an earlier page was another directory
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, block in enumerate(python_blocks(page), start=1):
        code = compile(block, f"{page.relative_to(ROOT)}#block{number}", "exec")
        exec(code, namespace)  # noqa: S102 - documentation examples are this repository's own code
    assert Path.cwd() == tmp_path
