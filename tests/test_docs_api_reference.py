"""The API reference shows every public constant with the ``#:`` comment that documents it.

The site is built as ``hatch run docs:build`` builds it (the docs environment's mkdocs, strict),
into a temporary directory. A constant is public when its module is (no ``_`` in its path) and
its ``__all__`` lists it; each one documented by ``#:`` lines must be on its package's API page,
under its own name or the package's re-export, followed by the text of its comment. Without the
docs environment the test skips (fails with ``NR_REQUIRE_BACKENDS=1``, as in CI).
"""

import ast
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONSTANT = re.compile(r"[A-Z][A-Z0-9_]+")
ROLE = re.compile(r":(?:py:)?[a-z]+:`~?([^`]+)`")
TAG = re.compile(r"<[^>]+>")
HEADING = 'class="doc doc-heading"'


def documented_constants() -> list[tuple[str, str, str]]:
    """Every public constant with ``#:`` lines: (module, name, first line of the comment)."""
    found = []
    for path in sorted(ROOT.glob("packages/*/src/**/*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts[3:]  # packages/<dist>/src/...
        module = ".".join(parts).removesuffix(".__init__")
        if any(part.startswith("_") for part in module.split(".")):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        public: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
            ):
                public = ast.literal_eval(node.value)
        for node in tree.body:
            target = (
                node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            )
            if not isinstance(target, ast.Name) or not CONSTANT.fullmatch(target.id):
                continue
            comment = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            if target.id in public and comment.startswith("#:"):
                first = node.lineno - 2
                while first > 0 and lines[first - 1].strip().startswith("#:"):
                    first -= 1
                found.append((module, target.id, lines[first].strip().removeprefix("#:").strip()))
    return found


def plain(text: str) -> str:
    """``text`` without markup (HTML tags, Sphinx roles, backticks) or repeated spaces."""
    text = ROLE.sub(r"\1", html.unescape(TAG.sub("", text))).replace("`", "")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hatch = shutil.which("hatch")
    found = subprocess.run(
        [hatch, "env", "find", "docs"] if hatch else ["false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    mkdocs = Path(found.stdout.strip()) / "bin" / "mkdocs"
    if found.returncode or not mkdocs.is_file():
        reason = "the docs environment is not installed (hatch run docs:build creates it)"
        if os.environ.get("NR_REQUIRE_BACKENDS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return out


def test_the_reference_finds_constants_to_check() -> None:
    modules = {module for module, _, _ in documented_constants()}
    assert {"nr_exec.local.forkmode", "nr_experiment.progress"} <= modules


@pytest.mark.parametrize(
    ("module", "name", "text"),
    documented_constants(),
    ids=[f"{module}.{name}" for module, name, _ in documented_constants()],
)
def test_constant_is_shown_with_its_comment(site: Path, module: str, name: str, text: str) -> None:
    package = module.split(".", 1)[0]
    page = (site / "api" / package / "index.html").read_text(encoding="utf-8")
    anchors = [f'id="{module}.{name}"', f'id="{package}.{name}"']
    at = max(page.find(anchor) for anchor in anchors)
    assert at >= 0, f"{module}.{name} is not in the API reference ({package}); add it there"
    end = page.find(HEADING, page.find(HEADING, at) + 1)  # the next object's heading
    shown = plain(page[at : end if end > 0 else len(page)])
    assert plain(text) in shown, f"{module}.{name} is shown without its comment {text!r}"
