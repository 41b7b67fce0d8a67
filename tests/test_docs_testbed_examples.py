"""The documentation's examples that need a real backend run against the testbed.

A block fenced ```` ```py title="needs a Docker engine" ```` (or ``"needs a Slurm cluster"``)
is shown with that title and run here, in page order with the page's ```` ```python ```` blocks
(the same namespace, working directory and private NEMORUN_HOME as tests/test_docs_examples.py).
The values a reader would change (a host, an image, a path on the cluster) are replaced by the
testbed's; every replaced text must still be on the page, so a page edit cannot silently turn
the example into something else. Each page is marked with the backends its blocks need (``-m
docker``); run with ``bash tools/testbed/run.sh``. Without the testbed the tests skip (fail with
``NR_REQUIRE_BACKENDS=1``).
"""

import importlib
import re
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r'^```(python|py title="needs an? ([^"]+)")[^\n]*\n(.*?)^```', re.DOTALL | re.MULTILINE
)
# What a block's title says it needs -> the testbed backends it needs.
NEEDS = {"Docker engine": ("docker",), "Slurm cluster": ("slurm", "ssh"), "SSH server": ("ssh",)}
# Jobs on the testbed's Slurm nodes find this interpreter (with the repo's packages) first.
JOB_PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"


def docker_values(testbed: Any) -> dict[str, str]:
    return {'container_image="python:3.12"': f'container_image="{testbed.docker_python_image}"'}


def slurm_cluster_values(testbed: Any) -> dict[str, str]:
    tunnel = (
        f"run.SSHTunnel(host={testbed.ssh_host!r}, port={testbed.ssh_port}, "
        f"user={testbed.ssh_root_user!r}, identity={testbed.ssh_key!r}, "
        f"known_hosts={testbed.ssh_known_hosts!r}, "
        f"job_dir='/tmp/nr-docs-{uuid.uuid4().hex[:8]}')"
    )
    return {
        'run.SSHTunnel(host="login.cluster", user="me", job_dir="/scratch/me/nemo-run")': tunnel,
        'partition="batch",': f"partition={testbed.slurm_partition!r},",
    }


def slurm_values(testbed: Any) -> dict[str, str]:
    return {
        **slurm_cluster_values(testbed),
        'account="my-account",': "account=None,",
        '"/scratch/me/venv/bin:/usr/bin:/bin"': repr(JOB_PATH),
    }


def ssh_values(testbed: Any) -> dict[str, str]:
    return {
        'host="login.cluster.example",\n    user="alice",\n    job_dir="/scratch/alice/runs",\n'
        '    identity="~/.ssh/id_ed25519",\n': (
            f"host={testbed.ssh_host!r}, port={testbed.ssh_port}, user={testbed.ssh_user!r},"
            f" job_dir='/tmp/nr-docs-{uuid.uuid4().hex[:8]}', identity={testbed.ssh_key!r},"
            f" known_hosts={testbed.ssh_known_hosts!r},\n"
        ),
    }


PAGES: dict[str, Callable[[Any], dict[str, str]]] = {
    "backends/docker.md": docker_values,
    "backends/slurm.md": slurm_cluster_values,
    "first-remote-run.md": slurm_values,
    "packages/nr-tunnel.md": ssh_values,
}


def blocks(page: str) -> list[tuple[tuple[str, ...], str]]:
    """The page's runnable blocks in order: (backends needed, code)."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return [(NEEDS[need] if need else (), code) for _, need, code in BLOCK.findall(text)]


def test_every_titled_block_is_on_a_page_this_test_runs() -> None:
    for page in sorted((ROOT / "docs").rglob("*.md")):
        titled = [need for need, _ in blocks(str(page.relative_to(ROOT / "docs"))) if need]
        relative = str(page.relative_to(ROOT / "docs"))
        assert not titled or relative in PAGES, f"{relative} has testbed blocks; add it to PAGES"


def marked(page: str) -> Any:
    """The page as a test parameter, marked with the backends its blocks need."""
    needed = sorted({backend for need, _ in blocks(page) for backend in need})
    return pytest.param(page, marks=[getattr(pytest.mark, backend) for backend in needed])


@pytest.mark.parametrize("page", [marked(page) for page in sorted(PAGES)])
def test_page_runs_on_the_testbed(
    page: str, testbed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page_blocks = blocks(page)
    assert any(need for need, _ in page_blocks), f"{page} has no block titled 'needs ...'"
    values = PAGES[page](testbed)
    text = "".join(code for _, code in page_blocks)
    for shown in values:
        assert shown in text, f"{page} no longer shows {shown!r}: update this test's values"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "nemorun-home"))
    if testbed.docker_host:
        monkeypatch.setenv("DOCKER_HOST", testbed.docker_host)
    monkeypatch.setattr(sys, "path", list(sys.path))
    importlib.invalidate_caches()
    namespace: dict[str, object] = {"__name__": f"docs_{Path(page).stem.replace('-', '_')}"}
    for number, (_, shown_code) in enumerate(page_blocks, start=1):
        code = shown_code
        for shown, actual in values.items():
            code = code.replace(shown, actual)
        exec(compile(code, f"docs/{page}#block{number}", "exec"), namespace)  # noqa: S102
