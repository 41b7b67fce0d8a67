"""Each Slurm job works in its own copy of the shipped code (issue 14, item 4).

A user's launcher (a fresh interpreter, ``import nemo_run as run``, an ``SSHTunnel`` as the
testbed's non-root user) ships ``train.py`` with a ``PatternPackager`` and runs two jobs of
one experiment, the second after the first, then a second experiment with the same code.
Every job writes ``./ckpt.txt`` into its working directory and reports what it found there
first: no job sees another's file, the cached archive and its extracted tree (the cache)
are unchanged and read-only, and the code is uploaded once for both experiments.

Run inside the testbed's network namespace (``hatch run test:all`` does it).
"""

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.ssh]

_LAUNCHER = """
import json
import sys

import nemo_run as run

config = json.loads(sys.argv[1])
executor = run.SlurmExecutor(
    tunnel=run.SSHTunnel(**config["ssh"]),
    packager=run.PatternPackager(include_pattern="*.py", relative_path=""),
    partition=config["partition"],
    time="00:02:00",
)
step = (
    'echo "cwd=$PWD"; '
    'echo "found=$(cat ckpt.txt 2>/dev/null || echo nothing)"; '
    'echo "files=$(ls | tr "\\\\n" " ")"; '
    'echo "$NAME" > ckpt.txt && echo "wrote=$(cat ckpt.txt)"'
)
with run.Experiment(config["title"], executor=executor, base_dir=config["home"]) as exp:
    first = exp.add(run.Script(inline=step, env={"NAME": "first"}), name="first")
    exp.add(
        run.Script(inline=step, env={"NAME": "second"}), name="second", dependencies=[first]
    )
    exp.run()
print(json.dumps({"id": exp.id, "jobs": {job.id: job.state for job in exp.jobs}}))
"""


@pytest.fixture
def remote_root(testbed: Any) -> Iterator[Path]:
    """A fresh remote root for the non-root user (same filesystem as this process)."""
    testbed.require("slurm")
    testbed.require("ssh")
    root = Path(f"/tmp/nr-slurm-workdirs-{uuid.uuid4().hex[:8]}")
    yield root
    shutil.rmtree(root, ignore_errors=True)  # run as root: the read-only cache goes too


def _launch(testbed: Any, project: Path, home: Path, root: Path, title: str) -> dict[str, Any]:
    config = {
        "ssh": {
            "host": testbed.ssh_host,
            "port": testbed.ssh_port,
            "user": testbed.ssh_user,
            "identity": testbed.ssh_key,
            "known_hosts": testbed.ssh_known_hosts,
            "job_dir": str(root),
        },
        "partition": testbed.slurm_partition,
        "home": str(home),
        "title": title,
    }
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, json.dumps(config)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _report(root: Path, experiment_id: str, job_id: str) -> dict[str, str]:
    """The ``key=value`` lines the job printed."""
    (log,) = (root / experiment_id / job_id / "logs").glob("*.out")
    return dict(line.split("=", 1) for line in log.read_text().splitlines() if "=" in line)


def _snapshot(tree: Path) -> dict[str, tuple[int, bytes | None]]:
    """Mode and content of everything under ``tree`` (and ``tree`` itself)."""
    entries = {".": (tree.stat().st_mode, None)}
    for path in sorted(tree.rglob("*")):
        content = path.read_bytes() if path.is_file() else None
        entries[str(path.relative_to(tree))] = (path.stat().st_mode, content)
    return entries


def test_jobs_never_share_a_working_directory(
    testbed: Any, remote_root: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text("print('training')\n")
    home = tmp_path / "home"

    first_exp = _launch(testbed, project, home, remote_root, "sweep")
    assert list(first_exp["jobs"].values()) == ["SUCCEEDED", "SUCCEEDED"]
    (archive,) = (remote_root / "code").glob("*.tar.gz")
    cache = remote_root / "code" / archive.name.removesuffix(".tar.gz")
    uploaded = archive.stat()
    cached = _snapshot(cache)
    assert sorted(cached) == [".", "train.py"]

    second_exp = _launch(testbed, project, home, remote_root, "sweep-again")
    assert list(second_exp["jobs"].values()) == ["SUCCEEDED", "SUCCEEDED"]

    reports = [
        _report(remote_root, exp["id"], job_id)
        for exp in (first_exp, second_exp)
        for job_id in exp["jobs"]
    ]
    assert [r["found"] for r in reports] == ["nothing"] * 4
    assert [r["files"].split() for r in reports] == [["train.py"]] * 4
    assert [r["wrote"] for r in reports] == ["first", "second"] * 2
    working_dirs = [r["cwd"] for r in reports]
    assert len(set(working_dirs)) == 4
    assert all(Path(d).resolve() != cache.resolve() for d in working_dirs)
    assert [(Path(d) / "ckpt.txt").read_text() for d in working_dirs] == [
        "first\n",
        "second\n",
    ] * 2

    assert sorted(p.name for p in (remote_root / "code").iterdir()) == sorted(
        [archive.name, cache.name]
    )
    again = archive.stat()
    assert (again.st_ino, again.st_mtime_ns) == (uploaded.st_ino, uploaded.st_mtime_ns)
    assert _snapshot(cache) == cached
    assert not archive.stat().st_mode & 0o222
    assert all(not mode & 0o222 for mode, _ in cached.values())
