"""Every ```python block of the documentation runs.

The blocks of one page run in order in one namespace, in a temporary working directory with a
private NEMORUN_HOME, so a page reads like a session. A block fenced
```py title="needs a Docker engine" (or "needs a Slurm cluster") runs on the testbed instead
(tests/test_docs_testbed_examples.py), and one fenced ```py title="<path>.py" is a whole file,
run as a script in a fresh interpreter (tests/test_docs_scripts.py). No other python block may
exist: fence output as ```text, shell commands as ```bash or ```console.
"""

import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
# The fence of a block some docs test runs: here, on the testbed, or as a script.
RUN = re.compile(r'python.*|py title="(needs an? [^"]+|[^"]+\.py)"')
PYTHON_LANGUAGES = {"py", "python", "python3", "py3", "pycon", "ipython", "pyi"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([^`]*)$")
# Python blocks that no test runs, (page, line) -> why. Keep it empty.
SHOWN_ONLY: dict[tuple[str, int], str] = {}


def fences(page: Path) -> list[tuple[int, str]]:
    """The opening fences of the page's code blocks: (line number, info string)."""
    found: list[tuple[int, str]] = []
    closing = ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if closing:
            if line.strip().startswith(closing) and not line.strip().strip(closing[0]):
                closing = ""
        elif match := FENCE.match(line):
            closing = match.group(1)
            found.append((number, match.group(2).strip()))
    return found


def test_every_python_block_is_run() -> None:
    unrun = []
    for page in PAGES:
        relative = str(page.relative_to(ROOT / "docs"))
        for number, info in fences(page):
            language = info.split(maxsplit=1)[0].lstrip("{.").lower() if info else ""
            if language in PYTHON_LANGUAGES and not RUN.fullmatch(info):
                unrun.append((relative, number))
    assert sorted(unrun) == sorted(SHOWN_ONLY), (
        f"python blocks no docs test runs: {sorted(set(unrun) - set(SHOWN_ONLY))} (fence them "
        '```python, ```py title="needs a Slurm cluster" or ```py title="script.py"); '
        f"SHOWN_ONLY entries that are gone: {sorted(set(SHOWN_ONLY) - set(unrun))}"
    )


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
