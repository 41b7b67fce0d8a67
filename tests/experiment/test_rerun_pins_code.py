"""Reproducing pins the code (issue 14, item 7): a rerun ships the archive recorded at launch.

An experiment launched on Slurm at commit v1 is rerun after v2 is committed, from another
directory, both with ``Experiment.from_id(id).reset()`` and ``nemorun experiment rerun``: it
runs v1's code, and each job's record names the commit and the archive's sha256.
"""

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from nr_experiment.store import Store

NEMORUN = str(Path(sys.executable).parent / "nemorun")

LAUNCH = """
import sys
import nemo_run as run

executor = run.SlurmExecutor(
    tunnel=run.LocalTunnel(job_dir=sys.argv[1]), partition=sys.argv[2], time="00:02:00"
)
with run.Experiment("pinned", clean_mode=True) as exp:
    exp.add(run.Script(inline="cat version.txt"), executor=executor, name="show")
    exp.run()
print(exp.id)
"""

RESET = """
import sys
import nemo_run as run

exp = run.Experiment.from_id(sys.argv[1]).reset()
with exp:
    exp.run()
print(exp.id)
"""


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def _commit(repo: Path, version: str) -> str:
    (repo / "version.txt").write_text(f"{version}\n")
    _git(repo, "add", "version.txt")
    _git(repo, "commit", "-qm", version)
    return _git(repo, "rev-parse", "HEAD")


def _run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


def _output(eid: str) -> tuple[str, dict[str, Any]]:
    record = Store().jobs(eid)[0]
    logs = subprocess.run(
        [NEMORUN, "experiment", "logs", eid],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return logs.stdout.strip(), record.get("code")[0]


@pytest.mark.slurm
def test_reset_and_rerun_ship_the_code_recorded_at_launch(
    home: Path, tmp_path: Path, testbed: Any
) -> None:
    testbed.require("slurm")
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    repo.mkdir()
    elsewhere.mkdir()
    _git(repo, "init", "-q")
    v1 = _commit(repo, "v1")
    remote = f"/tmp/nr-pin-test-{uuid.uuid4().hex[:8]}"
    first = _run([sys.executable, "-c", LAUNCH, remote, testbed.slurm_partition], repo)
    shown, pin = _output(first)
    assert shown == "v1"
    assert pin["commit"] == v1
    assert len(pin["sha256"]) == 64
    _commit(repo, "v2")
    again = _run([sys.executable, "-c", RESET, first], elsewhere)
    assert _output(again) == ("v1", pin)
    said = _run([NEMORUN, "experiment", "rerun", first], elsewhere)
    third = said.split()[-1]
    assert said == f"Reran {first} as {third}"
    assert _output(third) == ("v1", pin)
    assert json.dumps(pin)  # the record is plain JSON
